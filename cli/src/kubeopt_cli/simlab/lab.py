"""The lab: replay history into the recommender's profiles, apply changes, simulate forward."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from kubeopt_cli.simlab.fleets import CLUSTER
from kubeopt_collector.simulator.scenario import Scenario
from kubeopt_collector.simulator.source import SimulatorSource
from kubeopt_recommender.domain.observations import ContainerHistory, ContainerKey
from kubeopt_recommender.domain.rightsizing import Resources
from kubeopt_recommender.domain.samples import SampleSeries
from kubeopt_recommender.domain.usage_profile import ProfileParams, UsageProfile

DAY_S = 86_400
START = datetime(2026, 1, 5, tzinfo=UTC)
"""Where every lab's history starts (a Monday, 00:00 UTC)."""
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Target:
    """One recommendable container: (workload, container) over all its replicas."""

    workload: int
    position: int
    key: ContainerKey
    slots: tuple[int, ...]
    hpa_metric: str | None
    current: Resources


@dataclass
class TargetHistory:
    """What the recommender would know about a target after the replayed history."""

    profile: UsageProfile
    vpa_profile: UsageProfile
    observation: ContainerHistory
    cpu_samples: list[IntArray] = field(default_factory=list)
    memory_peaks: list[IntArray] = field(default_factory=list)

    def copy(self) -> TargetHistory:
        return TargetHistory(
            UsageProfile.from_bytes(self.profile.to_bytes()),
            UsageProfile.from_bytes(self.vpa_profile.to_bytes()),
            self.observation,
            list(self.cpu_samples),
            list(self.memory_peaks),
        )


@dataclass
class TargetOutcome:
    oom_kills: int = 0
    throttled_ms: int = 0
    active_ms: int = 0
    cpu_slack: list[float] = field(default_factory=list)
    memory_slack: list[float] = field(default_factory=list)

    @property
    def throttled_pct(self) -> float:
        return 100 * self.throttled_ms / self.active_ms if self.active_ms else 0.0


class Lab:
    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.scenario = Scenario.model_validate(document)
        self.source = SimulatorSource(self.scenario)
        self.interval_s = self.scenario.interval_seconds
        self.fleet = self.source.fleet.clusters[0]
        self.targets = list(self._targets())
        pod_of = np.zeros(len(self.fleet.containers), dtype=np.int64)
        for c_index, c in enumerate(self.fleet.containers):
            pod_of[c_index] = c.pod
        self._pod_of = pod_of

    def _targets(self) -> Iterator[Target]:
        for w_index, w in enumerate(self.fleet.workloads):
            spec = w.instance.spec
            hpa = w.contract.hpa.metric if w.contract.hpa else None
            for position, c in enumerate(spec.containers):
                slots = tuple(self.fleet.pods[p].containers[position] for p in w.pods)
                first = self.fleet.containers[slots[0]].spec
                current = Resources(
                    first.cpu_request_millicores,
                    first.memory_request_bytes,
                    first.cpu_limit_millicores,
                    first.memory_limit_bytes,
                )
                key = (CLUSTER, w.contract.namespace, w.kind.value, w.contract.name, c.name)
                yield Target(w_index, position, key, slots, hpa, current)

    def windows(self, start: datetime, days: float) -> Iterator[list[datetime]]:
        """Window starts from ``start`` for ``days``, one list per day."""
        per_day = DAY_S // self.interval_s
        total = round(days * per_day)
        for first in range(0, total, per_day):
            yield [
                start + timedelta(seconds=(first + i) * self.interval_s)
                for i in range(min(per_day, total - first))
            ]

    def day(self, starts: Sequence[datetime]) -> dict[str, IntArray]:
        """Usage of every container slot in these windows: arrays shaped (windows, slots)."""
        rows: dict[str, list[IntArray]] = {
            n: [] for n in ("cpu", "cpu_peak", "mem", "mem_peak", "oom", "thr")
        }
        active: list[npt.NDArray[np.bool_]] = []
        for ws in starts:
            u = self.source.usage_arrays(CLUSTER, ws)
            activity = self.source.activity(CLUSTER, int(ws.timestamp()))
            active.append(activity.pod_active[self._pod_of])
            for name, values in (
                ("cpu", u.cpu_usage_millicores),
                ("cpu_peak", u.cpu_peak_millicores),
                ("mem", u.memory_usage_bytes),
                ("mem_peak", u.memory_peak_bytes),
                ("oom", u.oom_kills),
                ("thr", u.cpu_throttled_ms),
            ):
                rows[name].append(values)
        out = {name: np.stack(values) for name, values in rows.items()}
        out["active"] = np.stack(active).astype(np.int64)
        out["start"] = np.array([int(s.timestamp()) for s in starts], dtype=np.int64)
        return out

    # ------------------------------------------------------------------ history

    def replay(
        self,
        *,
        days: int,
        checkpoints: Sequence[int],
        params: ProfileParams,
        vpa_params: ProfileParams,
    ) -> dict[int, dict[ContainerKey, TargetHistory]]:
        """Replay ``days`` of history from :data:`START`; snapshots after each checkpoint day."""
        accs = {t.key: _Accumulator(t, params, vpa_params) for t in self.targets}
        out: dict[int, dict[ContainerKey, TargetHistory]] = {}
        for index, starts in enumerate(self.windows(START, days)):
            arrays = self.day(starts)
            for t in self.targets:
                accs[t.key].fold(arrays, self.interval_s)
            if index + 1 in checkpoints:
                out[index + 1] = {k: a.snapshot() for k, a in accs.items() if a.samples}
        return out

    # ------------------------------------------------------------------ forward

    def forward(self, *, start: datetime, days: int) -> dict[ContainerKey, TargetOutcome]:
        """What happens to every target over ``days`` from ``start`` (requests as in this lab)."""
        out = {t.key: TargetOutcome() for t in self.targets}
        for starts in self.windows(start, days):
            arrays = self.day(starts)
            for t in self.targets:
                _outcome_day(out[t.key], t, arrays, self.interval_s)
        return out


