"""Parsing API objects into records: provider labels, quantities, owners, HPA/PDB shapes,
Services and claims."""

from __future__ import annotations

import pytest

from kubeopt_collector.domain.inventory import ClusterInventory
from kubeopt_collector.domain.kube_objects import (
    ControllerRecord,
    HpaRecord,
    NodeRecord,
    ObjectError,
    PdbRecord,
    PodRecord,
    PvcRecord,
    ResourceKind,
    ServiceRecord,
    scaled,
)
from kubeopt_collector.domain.kube_parse import Parser
from kubeopt_collector.domain.labels import LabelSelector
from kubeopt_common.events import CapacityType, WorkloadKind
from tests.collector import kube_fixtures as k


def parse_node(**labels: str) -> NodeRecord:
    record = Parser().parse(ResourceKind.NODE, k.node("n", extra_labels=labels))
    assert isinstance(record, NodeRecord)
    return record


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        ({}, CapacityType.ON_DEMAND),
        ({"karpenter.sh/capacity-type": "spot"}, CapacityType.SPOT),
        ({"karpenter.sh/capacity-type": "on-demand"}, CapacityType.ON_DEMAND),
        ({"eks.amazonaws.com/capacityType": "SPOT"}, CapacityType.SPOT),
        ({"cloud.google.com/gke-spot": "true"}, CapacityType.SPOT),
        ({"cloud.google.com/gke-preemptible": "true"}, CapacityType.SPOT),
        ({"kubernetes.azure.com/scalesetpriority": "spot"}, CapacityType.SPOT),
        ({"kubernetes.azure.com/scalesetpriority": "regular"}, CapacityType.ON_DEMAND),
    ],
)
def test_capacity_type_from_each_providers_labels(
    labels: dict[str, str], expected: CapacityType
) -> None:
    assert parse_node(**labels).capacity_type is expected


@pytest.mark.parametrize(
    ("labels", "pool"),
    [
        ({"karpenter.sh/nodepool": "general"}, "general"),
        ({"eks.amazonaws.com/nodegroup": "ng-1"}, "ng-1"),
        ({"cloud.google.com/gke-nodepool": "default-pool"}, "default-pool"),
        ({"kubernetes.azure.com/agentpool": "system"}, "system"),
    ],
)
def test_node_pool_from_each_providers_labels(labels: dict[str, str], pool: str) -> None:
    assert parse_node(**labels).node_pool == pool


def test_node_facts_and_addresses() -> None:
    node = Parser().parse(
        ResourceKind.NODE, k.node("g", instance_type="g5.xlarge", gpus=1, ip="10.0.9.9")
    )
    assert isinstance(node, NodeRecord)
    assert (node.instance_type, node.zone, node.region) == ("g5.xlarge", "us-east-1a", "us-east-1")
    assert (node.gpu_count, node.addresses) == (1, ("10.0.9.9",))


def test_a_node_without_instance_type_label_is_unknown() -> None:
    raw = k.node("metal")
    del raw["metadata"]["labels"]["node.kubernetes.io/instance-type"]
    node = Parser().parse(ResourceKind.NODE, raw)
    assert isinstance(node, NodeRecord)
    assert node.instance_type == "unknown"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (k.node("n", cpu="four"), "invalid cpu quantity 'four'"),
        (k.node("n", arch="s390x"), "architecture 's390x' is not supported"),
        (k.pod("p", containers=[k.container(memory="1 GiB")]), "container app: invalid memory"),
        ({"metadata": {}}, "metadata.name is missing"),
    ],
)
def test_unreadable_objects_name_the_object_and_the_reason(
    raw: dict[str, object], reason: str
) -> None:
    kind = ResourceKind.NODE if raw.get("kind") == "Node" else ResourceKind.POD
    with pytest.raises(ObjectError) as caught:
        Parser().parse(kind, raw)
    assert reason in caught.value.reason
    if raw.get("kind"):
        assert caught.value.identity.endswith("n") or caught.value.identity.endswith("shop/p")


def test_an_unset_request_defaults_to_the_limit() -> None:
    raw = k.pod(
        "p", containers=[k.container(cpu=None, memory=None, cpu_limit="1", memory_limit="1Gi")]
    )
    pod = Parser().parse(ResourceKind.POD, raw)
    assert isinstance(pod, PodRecord)
    [c] = pod.containers
    assert (c.cpu_request_millicores, c.memory_request_bytes) == (1000, 2**30)
    assert (c.cpu_limit_millicores, c.memory_limit_bytes) == (1000, 2**30)


