"""The PromQL the Prometheus source runs, and how it splits work so no query is too big.

Every query is evaluated at window *ends* with ``step`` = the window length, so the point at
``t`` describes the window ``[t - step, t)``. Work is split two ways:

* **time**: a chunk holds at most ``max_points_per_series`` points per series (Prometheus
  refuses more than 11,000) and, with the pod batch's expected series, at most
  ``max_samples_per_query`` samples (what makes a large Prometheus run out of memory);
* **pods**: container queries select one batch of pods at a time (``pod=~"a|b|…"``), sent
  as a POST body so the matcher's length never matters.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

CONTAINER = 'container!="",container!="POD"'
EXPECTED_CONTAINERS_PER_POD = 3
"""Series per pod assumed when sizing a chunk (sidecars included)."""


@dataclass(frozen=True)
class Series:
    """One result series: its labels and its ``(unix seconds, value)`` points."""

    labels: dict[str, str]
    points: list[tuple[float, float]]


def escape_regex(value: str) -> str:
    """``value`` as a literal inside a PromQL (RE2) regex in a double-quoted string: regex
    metacharacters are escaped, then backslashes and quotes for the string literal (PromQL
    strings use Go escapes, where ``\\.`` alone is an error)."""
    regex = re.sub(r"([\\.+*?()|\[\]{}^$])", r"\\\1", value)
    return regex.replace("\\", "\\\\").replace('"', '\\"')


def batch_matchers(pods: Sequence[tuple[str, str]]) -> str:
    """Matchers selecting exactly these (namespace, pod) pairs' pods (a superset when two
    namespaces hold pods of the same name; results are filtered afterwards)."""
    namespaces = sorted({ns for ns, _ in pods})
    names = sorted({pod for _, pod in pods})
    ns_re = "|".join(escape_regex(n) for n in namespaces)
    pod_re = "|".join(escape_regex(p) for p in names)
    return f'namespace=~"{ns_re}",pod=~"{pod_re}"'


def _sel(*parts: str) -> str:
    return "{" + ",".join(p for p in parts if p) + "}"


@dataclass(frozen=True)
class Queries:
    """The PromQL of one window length; ``extra`` is the user's matchers (e.g. a cluster)."""

    step_s: int
    extra: str = ""

    @property
    def window(self) -> str:
        return f"{self.step_s}s"

    def pods(self, chunk_s: int) -> str:
        """Instant: every (namespace, pod) that existed in the last ``chunk_s`` seconds."""
        info = f"kube_pod_info{_sel(self.extra)}"
        return f"group by (namespace, pod) (last_over_time({info}[{chunk_s}s]))"

    def container(self, matchers: str) -> dict[str, str]:
        """Per-container queries of one pod batch, by column."""
        sel = _sel(CONTAINER, matchers, self.extra)
        ksm = _sel(matchers, self.extra)
        by = "by (namespace, pod, container)"
        w = self.window
        cpu = f"container_cpu_usage_seconds_total{sel}"
        memory = f"container_memory_working_set_bytes{sel}"
        oom = _sel('reason="OOMKilled"', matchers, self.extra)
        per_resource = "max by (namespace, pod, container, resource) (max_over_time("
        return {
            "cpu": f"sum {by} (rate({cpu}[{w}]))",
            "cpu_peak": f"max {by} (max_over_time(rate({cpu}[2m])[{w}:1m]))",
            "memory": f"max {by} (avg_over_time({memory}[{w}]))",
            "memory_peak": f"max {by} (max_over_time({memory}[{w}]))",
            "throttled": (
                f"sum {by} (increase(container_cpu_cfs_throttled_seconds_total{sel}[{w}]))"
            ),
            "restarts": f"max {by} (increase(kube_pod_container_status_restarts_total{ksm}[{w}]))",
            "oom": (
                f"max {by} (max_over_time("
                f"kube_pod_container_status_last_terminated_reason{oom}[{w}]))"
            ),
            "requests": f"{per_resource}kube_pod_container_resource_requests{ksm}[{w}]))",
            "limits": f"{per_resource}kube_pod_container_resource_limits{ksm}[{w}]))",
            "pod_node": f"max by (namespace, pod, node) (max_over_time(kube_pod_info{ksm}[{w}]))",
            "pod_owner": (
                f"max by (namespace, pod, owner_kind, owner_name) (max_over_time("
                f"kube_pod_owner{ksm}[{w}]))"
            ),
        }

    def cluster(self) -> dict[str, str]:
        """Cluster-wide queries (owners of ReplicaSets and Jobs, node facts)."""
        sel = _sel(self.extra)
        w = self.window
        return {
            "rs_owner": (
                f"max by (namespace, replicaset, owner_kind, owner_name) (max_over_time("
                f"kube_replicaset_owner{sel}[{w}]))"
            ),
            "job_owner": (
                f"max by (namespace, job_name, owner_kind, owner_name) (max_over_time("
                f"kube_job_owner{sel}[{w}]))"
            ),
            "node_capacity": (
                f"max by (node, resource) (max_over_time(kube_node_status_capacity{sel}[{w}]))"
            ),
            "node_labels": f"max_over_time(kube_node_labels{sel}[{w}])",
            "node_info": f"max by (node, provider_id) (max_over_time(kube_node_info{sel}[{w}]))",
        }


def align_down(at: datetime, step_s: int) -> datetime:
    epoch = int(at.timestamp())
    return datetime.fromtimestamp(epoch - epoch % step_s, tz=UTC)


def time_chunks(
    first_window: datetime,
    end: datetime,
    *,
    step_s: int,
    max_points_per_series: int,
    series_per_query: int,
    max_samples_per_query: int,
) -> list[tuple[datetime, datetime]]:
    """Window starts ``[first_window, end)`` split into chunks ``(first start, last start)``.

    A chunk has at most ``max_points_per_series`` windows and at most
    ``max_samples_per_query // series_per_query`` (at least one).
    """
    if max_points_per_series < 1 or series_per_query < 1:
        raise ValueError("max_points_per_series and series_per_query must be positive")
    per_chunk = max(1, min(max_points_per_series, max_samples_per_query // series_per_query))
    step = timedelta(seconds=step_s)
    chunks = []
    start = first_window
    while start < end:
        count = min(per_chunk, -(-int((end - start).total_seconds()) // step_s))
        last = start + step * (count - 1)
        chunks.append((start, last))
        start = last + step
    return chunks


def batches(pods: Sequence[tuple[str, str]], size: int) -> list[list[tuple[str, str]]]:
    ordered = sorted(set(pods))
    return [ordered[i : i + size] for i in range(0, len(ordered), size)]