def _outcome_day(o: TargetOutcome, t: Target, arrays: dict[str, IntArray], interval_s: int) -> None:
    cols = list(t.slots)
    active = arrays["active"][:, cols].astype(bool)
    n = int(active.sum())
    if n == 0:
        return
    o.oom_kills += int(arrays["oom"][:, cols][active].sum())
    o.throttled_ms += int(arrays["thr"][:, cols][active].sum())
    o.active_ms += n * interval_s * 1000
    for name, request, slack in (
        ("cpu", t.current.cpu_request_millicores, o.cpu_slack),
        ("mem", t.current.memory_request_bytes, o.memory_slack),
    ):
        if request > 0:
            p95 = float(np.percentile(arrays[name][:, cols][active], 95))
            slack.append(max(0.0, (request - p95) / request))


class _Accumulator:
    def __init__(self, target: Target, params: ProfileParams, vpa_params: ProfileParams) -> None:
        self.target = target
        self.params, self.vpa_params = params, vpa_params
        self.profile = UsageProfile.empty(params)
        self.vpa = UsageProfile.empty(vpa_params)
        self.first_s = self.last_s = -1
        self.windows = self.samples = self.oom = self.throttled = 0
        self.cpu_peak = self.mem_peak = 0
        self.cpu: list[IntArray] = []
        self.peaks: list[IntArray] = []
        self.interval_s = 0

    def fold(self, arrays: dict[str, IntArray], interval_s: int) -> None:
        cols = list(self.target.slots)
        active = arrays["active"][:, cols].astype(bool)
        n = int(active.sum())
        if n == 0:
            return
        starts = np.repeat(arrays["start"][:, None], len(cols), axis=1)[active]
        pick = {
            name: arrays[name][:, cols][active]
            for name in ("cpu", "cpu_peak", "mem", "mem_peak", "oom", "thr")
        }
        current = self.target.current
        series = SampleSeries(
            key=self.target.key,
            start_s=starts,
            window_s=np.full(n, interval_s, dtype=np.int64),
            cpu_usage=pick["cpu"],
            cpu_peak=pick["cpu_peak"],
            memory_usage=pick["mem"],
            memory_peak=pick["mem_peak"],
            throttled_ms=pick["thr"],
            oom_kills=pick["oom"],
            restarts=pick["oom"],
            memory_request=np.full(n, current.memory_request_bytes, dtype=np.int64),
            memory_limit=np.full(n, current.memory_limit_bytes or 0, dtype=np.int64),
            node="lab-node",
        )
        self.profile.fold(series, self.params)
        self.vpa.fold(series, self.vpa_params)
        self.first_s = int(starts.min()) if self.first_s < 0 else self.first_s
        self.last_s = max(self.last_s, int(starts.max()) + interval_s)
        self.windows += int(active.any(axis=1).sum())
        self.samples += n
        self.oom += int(pick["oom"].sum())
        self.throttled += int(pick["thr"].sum())
        self.cpu_peak = max(self.cpu_peak, int(pick["cpu_peak"].max()))
        self.mem_peak = max(self.mem_peak, int(pick["mem_peak"].max()))
        self.cpu.append(pick["cpu"])
        self.peaks.append(pick["mem_peak"])
        self.interval_s = interval_s

    def snapshot(self) -> TargetHistory:
        c = self.target.current
        observation = ContainerHistory(
            key=self.target.key,
            first_seen=datetime.fromtimestamp(self.first_s, tz=UTC),
            last_seen=datetime.fromtimestamp(self.last_s, tz=UTC),
            windows_observed=self.windows,
            samples=self.samples,
            cpu_peak_millicores=self.cpu_peak,
            memory_peak_bytes=self.mem_peak,
            oom_kills=self.oom,
            restarts=self.oom,
            cpu_request_millicores=c.cpu_request_millicores,
            memory_request_bytes=c.memory_request_bytes,
            cpu_limit_millicores=c.cpu_limit_millicores,
            memory_limit_bytes=c.memory_limit_bytes,
            throttled_ms=self.throttled,
            observed_seconds=self.samples * self.interval_s,
            node="lab-node",
        )
        history = TargetHistory(self.profile, self.vpa, observation, self.cpu, self.peaks)
        return history.copy()