def test_hpa_on_cpu_utilisation_and_on_a_custom_metric() -> None:
    hpa = Parser().parse(ResourceKind.HPA, k.hpa("web", "web", utilization=65))
    assert isinstance(hpa, HpaRecord)
    assert (hpa.metric, hpa.target_utilization_pct, hpa.min_replicas) == ("cpu", 65, 2)
    custom = k.hpa("q", "worker")
    custom["spec"]["metrics"] = [
        {
            "type": "External",
            "external": {
                "metric": {"name": "queue_depth"},
                "target": {"type": "AverageValue", "averageValue": "30"},
            },
        }
    ]
    parsed = Parser().parse(ResourceKind.HPA, custom)
    assert isinstance(parsed, HpaRecord)
    assert parsed.metric is None


def test_pdb_percentages_scale_up() -> None:
    pdb = Parser().parse(ResourceKind.PDB, k.pdb("p", "web", min_available="34%"))
    assert isinstance(pdb, PdbRecord)
    assert pdb.min_available == "34%"
    assert scaled("34%", 3) == 2
    assert scaled(1, 3) == 1
    assert pdb.selector.matches({"app": "web", "tier": "x"})
    assert not pdb.selector.matches({"app": "db"})


def test_label_selector_expressions() -> None:
    selector = LabelSelector.parse(
        {
            "matchLabels": {"app": "web"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["front", "edge"]},
                {"key": "canary", "operator": "DoesNotExist"},
            ],
        }
    )
    assert selector.matches({"app": "web", "tier": "edge"})
    assert not selector.matches({"app": "web", "tier": "back"})
    assert not selector.matches({"app": "web", "tier": "edge", "canary": "1"})
    assert not LabelSelector.parse(None).matches({})
    assert LabelSelector.parse({}).matches({"anything": "x"})
    with pytest.raises(ValueError, match="operator 'Near'"):
        LabelSelector.parse({"matchExpressions": [{"key": "a", "operator": "Near"}]})


def test_owner_chains_resolve_with_and_without_the_controllers() -> None:
    parser, inventory = Parser(), ClusterInventory()
    inventory.upsert(
        ResourceKind.REPLICASET,
        parser.parse(ResourceKind.REPLICASET, k.replicaset("api-6c4f", "api")),
    )
    inventory.upsert(
        ResourceKind.REPLICASET,
        parser.parse(ResourceKind.REPLICASET, k.replicaset("lone-1a2b", None)),
    )
    inventory.upsert(
        ResourceKind.JOB, parser.parse(ResourceKind.JOB, k.job("nightly-1", cronjob_name="nightly"))
    )
    assert inventory.resolve_owner("shop", "ReplicaSet", "api-6c4f") == (
        WorkloadKind.DEPLOYMENT,
        "api",
    )
    assert inventory.resolve_owner("shop", "ReplicaSet", "lone-1a2b") == (
        WorkloadKind.DEPLOYMENT,
        "lone-1a2b",
    )
    # Not (yet) seen: the Deployment is named by dropping the pod-template hash.
    assert inventory.resolve_owner("shop", "ReplicaSet", "cart-7f9c") == (
        WorkloadKind.DEPLOYMENT,
        "cart",
    )
    assert inventory.resolve_owner("batch", "Job", "nightly-1") == (WorkloadKind.CRONJOB, "nightly")
    assert inventory.resolve_owner("batch", "Job", "once") == (WorkloadKind.JOB, "once")
    assert inventory.resolve_owner("shop", "StatefulSet", "db") == (WorkloadKind.STATEFULSET, "db")
    assert inventory.resolve_owner("shop", "Rollout", "canary") == (WorkloadKind.POD, "canary")


def test_controller_records_carry_template_settings() -> None:
    record = Parser().parse(
        ResourceKind.DEPLOYMENT, k.deployment("web", replicas=4, node_pool="gp")
    )
    assert isinstance(record, ControllerRecord)
    assert (record.replicas, record.node_pool, record.max_surge_pct) == (4, "gp", 50)
    assert record.termination_grace_period_s == 45
    assert dict(record.template_labels) == {"app": "web"}


def test_identical_label_sets_are_shared() -> None:
    parser = Parser()
    one = parser.parse(ResourceKind.POD, k.pod("a", labels={"app": "x"}))
    two = parser.parse(ResourceKind.POD, k.pod("b", labels={"app": "x"}))
    assert isinstance(one, PodRecord)
    assert isinstance(two, PodRecord)
    assert one.labels is two.labels


