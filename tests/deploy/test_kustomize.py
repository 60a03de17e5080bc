"""What every rendering of deploy/k8s (base, dev, production) must hold.

Each tree is rendered once per session with ``kubectl kustomize`` (see conftest.py).
"""

from __future__ import annotations

import re

import pytest

from tests.deploy.manifests import (
    DATABASE_SERVICES,
    K8S_DIR,
    SERVICE_PORTS,
    TREES,
    Obj,
    Rendering,
    as_list,
    as_map,
    as_str,
    container_ports,
    containers,
    env_of,
    get,
    maps,
    name_of,
    pod_labels,
    pod_spec,
    quantity,
    secret_ref,
    service_deployments,
)

pytestmark = pytest.mark.integration

_READ = ("get", "list", "watch")
# API group -> the resources the collector lists and watches for its inventory.
INVENTORY = {
    "": ("nodes", "pods", "namespaces", "persistentvolumeclaims", "persistentvolumes", "services"),
    "apps": ("deployments", "replicasets", "statefulsets", "daemonsets"),
    "batch": ("jobs", "cronjobs"),
    "autoscaling": ("horizontalpodautoscalers",),
    "policy": ("poddisruptionbudgets",),
}
COLLECTOR_GRANTS = frozenset(
    {
        (group, resource, verb)
        for group, names in INVENTORY.items()
        for resource in names
        for verb in _READ
    }
    | {
        ("metrics.k8s.io", resource, verb)
        for resource in ("pods", "nodes")
        for verb in ("get", "list")
    }
)
# Environment variables that carry credentials: never a literal value in a manifest.
SENSITIVE_ENV = re.compile(r"TOKEN|PASSWORD|SECRET|DATABASE__URL|__USER$")
# The one writable path on the services' read-only root filesystem.
SCRATCH_DIR = "/tmp"  # noqa: S108 - a mount path checked in manifests, not a file we create
URL_WITH_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@")


def only_container(deployment: Obj) -> Obj:
    found = containers(deployment)
    assert len(found) == 1, f"{name_of(deployment)}: expected one container, got {len(found)}"
    return found[0]


def effective(workload: Obj, container: Obj, key: str) -> object:
    """A securityContext field as the kubelet applies it: the container's, else the pod's."""
    own = get(container, f"securityContext.{key}")
    return own if own is not None else get(pod_spec(workload), f"securityContext.{key}")


def probe_target(container: Obj, probe: str) -> tuple[str, int]:
    """(path, resolved port number) of an HTTP probe."""
    http = as_map(get(container, f"{probe}.httpGet"), f"{container.get('name')} {probe}")
    port = str(http.get("port"))
    ports = container_ports(container)
    assert port in ports, f"{probe} port {port} is not a declared container port {ports}"
    return as_str(http.get("path"), f"{probe} path"), ports[port]


def name_of_volume(volume: Obj) -> str:
    return as_str(volume.get("name"), "volume name")


@pytest.mark.parametrize("tree", TREES)
def test_one_deployment_per_service_in_the_kubeopt_namespace(
    renderings: dict[str, Rendering], tree: str
) -> None:
    rendering = renderings[tree]
    for svc, deployment in service_deployments(rendering).items():
        assert get(deployment, "metadata.namespace") == "kubeopt"
        image = as_str(only_container(deployment).get("image"), f"{svc} image")
        assert re.search(rf"(^|/)kubeopt-{svc}([:@]|$)", image), f"{svc} runs {image}"
        assert get(deployment, "spec.strategy.type") == "RollingUpdate"
    assert [name_of(ns) for ns in rendering.of_kind("Namespace")] == ["kubeopt"]


@pytest.mark.parametrize("tree", TREES)
def test_probes_hit_health_endpoints_on_the_api_port(
    renderings: dict[str, Rendering], tree: str
) -> None:
    for svc, deployment in service_deployments(renderings[tree]).items():
        container = only_container(deployment)
        port = SERVICE_PORTS[svc]
        assert probe_target(container, "livenessProbe") == ("/healthz", port), svc
        assert probe_target(container, "readinessProbe") == ("/readyz", port), svc
        assert get(env_of(container)["KUBEOPT_API__PORT"], "value") == str(port), svc
        assert get(env_of(container)["KUBEOPT_API__HOST"], "value") == "0.0.0.0", svc
        annotations = as_map(get(deployment, "spec.template.metadata.annotations"), svc)
        assert annotations["prometheus.io/scrape"] == "true", svc
        assert annotations["prometheus.io/port"] == str(port), svc
        assert annotations["prometheus.io/path"] == "/metrics", svc


