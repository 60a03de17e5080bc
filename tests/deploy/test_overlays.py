"""What the dev and production overlays add on top of base.

dev must be self-contained (every reference and address resolves inside the rendering);
production must bring no engine and run the consumers redundantly.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.deploy.manifests import (
    DATABASE_SERVICES,
    Obj,
    Rendering,
    as_map,
    as_str,
    containers,
    env_of,
    get,
    maps,
    name_of,
    pod_labels,
    pod_spec,
    secret_ref,
    service_deployments,
)

pytestmark = pytest.mark.integration

CONSUMERS = ("costing", "budgets", "notifier")
ENGINES = {"nats": "nats:", "postgres": "postgres:", "clickhouse": "clickhouse/clickhouse-server:"}


def config_data(rendering: Rendering) -> dict[str, str]:
    data = as_map(rendering.generated("ConfigMap", "kubeopt-config").get("data"), "kubeopt-config")
    return {key: as_str(value, key) for key, value in data.items()}


def config_file(rendering: Rendering, config_map: str, key: str) -> str:
    """A file of a generated ConfigMap (keys hold dots, so no dotted ``get``)."""
    data = as_map(rendering.generated("ConfigMap", config_map).get("data"), config_map)
    return as_str(data.get(key), f"{config_map}/{key}")


def assert_service_port(rendering: Rendering, host: str, port: int) -> None:
    """Assert ``host:port`` is a Service of the rendering (short, in-namespace name)."""
    service = rendering.named("Service", host)
    ports = [p.get("port") for p in maps(get(service, "spec.ports"), f"Service {host}")]
    assert port in ports, f"Service {host} does not expose {port} (only {ports})"


def test_dev_runs_one_replica_of_each_service(renderings: dict[str, Rendering]) -> None:
    for svc, deployment in service_deployments(renderings["overlays/dev"]).items():
        assert get(deployment, "spec.replicas") == 1, svc
        image = as_str(containers(deployment)[0].get("image"), svc)
        assert image == f"kubeopt-{svc}:dev", f"{svc} runs {image}, not the local build"


def test_dev_ships_nats_postgres_and_clickhouse_on_volumes(
    renderings: dict[str, Rendering],
) -> None:
    rendering = renderings["overlays/dev"]
    for engine, image_prefix in ENGINES.items():
        statefulset = rendering.named("StatefulSet", engine)
        assert get(statefulset, "metadata.namespace") == "kubeopt", engine
        image = as_str(containers(statefulset)[0].get("image"), engine)
        assert image.startswith(image_prefix), f"{engine} runs {image}"
        claims = maps(get(statefulset, "spec.volumeClaimTemplates"), f"{engine} claims")
        claim_names = {name_of(claim) for claim in claims}
        mounted = {
            as_str(mount.get("name"), "mount")
            for mount in maps(containers(statefulset)[0].get("volumeMounts"), engine)
        }
        assert claim_names, f"{engine} keeps its data on no PersistentVolumeClaim"
        assert claim_names <= mounted, f"{engine} does not mount {claim_names - mounted}"

    nats = rendering.named("StatefulSet", "nats")
    assert get(nats, "spec.replicas") == 3
    assert get(nats, "spec.podManagementPolicy") == "Parallel"
    nats_conf = config_file(rendering, "nats-config", "nats.conf")
    assert "jetstream {" in nats_conf
    for index in range(3):
        assert f"nats://nats-{index}.nats-headless:6222" in nats_conf


def referenced_secrets(workload: Obj) -> list[tuple[str, str]]:
    """(secret name, key) of every non-optional secretKeyRef of the workload's containers."""
    refs: list[tuple[str, str]] = []
    for container in containers(workload):
        for entry in env_of(container).values():
            ref = secret_ref(entry)
            if ref is not None and ref.get("optional") is not True:
                refs.append((as_str(ref.get("name"), "name"), as_str(ref.get("key"), "key")))
    return refs


