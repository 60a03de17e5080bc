from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from kubeopt_collector.simulator.scenario import ScenarioError, load_scenario
from kubeopt_collector.simulator.specs import DiurnalProfile, Level
from tests.collector.builders import cluster, scenario

GOOD = """\
seed: 7
clusters:
  - name: c1
    provider: aws
    region: us-east-1
    node_pools:
      - name: general
        instance_type: m5.xlarge
        zones: [a, b]
        count: 2
    namespaces:
      - name: team
        count: 2
    workloads:
      - namespace: team
        kind: Deployment
        name: api
        replicas: 2
        containers:
          - name: app
            requests: {cpu: 250m, memory: 512Mi}
            profile: {type: diurnal, cpu: 60%}
    flows:
      - {from: team-0/api, to: internet, bytes_per_second: 1Mi}
prices:
  - {instance_type: m5.xlarge, hourly_usd: "0.192"}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(text)
    return path


def error_of(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert "\n" not in message
    prefix = f"{path}:"
    assert message.startswith(prefix)
    return message.removeprefix(prefix)


def test_good_file_loads_with_parsed_quantities(tmp_path: Path) -> None:
    loaded = load_scenario(write(tmp_path, GOOD))
    assert loaded.seed == 7
    assert loaded.interval_seconds == 60
    c1 = loaded.clusters[0]
    container = c1.workloads[0].containers[0]
    assert container.requests.cpu == 250
    assert container.requests.memory == 512 * 2**20
    assert isinstance(container.profile, DiurnalProfile)
    assert container.profile.cpu == Level(fraction=0.6)
    expanded = c1.expand()
    assert [n.name for n in expanded.namespaces] == ["team-0", "team-1"]
    assert [w.key for w in expanded.workloads] == ["team-0/api", "team-1/api"]
    assert loaded.prices[0].hourly_usd == Decimal("0.192")


def test_unknown_instance_type_with_explicit_capacity_is_fine(tmp_path: Path) -> None:
    text = GOOD.replace(
        "m5.xlarge\n        zones",
        "bare-metal-64\n        vcpu: 64\n        memory_gib: 256\n        zones",
    )
    assert load_scenario(write(tmp_path, text)).clusters[0].node_pools[0].vcpu == 64


CASES = [
    ("        replicas: 2", "        replica: 2",
     "18: clusters[0].workloads[0].replica: unknown field 'replica'"),
    ("cpu: 250m", "cpu: 250x",
     "21: clusters[0].workloads[0].containers[0].requests.cpu: invalid cpu quantity '250x': "
     "expected a number with an optional suffix (m, k, M, G, T, Ki, Mi, Gi, Ti, e.g. '250m', "
     "'0.5', '512Mi', '1G')"),
    ("m5.xlarge\n        zones", "m9.huge\n        zones",
     "8: clusters[0].node_pools[0].instance_type: unknown instance type 'm9.huge': give vcpu "
     "and memory_gib for the node pool"),
    ("        name: api\n", "        name: api\n        node_pool: gpu\n",
     "18: clusters[0].workloads[0].node_pool: node_pool 'gpu' does not exist (pools: general)"),
    ("      - namespace: team", "      - namespace: teams",
     "15: clusters[0].workloads[0].namespace: namespace 'teams' is not declared in namespaces "
     "(known: team)"),
    ("{type: diurnal, cpu: 60%}\n",
     "{type: diurnal, cpu: 60%}\n      - namespace: team\n        kind: StatefulSet\n"
     "        name: api\n        containers: [{name: db}]\n",
     "25: clusters[0].workloads[1].name: duplicate workload 'team-0/api' (also made by "
     "workloads[0])"),
    ("        count: 2\n    workloads", "        count: 2\n      - name: team-1\n    workloads",
     "14: clusters[0].namespaces[1].name: duplicate namespace 'team-1' (also made by "
     "namespaces[0])"),
    ('hourly_usd: "0.192"', "hourly_usd: 0.192",
     '26: prices[0].hourly_usd: hourly_usd 0.192 must be a quoted decimal string, e.g. "0.192"'),
    ("to: internet", "to: other/team-0/api",
     "24: clusters[0].flows[0].to: flow target cluster 'other' is not in this scenario"),
    ("to: internet", "to: team-7/api",
     "24: clusters[0].flows[0].to: flow target 'team-7/api' is not a workload of this cluster"),
    ("from: team-0/api", "from: team-0/web",
     "24: clusters[0].flows[0].from: flow source 'team-0/web' is not a workload of this cluster"),
    ("    region: us-east-1\n", "",
     "3: clusters[0].region: required field 'region' is missing"),
    ("kind: Deployment", "kind: CronJob",
     "16: clusters[0].workloads[0].kind: a CronJob needs a cron schedule"),
    ("kind: Deployment", 'kind: CronJob\n        schedule: "61 * * * *"',
     "17: clusters[0].workloads[0].schedule: cron schedule '61 * * * *': minute 61 is outside "
     "0-59"),
    ("kind: Deployment\n        name: api\n        replicas: 2",
     "kind: DaemonSet\n        name: api\n        replicas: 2",
     "18: clusters[0].workloads[0].replicas: a DaemonSet runs one pod per node; remove replicas"),
    ("type: diurnal", "type: sawtooth",
     "22: clusters[0].workloads[0].containers[0].profile.type: Input tag 'sawtooth' found using "
     "'type' does not match any of the expected tags: 'constant', 'diurnal', 'spiky', 'leak', "
     "'batch'"),
    ("cpu: 60%", "cpu: sixty%",
     "22: clusters[0].workloads[0].containers[0].profile.cpu: invalid percentage 'sixty%': "
     "expected e.g. '60%'"),
    ("seed: 7\n", "seed: 7\ninterval_seconds: 70\n",
     "2: interval_seconds: interval_seconds 70 must divide a day (86400) evenly"),
    ("        count: 2\n    namespaces", "        count: -2\n    namespaces",
     "10: clusters[0].node_pools[0].count: Input should be greater than or equal to 0"),
    ("        replicas: 2", "        replicas: 2\n        pdb: {}",
     "19: clusters[0].workloads[0].pdb: give exactly one of min_available or max_unavailable"),
    ("  - name: c1", "  - name: C1.prod",
     "3: clusters[0].name: String should match pattern '^[a-z0-9]([a-z0-9_-]{0,61}[a-z0-9])?$'"),
    ("        replicas: 2\n",
     "        replicas: 2\n        services:\n          - {name: public, type: LoadBalancr}\n",
     "20: clusters[0].workloads[0].services[0].type: Input should be 'ClusterIP', 'NodePort' or "
     "'LoadBalancer'"),
    ("        replicas: 2\n",
     "        replicas: 2\n        services:\n          - {name: public, type: LoadBalancer}\n"
     "          - {name: public}\n",
     "21: clusters[0].workloads[0].services[1].name: duplicate service name 'public'"),
    ("        replicas: 2\n",
     "        replicas: 2\n        services:\n          - {name: public, kind: LoadBalancer}\n",
     "20: clusters[0].workloads[0].services[0].kind: unknown field 'kind'"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "expected"), CASES)
def test_bad_input_is_one_line_with_file_and_line(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in GOOD
    assert error_of(tmp_path, GOOD.replace(old, new, 1)) == expected


def test_several_errors_are_counted(tmp_path: Path) -> None:
    text = GOOD.replace("cpu: 250m", "cpu: 250x").replace("replicas: 2", "replicas: -1")
    message = error_of(tmp_path, text)
    assert message.startswith("18: clusters[0].workloads[0].replicas: ")
    assert message.endswith(" (+1 more)")


def test_yaml_syntax_error_points_at_the_line(tmp_path: Path) -> None:
    message = error_of(tmp_path, GOOD.replace("zones: [a, b]", "zones: [a, b"))
    assert re.fullmatch(r"1\d: <document>: invalid YAML: .+", message), message


def test_duplicate_yaml_key(tmp_path: Path) -> None:
    message = error_of(
        tmp_path, GOOD.replace("        count: 2\n", "        count: 2\n        count: 3\n", 1)
    )
    assert message.startswith('11: <document>: invalid YAML: found duplicate key "count"')


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "1: <document>: the scenario must be a mapping, found empty"),
        ("- a\n- b\n", "1: <document>: the scenario must be a mapping, found a CommentedSeq"),
    ],
)
def test_document_must_be_a_mapping(tmp_path: Path, text: str, expected: str) -> None:
    assert error_of(tmp_path, text) == expected


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    with pytest.raises(ScenarioError, match=r"nope\.yaml:1: <document>: cannot read the file"):
        load_scenario(path)


def test_duplicate_cluster_and_cross_cluster_flow_are_checked_in_code() -> None:
    with pytest.raises(ValueError, match="duplicate cluster 'c1'"):
        scenario(cluster("c1"), cluster("c1"))
    remote = cluster(
        "c2", flows=[{"from": "apps/api", "to": "c1/apps/api", "bytes_per_second": 10}]
    )
    assert scenario(cluster("c1"), remote).clusters[1].flows[0].to == "c1/apps/api"


def test_cronjob_needs_a_batch_container() -> None:
    from tests.collector.builders import workload

    with pytest.raises(ValueError, match="needs a container with a batch profile"):
        scenario(cluster(workloads=[workload(kind="CronJob", schedule="@hourly")]))


def test_a_load_balancer_needs_a_long_running_workload(tmp_path: Path) -> None:
    text = (
        GOOD.replace("kind: Deployment", 'kind: CronJob\n        schedule: "*/30 * * * *"')
        .replace("{type: diurnal, cpu: 60%}", "{type: batch}")
        .replace(
            "        containers:\n",
            "        services:\n"
            "          - {name: public, type: LoadBalancer}\n"
            "        containers:\n",
        )
    )
    assert error_of(tmp_path, text) == (
        "21: clusters[0].workloads[0].services[0].type: a CronJob's pods exist only during a run: "
        "a LoadBalancer needs a long-running workload (Deployment, StatefulSet or DaemonSet)"
    )
    ok = text.replace("type: LoadBalancer", "type: ClusterIP")  # free, so allowed
    assert load_scenario(write(tmp_path, ok)).clusters[0].workloads[0].load_balancers == ()


def test_label_templates_are_filled() -> None:
    from tests.collector.builders import workload

    c = cluster(
        namespaces=[{"name": "team", "count": 2, "labels": {"team": "{namespace}", "n": "{i}"}}],
        workloads=[workload(namespace="team", count=2, labels={"app": "{workload}"})],
    )
    expanded = scenario(c).clusters[0].expand()
    assert [dict(n.labels) for n in expanded.namespaces] == [
        {"team": "team-0", "n": "0"},
        {"team": "team-1", "n": "1"},
    ]
    assert [(w.key, w.labels["app"]) for w in expanded.workloads] == [
        ("team-0/api-0", "api-0"),
        ("team-0/api-1", "api-1"),
        ("team-1/api-0", "api-0"),
        ("team-1/api-1", "api-1"),
    ]


def test_the_documented_example_loads(tmp_path: Path) -> None:
    doc = Path(__file__).parents[2] / "services" / "collector" / "SCENARIO.md"
    example = doc.read_text().split("```yaml\n", 1)[1].split("```", 1)[0]
    loaded = load_scenario(write(tmp_path, example))
    expanded = loaded.clusters[0].expand()
    assert len(expanded.namespaces) == 11
    assert len(expanded.workloads) == 11