@pytest.mark.parametrize("tree", TREES)
def test_every_container_requests_and_limits_cpu_and_memory(
    renderings: dict[str, Rendering], tree: str
) -> None:
    rendering = renderings[tree]
    for workload in rendering.workloads():
        for container in containers(workload):
            what = f"{name_of(workload)}/{container.get('name')}"
            resources = as_map(container.get("resources"), f"{what} resources")
            requests = as_map(resources.get("requests"), f"{what} requests")
            limits = as_map(resources.get("limits"), f"{what} limits")
            for resource in ("cpu", "memory"):
                request = quantity(requests.get(resource), f"{what} requests.{resource}")
                limit = quantity(limits.get(resource), f"{what} limits.{resource}")
                assert 0 < request <= limit, f"{what} {resource}: {request} > {limit}"
    memory = {
        svc: quantity(get(only_container(d), "resources.requests.memory"), svc)
        for svc, d in service_deployments(rendering).items()
    }
    assert max(memory, key=memory.__getitem__) == "costing", memory


@pytest.mark.parametrize("tree", TREES)
def test_service_pods_run_as_10001_with_a_read_only_root(
    renderings: dict[str, Rendering], tree: str
) -> None:
    for svc, deployment in service_deployments(renderings[tree]).items():
        container = only_container(deployment)
        assert effective(deployment, container, "runAsNonRoot") is True, svc
        assert effective(deployment, container, "runAsUser") == 10001, svc
        assert get(container, "securityContext.readOnlyRootFilesystem") is True, svc
        assert get(container, "securityContext.allowPrivilegeEscalation") is False, svc
        assert get(container, "securityContext.capabilities.drop") == ["ALL"], svc
        assert effective(deployment, container, "seccompProfile.type") == "RuntimeDefault", svc
        volumes = {name_of_volume(v): v for v in maps(pod_spec(deployment).get("volumes"), svc)}
        mounts = {
            as_str(m.get("mountPath"), "mountPath"): as_str(m.get("name"), "mount name")
            for m in maps(container.get("volumeMounts"), svc)
        }
        scratch = volumes[mounts[SCRATCH_DIR]]
        assert "emptyDir" in scratch, f"{svc}: {SCRATCH_DIR} is not an emptyDir"


@pytest.mark.parametrize("tree", TREES)
def test_every_pod_meets_the_restricted_pod_security_standard(
    renderings: dict[str, Rendering], tree: str
) -> None:
    """The namespace enforces ``restricted``; a pod that breaks it would never be admitted."""
    rendering = renderings[tree]
    namespace = rendering.named("Namespace", "kubeopt")
    labels = as_map(get(namespace, "metadata.labels"), "namespace labels")
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    for workload in rendering.workloads():
        spec = pod_spec(workload)
        for field in ("hostNetwork", "hostPID", "hostIPC"):
            assert spec.get(field) in (None, False), f"{name_of(workload)} sets {field}"
        for volume in maps(spec.get("volumes"), name_of(workload)):
            assert "hostPath" not in volume, f"{name_of(workload)} mounts a hostPath"
        for container in containers(workload):
            what = f"{name_of(workload)}/{container.get('name')}"
            assert get(container, "securityContext.privileged") in (None, False), what
            assert get(container, "securityContext.allowPrivilegeEscalation") is False, what
            assert "ALL" in as_list(get(container, "securityContext.capabilities.drop"), what)
            assert get(container, "securityContext.capabilities.add") is None, what
            assert effective(workload, container, "runAsNonRoot") is True, what
            assert effective(workload, container, "runAsUser") != 0, what
            assert effective(workload, container, "seccompProfile.type") == "RuntimeDefault", what