def referenced_config_maps(workload: Obj) -> list[str]:
    names = [
        as_str(get(source, "configMapRef.name"), "configMapRef")
        for container in containers(workload)
        for source in maps(container.get("envFrom"), "envFrom")
    ]
    names += [
        as_str(get(volume, "configMap.name"), "configMap volume")
        for volume in maps(pod_spec(workload).get("volumes"), "volumes")
        if "configMap" in volume
    ]
    return names


def test_dev_secret_and_config_references_resolve(renderings: dict[str, Rendering]) -> None:
    rendering = renderings["overlays/dev"]
    config_maps = {name_of(config) for config in rendering.of_kind("ConfigMap")}
    for workload in rendering.workloads():
        for secret, key in referenced_secrets(workload):
            assert key in rendering.secret_data(secret), f"{name_of(workload)}: {secret}/{key}"
        for config in referenced_config_maps(workload):
            assert config in config_maps, f"{name_of(workload)}: ConfigMap {config} is missing"


def test_dev_points_every_service_at_its_own_engines(renderings: dict[str, Rendering]) -> None:
    rendering = renderings["overlays/dev"]
    config = config_data(rendering)
    nats = urlsplit(config["KUBEOPT_NATS__URL"])
    assert_service_port(rendering, nats.hostname or "", nats.port or 4222)
    assert_service_port(
        rendering, config["KUBEOPT_CLICKHOUSE__HOST"], int(config["KUBEOPT_CLICKHOUSE__PORT"])
    )
    assert config["KUBEOPT_CLICKHOUSE__MODE"] == "http"

    postgres_passwords = rendering.secret_data(secret_name(rendering, "kubeopt-postgres"))
    init_script = config_file(rendering, "postgres-init", "init-kubeopt.sh")
    for svc in sorted(DATABASE_SERVICES):
        url = urlsplit(rendering.secret_data(secret_name(rendering, f"kubeopt-{svc}-db"))["url"])
        assert url.scheme == "postgresql+psycopg", svc
        assert_service_port(rendering, url.hostname or "", url.port or 5432)
        # The init script creates role and database kubeopt_<svc> with <svc>-password.
        assert url.username == url.path.removeprefix("/") == f"kubeopt_{svc}", svc
        assert url.password == postgres_passwords[f"{svc}-password"], svc
        assert f"create_service_database {svc} " in init_script, svc


def secret_name(rendering: Rendering, base_name: str) -> str:
    return name_of(rendering.generated("Secret", base_name))


def test_production_runs_two_replicas_of_each_consumer_behind_a_pdb(
    renderings: dict[str, Rendering],
) -> None:
    rendering = renderings["overlays/production"]
    deployments = service_deployments(rendering)
    assert get(deployments["collector"], "spec.replicas") == 1
    budgets = rendering.of_kind("PodDisruptionBudget")
    for svc in CONSUMERS:
        deployment = deployments[svc]
        assert get(deployment, "spec.replicas") == 2, svc
        guarding = [
            pdb
            for pdb in budgets
            if as_map(get(pdb, "spec.selector.matchLabels"), "selector").items()
            <= pod_labels(deployment).items()
        ]
        assert len(guarding) == 1, f"{svc}: {len(guarding)} PodDisruptionBudgets"
        assert get(guarding[0], "spec.maxUnavailable") == 1, svc
        spread = maps(get(deployment, "spec.template.spec.topologySpreadConstraints"), svc)
        keys = {get(constraint, "topologyKey") for constraint in spread}
        assert keys == {"topology.kubernetes.io/zone", "kubernetes.io/hostname"}, svc


def test_production_brings_no_engine_and_points_elsewhere(
    renderings: dict[str, Rendering],
) -> None:
    rendering = renderings["overlays/production"]
    assert rendering.of_kind("StatefulSet") == []
    assert rendering.of_kind("PersistentVolumeClaim") == []
    services = {name_of(service) for service in rendering.of_kind("Service")}
    assert not services & set(ENGINES), f"production renders engines {services & set(ENGINES)}"
    config = config_data(rendering)
    assert urlsplit(config["KUBEOPT_NATS__URL"]).hostname not in services
    assert config["KUBEOPT_CLICKHOUSE__HOST"] not in services
