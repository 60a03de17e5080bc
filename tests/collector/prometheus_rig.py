"""A real Prometheus for the tests: Debian's ``prometheus`` package, loaded with generated
history through ``promtool tsdb create-blocks-from openmetrics``.

The binaries come from ``$PATH`` when installed, else from the Debian package fetched once per
machine into ``~/.cache/kubeopt-test/prometheus`` with ``apt-get download`` and unpacked with
``dpkg-deb -x`` (no root, no service). :func:`obtain` raises :class:`RigUnavailableError` when
neither works; the fixture fails the test with ``CI=true`` and skips it otherwise.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx

from kubeopt_common.bus.server import free_port

CACHE = Path.home() / ".cache" / "kubeopt-test" / "prometheus"
STEP_S = 60
GIB = 2**30
MIB = 2**20


class RigUnavailableError(RuntimeError):
    pass


@dataclass(frozen=True)
class Binaries:
    prometheus: Path
    promtool: Path


def _run(args: list[str], cwd: Path | None = None, timeout: float = 300) -> None:
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RigUnavailableError(f"{' '.join(args)} failed: {result.stderr.strip()[-500:]}")


def obtain() -> Binaries:
    """Prometheus and promtool: installed, cached, or downloaded into the cache now."""
    on_path = shutil.which("prometheus"), shutil.which("promtool")
    if on_path[0] and on_path[1]:
        return Binaries(Path(on_path[0]), Path(on_path[1]))
    unpacked = CACHE / "root" / "usr" / "bin"
    binaries = Binaries(unpacked / "prometheus", unpacked / "promtool")
    if binaries.prometheus.exists() and binaries.promtool.exists():
        return binaries
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise RigUnavailableError("prometheus is not installed and apt-get/dpkg-deb are missing")
    CACHE.mkdir(parents=True, exist_ok=True)
    for old in CACHE.glob("prometheus_*.deb"):
        old.unlink()
    _run(["apt-get", "download", "prometheus"], cwd=CACHE)
    [deb] = list(CACHE.glob("prometheus_*.deb"))
    _run(["dpkg-deb", "-x", str(deb), str(CACHE / "root")])
    if not binaries.prometheus.exists():
        raise RigUnavailableError(f"{deb.name} holds no usr/bin/prometheus")
    return binaries


@dataclass(frozen=True)
class History:
    """What the generated history holds (the truth the tests compare with). Seconds."""

    start: int
    end: int
    oom_at: int
    nightly_until: int

    @classmethod
    def ending(cls, end: datetime, *, hours: int = 3) -> History:
        end_s = int(end.timestamp()) // 300 * 300
        start_s = end_s - hours * 3600
        # The OOM kill lands mid-window (not on a 5-minute boundary): one window sees it.
        return cls(start_s, end_s, start_s + 92 * 60, start_s + 60 * 60)


Value = Callable[[int], float | None]


@dataclass(frozen=True)
class GenSeries:
    name: str
    labels: dict[str, str]
    value: Value
    alive: Callable[[int], bool] = lambda t: True


@dataclass(frozen=True)
class GenContainer:
    namespace: str
    pod: str
    name: str
    node: str
    cores: float
    memory_bytes: int
    request_cores: float
    request_memory_bytes: int


CONTAINERS = (
    GenContainer("shop", "web-7d9f8-0", "app", "node-a", 0.25, 200 * MIB, 0.5, 256 * MIB),
    GenContainer("shop", "web-7d9f8-0", "proxy", "node-a", 0.05, 32 * MIB, 0.1, 64 * MIB),
    GenContainer("shop", "db-0", "db", "node-b", 0.5, 1 * GIB, 1.0, 2 * GIB),
    GenContainer("batch", "nightly-290-x", "job", "node-b", 1.0, 512 * MIB, 1.0, 1 * GIB),
)
OWNERS = {
    "web-7d9f8-0": ("ReplicaSet", "web-7d9f8"),
    "db-0": ("StatefulSet", "db"),
    "nightly-290-x": ("Job", "nightly-290"),
}


def _const(value: float) -> Value:
    return lambda _t: value


def _container_series(h: History, c: GenContainer) -> list[GenSeries]:
    def alive(t: int) -> bool:
        return not c.pod.startswith("nightly") or t <= h.nightly_until

    cad = {"namespace": c.namespace, "pod": c.pod, "container": c.name, "image": f"{c.name}:1"}
    ksm = {"namespace": c.namespace, "pod": c.pod, "container": c.name}
    oom = c.pod == "db-0"
    out = [
        GenSeries(
            "container_cpu_usage_seconds_total", cad, lambda t: c.cores * (t - h.start), alive
        ),
        GenSeries("container_memory_working_set_bytes", cad, _const(c.memory_bytes), alive),
        GenSeries(
            "container_cpu_cfs_throttled_seconds_total",
            cad,
            lambda t: 0.1 * (t - h.start) / 60,
            alive,
        ),
        GenSeries(
            "kube_pod_container_status_restarts_total",
            ksm,
            lambda t: 1.0 if oom and t >= h.oom_at else 0.0,
            alive,
        ),
        GenSeries(
            "kube_pod_container_resource_limits",
            {**ksm, "resource": "memory", "unit": "byte"},
            _const(2 * c.request_memory_bytes),
            alive,
        ),
    ]
    for resource, unit, value in (
        ("cpu", "core", c.request_cores),
        ("memory", "byte", float(c.request_memory_bytes)),
    ):
        labels = {**ksm, "resource": resource, "unit": unit}
        out.append(GenSeries("kube_pod_container_resource_requests", labels, _const(value), alive))
    if oom:
        labels = {**ksm, "reason": "OOMKilled"}
        out.append(
            GenSeries(
                "kube_pod_container_status_last_terminated_reason",
                labels,
                lambda t: 1.0 if t >= h.oom_at else None,
            )
        )
    return out


def _pod_series(h: History) -> list[GenSeries]:
    out: list[GenSeries] = []
    pods = sorted({(c.namespace, c.pod, c.node) for c in CONTAINERS})
    for ns, pod, node in pods:

        def alive(t: int, pod: str = pod) -> bool:
            return not pod.startswith("nightly") or t <= h.nightly_until

        kind, owner = OWNERS[pod]
        info = {"namespace": ns, "pod": pod, "node": node, "host_ip": "10.0.0.1"}
        out.append(GenSeries("kube_pod_info", info, _const(1), alive))
        owner_labels = {
            "namespace": ns,
            "pod": pod,
            "owner_kind": kind,
            "owner_name": owner,
            "owner_is_controller": "true",
        }
        out.append(GenSeries("kube_pod_owner", owner_labels, _const(1), alive))
    rs = {"namespace": "shop", "replicaset": "web-7d9f8", "owner_kind": "Deployment"}
    out.append(GenSeries("kube_replicaset_owner", {**rs, "owner_name": "web"}, _const(1)))
    job = {"namespace": "batch", "job_name": "nightly-290", "owner_kind": "CronJob"}
    out.append(GenSeries("kube_job_owner", {**job, "owner_name": "nightly"}, _const(1)))
    return out


def _node_series() -> list[GenSeries]:
    out: list[GenSeries] = []
    for node, cpu, instance_type, spot in (
        ("node-a", 4, "m5.xlarge", False),
        ("node-b", 2, "m6g.large", True),
    ):
        for resource, unit, value in (("cpu", "core", cpu), ("memory", "byte", cpu * 4 * GIB)):
            labels = {"node": node, "resource": resource, "unit": unit}
            out.append(GenSeries("kube_node_status_capacity", labels, _const(value)))
        labels = {
            "node": node,
            "label_node_kubernetes_io_instance_type": instance_type,
            "label_kubernetes_io_arch": "arm64" if spot else "amd64",
        }
        if spot:
            labels["label_karpenter_sh_capacity_type"] = "spot"
        else:
            labels["label_topology_kubernetes_io_zone"] = "us-east-1a"
        out.append(GenSeries("kube_node_labels", labels, _const(1)))
        provider = {"node": node, "provider_id": f"aws:///us-east-1b/i-{node}"}
        out.append(GenSeries("kube_node_info", provider, _const(1)))
    return out


def openmetrics(h: History) -> str:
    """The history as OpenMetrics text: one sample a minute, families contiguous."""
    every = [s for c in CONTAINERS for s in _container_series(h, c)]
    every += _pod_series(h) + _node_series()
    lines: list[str] = []
    for name in dict.fromkeys(s.name for s in every):
        for s in (s for s in every if s.name == name):
            labels = ",".join(f'{k}="{v}"' for k, v in s.labels.items())
            for t in range(h.start, h.end + 1, STEP_S):
                value = s.value(t) if s.alive(t) else None
                if value is not None:
                    lines.append(f"{name}{{{labels}}} {value} {t}")
    return "\n".join(lines) + "\n# EOF\n"


@dataclass(frozen=True)
class RunningPrometheus:
    url: str
    history: History


def start(
    binaries: Binaries, workdir: Path, history: History
) -> tuple[subprocess.Popen[bytes], RunningPrometheus]:
    """Load ``history`` into a fresh TSDB under ``workdir`` and serve it on a free port."""
    data = workdir / "data.om"
    data.write_text(openmetrics(history))
    tsdb = workdir / "tsdb"
    _run(
        [str(binaries.promtool), "tsdb", "create-blocks-from", "openmetrics", str(data), str(tsdb)]
    )
    config = workdir / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1m\n")
    port = free_port()
    with (workdir / "prometheus.log").open("wb") as log:
        process = subprocess.Popen(
            [
                str(binaries.prometheus),
                f"--config.file={config}",
                f"--storage.tsdb.path={tsdb}",
                "--storage.tsdb.retention.time=3650d",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RigUnavailableError(
                f"prometheus exited: {(workdir / 'prometheus.log').read_text()[-800:]}"
            )
        try:
            if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                return process, RunningPrometheus(url, history)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RigUnavailableError("prometheus did not become ready in 60 s")


def serve(workdir: Path, history: History) -> Generator[RunningPrometheus, None, None]:
    """Generator for a fixture: start, yield, stop."""
    process, running = start(obtain(), workdir, history)
    try:
        yield running
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