def parse_service(*, selector: dict[str, str] | None, service_type: str) -> ServiceRecord:
    raw = k.service("edge", selector=selector, service_type=service_type)
    record = Parser().parse(ResourceKind.SERVICE, raw)
    assert isinstance(record, ServiceRecord)
    return record


def test_a_load_balancer_service_selects_the_pods_its_selector_matches() -> None:
    parser = Parser()
    service = parse_service(selector={"app": "web"}, service_type="LoadBalancer")
    assert (service.namespace, service.name, service.type) == ("shop", "edge", "LoadBalancer")
    assert service.load_balancer
    web = parser.parse(ResourceKind.POD, k.pod("web-1", labels={"app": "web", "hash": "7d"}))
    api = parser.parse(ResourceKind.POD, k.pod("api-1", labels={"app": "api"}))
    assert isinstance(web, PodRecord)
    assert isinstance(api, PodRecord)
    assert service.selector.matches(web.labels)
    assert not service.selector.matches(api.labels)
    assert not service.selector.matches({})


def test_a_service_without_a_selector_selects_no_pod() -> None:
    selectors: tuple[dict[str, str] | None, ...] = (None, {})
    for selector in selectors:
        service = parse_service(selector=selector, service_type="LoadBalancer")
        assert not service.selector.matches({"app": "web"})
        assert not service.selector.matches({})


def test_a_service_is_a_cluster_ip_unless_it_says_otherwise() -> None:
    raw = k.service("internal", selector={"app": "web"})
    del raw["spec"]["type"]
    record = Parser().parse(ResourceKind.SERVICE, raw)
    assert isinstance(record, ServiceRecord)
    assert (record.type, record.load_balancer) == ("ClusterIP", False)
    raw["spec"]["selector"] = ["app=web"]
    with pytest.raises(
        ObjectError, match=r"Service shop/internal: spec\.selector is not an object"
    ):
        Parser().parse(ResourceKind.SERVICE, raw)


def test_the_inventory_indexes_load_balancers_by_namespace() -> None:
    parser, inventory = Parser(), ClusterInventory()
    objects = [
        k.service("edge", selector={"app": "web"}, service_type="LoadBalancer"),
        k.service("external", selector=None, service_type="LoadBalancer"),
        k.service("web", selector={"app": "web"}),
        k.service("edge", "batch", selector={"app": "web"}, service_type="NodePort"),
    ]
    inventory.load(ResourceKind.SERVICE, [parser.parse(ResourceKind.SERVICE, o) for o in objects])
    assert sorted(s.name for s in inventory.load_balancers("shop")) == ["edge", "external"]
    assert list(inventory.load_balancers("batch")) == []
    # A Service that stops being a LoadBalancer, or goes away, leaves the index.
    inventory.upsert(
        ResourceKind.SERVICE,
        parser.parse(ResourceKind.SERVICE, k.service("edge", selector={"app": "web"})),
    )
    inventory.delete(ResourceKind.SERVICE, ("shop", "external"))
    assert list(inventory.load_balancers("shop")) == []
    inventory.upsert(ResourceKind.SERVICE, parser.parse(ResourceKind.SERVICE, objects[0]))
    assert [s.name for s in inventory.load_balancers("shop")] == ["edge"]
    assert not inventory.take_changes()  # Services are not part of inventory snapshots


def test_a_claim_keeps_its_request_and_its_provisioned_capacity() -> None:
    raw = k.pvc("scratch", size="3Gi", capacity="4Gi", storage_class="efs-sc")
    claim = Parser().parse(ResourceKind.PVC, raw)
    assert isinstance(claim, PvcRecord)
    assert (claim.storage_class, claim.requested_bytes, claim.size_bytes) == (
        "efs-sc",
        3 * 2**30,
        4 * 2**30,
    )


def test_pod_volumes_name_their_claims() -> None:
    volumes = [
        {"name": "data", "persistentVolumeClaim": {"claimName": "data-db-0"}},
        {
            "name": "scratch",
            "ephemeral": {
                "volumeClaimTemplate": {
                    "spec": {
                        "accessModes": ["ReadWriteOnce"],
                        "resources": {"requests": {"storage": "1Gi"}},
                    }
                }
            },
        },
        {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}},
    ]
    pod = Parser().parse(ResourceKind.POD, k.pod("db-0", volumes=volumes))
    assert isinstance(pod, PodRecord)
    assert [(v.name, v.kind, v.claim, v.size_bytes) for v in pod.volumes] == [
        ("data", "pvc", "data-db-0", 0),
        ("scratch", "pvc", "db-0-scratch", 0),  # a generic ephemeral volume's own claim
        ("tmp", "empty_dir", "", 2**30),
    ]
