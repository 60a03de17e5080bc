from __future__ import annotations

from collections import Counter

from kubeopt_collector.simulator.fleet import build_fleet
from tests.collector.builders import cluster, container, pool, scenario, workload


def test_same_scenario_same_fleet() -> None:
    def make() -> object:
        return build_fleet(
            scenario(
                cluster(
                    workloads=[workload(replicas=5), workload("db", kind="StatefulSet", replicas=2)]
                )
            )
        )

    assert make() == make()


def test_seed_changes_names_but_not_shape() -> None:
    one = build_fleet(scenario(cluster(workloads=[workload(replicas=3)]), seed=1)).clusters[0]
    two = build_fleet(scenario(cluster(workloads=[workload(replicas=3)]), seed=2)).clusters[0]
    assert len(one.pods) == len(two.pods) == 3
    assert {p.name for p in one.pods} != {p.name for p in two.pods}


def test_nodes_are_named_per_pool_and_zones_round_robin() -> None:
    fleet = build_fleet(scenario(cluster(pools=[pool(count=4, zones=("a", "b", "c"))])))
    nodes = fleet.clusters[0].nodes
    assert [(n.name, n.zone) for n in nodes] == [
        ("c1-general-0", "a"),
        ("c1-general-1", "b"),
        ("c1-general-2", "c"),
        ("c1-general-3", "a"),
    ]
    assert nodes[0].cpu_capacity_millicores == 4000
    assert nodes[0].memory_capacity_bytes == 16 * 2**30
    assert nodes[0].labels["topology.kubernetes.io/zone"] == "a"


def test_explicit_capacity_overrides_the_table() -> None:
    fleet = build_fleet(scenario(cluster(pools=[pool(instance_type="m6g.large", vcpu=3, count=1)])))
    node = fleet.clusters[0].nodes[0]
    assert (node.cpu_capacity_millicores, node.architecture) == (3000, "arm64")
    assert node.memory_capacity_bytes == 8 * 2**30


def test_daemonset_runs_one_pod_per_node() -> None:
    c = cluster(
        pools=[pool(count=3), pool("spot", count=2, capacity_type="spot", tainted=True)],
        workloads=[
            workload("agent", kind="DaemonSet"),
            workload("spot-agent", kind="DaemonSet", node_pool="spot"),
        ],
    )
    fleet = build_fleet(scenario(c)).clusters[0]
    per_workload = Counter((fleet.workloads[p.workload].contract.name, p.node) for p in fleet.pods)
    assert {node for (name, node) in per_workload if name == "agent"} == {0, 1, 2, 3, 4}
    assert {node for (name, node) in per_workload if name == "spot-agent"} == {3, 4}
    assert set(per_workload.values()) == {1}


def test_overcommit_is_placed_and_representable() -> None:
    c = cluster(
        pools=[pool(instance_type="m5.large", count=1, zones=("a",))],  # 2 vCPU, 8 GiB
        workloads=[workload(replicas=3, containers=[container(cpu="1", memory="1Gi")])],
    )
    fleet = build_fleet(scenario(c)).clusters[0]
    assert [p.node for p in fleet.pods] == [0, 0, 0]
    requested = sum(c.spec.cpu_request_millicores for c in fleet.containers)
    assert requested == 3000 > fleet.nodes[0].cpu_capacity_millicores


def test_hpa_places_max_replicas_slots() -> None:
    hpa = {"min_replicas": 2, "max_replicas": 5}
    fleet = build_fleet(scenario(cluster(workloads=[workload(replicas=3, hpa=hpa)]))).clusters[0]
    assert len(fleet.pods) == 5
    assert fleet.workloads[0].contract.replicas == 3
    assert [fleet.pods[p].ordinal for p in fleet.workloads[0].pods] == [0, 1, 2, 3, 4]


def test_statefulset_names_and_per_pod_claims() -> None:
    volumes = [{"name": "data", "type": "pvc", "size": "10Gi", "storage_class": "gp3"}]
    c = cluster(workloads=[workload("db", kind="StatefulSet", replicas=2, volumes=volumes)])
    pods = build_fleet(scenario(c)).clusters[0].pods
    assert [p.name for p in pods] == ["db-0", "db-1"]
    assert [p.volumes[0].claim for p in pods] == ["data-db-0", "data-db-1"]
    assert pods[0].volumes[0].size_bytes == 10 * 2**30


def test_pinned_to_an_empty_pool_is_pending() -> None:
    c = cluster(
        pools=[pool(), pool("gpu", count=0)],
        workloads=[workload(node_pool="gpu")],
    )
    assert build_fleet(scenario(c)).clusters[0].pods[0].node is None


def test_container_specs_carry_parsed_requests_and_limits() -> None:
    spec = container(cpu="1.5", memory="1G", limits={"cpu": "2", "memory": "2Gi"})
    fleet = build_fleet(scenario(cluster(workloads=[workload(containers=[spec])]))).clusters[0]
    parsed = fleet.containers[0].spec
    assert (parsed.cpu_request_millicores, parsed.memory_request_bytes) == (1500, 10**9)
    assert (parsed.cpu_limit_millicores, parsed.memory_limit_bytes) == (2000, 2 * 2**30)