def applied(document: dict[str, Any], changes: Mapping[ContainerKey, Resources]) -> dict[str, Any]:
    """``document`` with each changed container's requests and limits replaced."""
    out = copy.deepcopy(document)
    for workload in out["clusters"][0]["workloads"]:
        for container in workload["containers"]:
            key = (
                CLUSTER,
                workload["namespace"],
                workload["kind"],
                workload["name"],
                container["name"],
            )
            change = changes.get(key)
            if change is None:
                continue
            container["requests"] = {
                "cpu": f"{change.cpu_request_millicores}m",
                "memory": str(change.memory_request_bytes),
            }
            limits: dict[str, str] = {}
            if change.cpu_limit_millicores is not None:
                limits["cpu"] = f"{change.cpu_limit_millicores}m"
            if change.memory_limit_bytes is not None:
                limits["memory"] = str(change.memory_limit_bytes)
            container["limits"] = limits
    return out


def summarize(outcomes: Mapping[ContainerKey, TargetOutcome]) -> dict[str, float]:
    """Fleet metrics: mean slack % over container-days, OOM kills per container-day, throttled %."""
    cpu = [s for o in outcomes.values() for s in o.cpu_slack]
    memory = [s for o in outcomes.values() for s in o.memory_slack]
    active_days = sum(o.active_ms for o in outcomes.values()) / 1000 / DAY_S
    throttled = sum(o.throttled_ms for o in outcomes.values())
    active_ms = sum(o.active_ms for o in outcomes.values())
    return {
        "memory_slack_pct": round(100 * float(np.mean(memory)) if memory else 0.0, 2),
        "cpu_slack_pct": round(100 * float(np.mean(cpu)) if cpu else 0.0, 2),
        "oom_per_container_day": round(
            sum(o.oom_kills for o in outcomes.values()) / active_days if active_days else 0.0, 4
        ),
        "throttled_pct": round(100 * throttled / active_ms if active_ms else 0.0, 3),
    }