@pytest.mark.parametrize("tree", TREES)
def test_token_comes_from_a_secret_and_env_is_prod(
    renderings: dict[str, Rendering], tree: str
) -> None:
    for svc, deployment in service_deployments(renderings[tree]).items():
        env = env_of(only_container(deployment))
        assert get(env["KUBEOPT_ENV"], "value") == "prod", svc
        ref = secret_ref(env["KUBEOPT_API__TOKEN"])
        assert ref is not None, f"{svc}: KUBEOPT_API__TOKEN is not from a Secret"
        assert as_str(ref.get("name"), "name").startswith("kubeopt-api-token"), svc
        assert ref.get("key") == "token", svc
        assert ref.get("optional") in (None, False), f"{svc}: the API token is optional"
        assert "value" not in env["KUBEOPT_API__TOKEN"], svc


@pytest.mark.parametrize("tree", TREES)
def test_each_store_credential_comes_from_the_services_own_secret(
    renderings: dict[str, Rendering], tree: str
) -> None:
    for svc, deployment in service_deployments(renderings[tree]).items():
        env = env_of(only_container(deployment))
        database = env.get("KUBEOPT_DATABASE__URL")
        if svc in DATABASE_SERVICES or svc == "collector":
            ref = secret_ref(database) if database else None
            assert ref is not None, f"{svc}: KUBEOPT_DATABASE__URL is not from a Secret"
            assert as_str(ref.get("name"), "name").startswith(f"kubeopt-{svc}-db"), svc
            assert ref.get("key") == "url", svc
            # The collector's registry may live in SQLite on its scratch volume instead.
            assert (ref.get("optional") is True) == (svc == "collector"), svc
        else:
            assert database is None, f"{svc} has no database"
        for var, key in (
            ("KUBEOPT_CLICKHOUSE__USER", "user"),
            ("KUBEOPT_CLICKHOUSE__PASSWORD", "password"),
        ):
            if svc != "costing":
                assert var not in env, f"{svc} does not read ClickHouse"
                continue
            ref = secret_ref(env[var])
            assert ref is not None, f"costing: {var} is not from a Secret"
            assert as_str(ref.get("name"), "name").startswith("kubeopt-clickhouse"), var
            assert ref.get("key") == key, var


@pytest.mark.parametrize("tree", TREES)
def test_collector_cluster_role_reads_exactly_the_inventory(
    renderings: dict[str, Rendering], tree: str
) -> None:
    rendering = renderings[tree]
    assert [name_of(role) for role in rendering.of_kind("ClusterRole")] == ["kubeopt-collector"]
    assert rendering.of_kind("Role") == []
    role = rendering.named("ClusterRole", "kubeopt-collector")
    granted: set[tuple[str, str, str]] = set()
    for rule in maps(role.get("rules"), "rules"):
        assert set(rule) <= {"apiGroups", "resources", "verbs"}, f"unexpected rule fields {rule}"
        for group in as_list(rule.get("apiGroups"), "apiGroups"):
            for resource in as_list(rule.get("resources"), "resources"):
                for verb in as_list(rule.get("verbs"), "verbs"):
                    granted.add((str(group), str(resource), str(verb)))
    assert granted == COLLECTOR_GRANTS
    assert not {g for g in granted if "*" in "".join(g) or g[1] in ("secrets", "configmaps")}

    binding = rendering.named("ClusterRoleBinding", "kubeopt-collector")
    assert get(binding, "roleRef.name") == "kubeopt-collector"
    subjects = maps(binding.get("subjects"), "subjects")
    assert subjects == [
        {"kind": "ServiceAccount", "name": "kubeopt-collector", "namespace": "kubeopt"}
    ]


@pytest.mark.parametrize("tree", TREES)
def test_only_the_collector_can_reach_the_kubernetes_api(
    renderings: dict[str, Rendering], tree: str
) -> None:
    rendering = renderings[tree]
    accounts = {name_of(sa): sa for sa in rendering.of_kind("ServiceAccount")}
    for svc, deployment in service_deployments(rendering).items():
        spec = pod_spec(deployment)
        account = as_str(spec.get("serviceAccountName"), f"{svc} serviceAccountName")
        assert account == f"kubeopt-{svc}", svc
        assert account in accounts, f"{svc}: ServiceAccount {account} is not rendered"
        if svc == "collector":
            assert spec.get("automountServiceAccountToken") in (None, True)
            assert accounts[account].get("automountServiceAccountToken") in (None, True)
        else:
            assert accounts[account].get("automountServiceAccountToken") is False, svc
            assert spec.get("automountServiceAccountToken") is False, svc
    for workload in rendering.of_kind("StatefulSet"):
        assert pod_spec(workload).get("automountServiceAccountToken") is False, name_of(workload)


@pytest.mark.parametrize("tree", TREES)
def test_services_select_a_workload_and_target_a_declared_port(
    renderings: dict[str, Rendering], tree: str
) -> None:
    rendering = renderings[tree]
    for service in rendering.of_kind("Service"):
        name = name_of(service)
        selector = as_map(get(service, "spec.selector"), f"Service {name} selector")
        assert selector, f"Service {name} selects nothing"
        matched = [w for w in rendering.workloads() if selector.items() <= pod_labels(w).items()]
        assert matched, f"Service {name} selects no Deployment or StatefulSet"
        declared: dict[str, int] = {}
        for workload in matched:
            for container in containers(workload):
                declared |= container_ports(container)
        for port in maps(get(service, "spec.ports"), f"Service {name} ports"):
            target = str(port.get("targetPort", port.get("port")))
            assert target in declared, f"Service {name} targets undeclared port {target}"
            if name.startswith("kubeopt-"):
                assert port.get("port") == SERVICE_PORTS[name.removeprefix("kubeopt-")]


@pytest.mark.parametrize("tree", ["base", "overlays/production"])
def test_base_and_production_hold_no_secret_values(
    renderings: dict[str, Rendering], tree: str
) -> None:
    rendering = renderings[tree]
    assert rendering.of_kind("Secret") == [], "Secrets are created by the operator"
    for workload in rendering.workloads():
        for container in containers(workload):
            for var, entry in env_of(container).items():
                if SENSITIVE_ENV.search(var):
                    assert "value" not in entry, f"{name_of(workload)}: literal {var}"
                    assert secret_ref(entry) is not None, f"{name_of(workload)}: {var}"
    for config in rendering.of_kind("ConfigMap"):
        keys = as_map(config.get("data") or {}, name_of(config))
        assert not [k for k in keys if SENSITIVE_ENV.search(k)], f"{name_of(config)}: {keys}"
    assert not URL_WITH_PASSWORD.search(rendering.text), "a URL with a password is rendered"


def test_production_pins_every_image(renderings: dict[str, Rendering]) -> None:
    rendering = renderings["overlays/production"]
    for workload in rendering.workloads():
        for container in containers(workload):
            image = as_str(container.get("image"), f"{name_of(workload)} image")
            if "@sha256:" in image:
                continue
            repository, _, tag = image.rpartition(":")
            assert repository, f"{image} has no tag"
            assert "/" not in tag, f"{image} has no tag"
            assert tag != "latest", f"{image} is not pinned"
            assert "/" in repository, f"{image} does not name a registry"


@pytest.mark.parametrize("tree", TREES)
def test_collector_serves_its_declared_clusters_not_the_simulator(
    renderings: dict[str, Rendering], tree: str
) -> None:
    from kubeopt_collector.registry_file import load_clusters_file

    rendering = renderings[tree]
    deployment = service_deployments(rendering)["collector"]
    container = only_container(deployment)
    env = env_of(container)
    assert get(env["KUBEOPT_SOURCE"], "value") == "none"
    clusters_file = as_str(get(env["KUBEOPT_CLUSTERS_FILE"], "value"), "clusters file")
    # Relative paths (the default SQLite registry, the state dir) must be writable.
    assert container.get("workingDir") == SCRATCH_DIR
    assert as_str(get(env["KUBEOPT_STATE_DIR"], "value"), "state dir").startswith(SCRATCH_DIR)
    mounts = {
        as_str(m.get("mountPath"), "mountPath"): as_str(m.get("name"), "name")
        for m in maps(container.get("volumeMounts"), "collector mounts")
    }
    mount_path, file_name = clusters_file.rsplit("/", 1)
    volumes = {name_of_volume(v): v for v in maps(pod_spec(deployment).get("volumes"), "vols")}
    config_map = as_str(get(volumes[mounts[mount_path]], "configMap.name"), "configMap")
    data = as_map(rendering.named("ConfigMap", config_map).get("data"), config_map)
    declared = data[file_name]
    assert isinstance(declared, str)
    path = K8S_DIR / "base" / "collector" / file_name
    assert path.read_text() == declared
    assert load_clusters_file(path) == []  # base declares none; overlays add theirs
