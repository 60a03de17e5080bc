"""Which pod slots run in a window, and how an HPA spreads load over them.

* Long-running pods (Deployment, StatefulSet, DaemonSet) run whenever they are placed.
* Batch runs start on the workload's cron ``schedule`` or every ``every_minutes`` (with a
  per-workload phase) and last ``duration_minutes``. When a new run starts while the previous
  one is still going, the new one replaces it (``concurrencyPolicy: Replace``). CronJob/Job pods
  exist only while a run is active; a batch container in a long-running pod idles between runs.
* An HPA sees the noise-free demand of its metric. The scenario's ``replicas`` is the load in
  pods at the profile level; desired = ceil(load / (request * target% * 1.1)) within
  [min, max] (1.1: the controller's default 10 % tolerance), the
  first ``desired`` slots run, and each carries ``replicas / desired`` of the load. This is
  stateless, so a window's answer does not depend on the windows before it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt

from kubeopt_collector.simulator.fleet import ClusterFleet, FleetWorkload
from kubeopt_collector.simulator.profiles import (
    FloatArray,
    IntArray,
    ProfileArrays,
    expected_levels,
)
from kubeopt_collector.simulator.specs import BatchProfile
from kubeopt_common.events import Hpa

HPA_TOLERANCE = 0.1
"""Kubernetes' default ``--horizontal-pod-autoscaler-tolerance``."""


@dataclass(frozen=True)
class WindowActivity:
    """What runs in one window. Arrays are indexed by pod, container or workload."""

    pod_active: npt.NDArray[np.bool_]
    run_fraction: FloatArray
    cpu_scale: FloatArray
    memory_scale: FloatArray
    replicas: IntArray
    run_start_s: dict[int, int]
    """Start (epoch seconds) of the run a CronJob/Job pod belongs to, for active such pods."""


@dataclass(frozen=True)
class _BatchRun:
    duration_s: int
    every_s: int
    containers: IntArray


@dataclass(frozen=True)
class _BatchPlan:
    workload: int
    spec: FleetWorkload
    runs: tuple[_BatchRun, ...]
    pods: tuple[int, ...]
    pods_live_only_in_runs: bool


@dataclass(frozen=True)
class _HpaPlan:
    workload: int
    spec: FleetWorkload
    hpa: Hpa
    representative: IntArray
    request: float
    containers: IntArray


class ActivityModel:
    """Pre-computes the batch and HPA plans of one cluster; answers per window."""

    def __init__(self, fleet: ClusterFleet, arrays: ProfileArrays, *, interval_s: int) -> None:
        self._fleet = fleet
        self._arrays = arrays
        self._interval_s = interval_s
        self._placed = np.array([p.node is not None for p in fleet.pods], dtype=np.bool_)
        self._batch = [self._batch_plan(i, w) for i, w in enumerate(fleet.workloads)]
        self._hpa = [
            self._hpa_plan(i, w, w.contract.hpa)
            for i, w in enumerate(fleet.workloads)
            if w.contract.hpa is not None
        ]
        always = self._placed.copy()
        for plan in self._batch:
            if plan is not None and plan.pods_live_only_in_runs:
                always[list(plan.pods)] = False
        for hpa in self._hpa:
            always[list(hpa.spec.pods)] = False
        self._always = always
        self._base_replicas = np.array([w.contract.replicas for w in fleet.workloads], np.int64)

    def _batch_plan(self, index: int, w: FleetWorkload) -> _BatchPlan | None:
        runs = []
        for position, container in enumerate(w.instance.spec.containers):
            if not isinstance(container.profile, BatchProfile):
                continue
            ids = [self._fleet.pods[p].containers[position] for p in w.pods]
            runs.append(
                _BatchRun(
                    duration_s=container.profile.duration_minutes * 60,
                    every_s=container.profile.every_minutes * 60,
                    containers=np.array(ids, dtype=np.int64),
                )
            )
        if not runs:
            return None
        return _BatchPlan(index, w, tuple(runs), w.pods, pods_live_only_in_runs=w.is_batch)

    def _hpa_plan(self, index: int, w: FleetWorkload, hpa: Hpa) -> _HpaPlan:
        first = self._fleet.pods[w.pods[0]].containers if w.pods else ()
        specs = [self._fleet.containers[c].spec for c in first]
        if hpa.metric == "cpu":
            request = float(sum(s.cpu_request_millicores for s in specs))
        else:
            request = float(sum(s.memory_request_bytes for s in specs))
        every = [c for p in w.pods for c in self._fleet.pods[p].containers]
        return _HpaPlan(
            index,
            w,
            hpa,
            representative=np.array(first, dtype=np.int64),
            request=request,
            containers=np.array(every, dtype=np.int64),
        )

    def window(self, start_s: int) -> WindowActivity:
        """Activity of the window ``[start_s, start_s + interval)`` (epoch seconds)."""
        n_containers = len(self._arrays)
        activity = WindowActivity(
            pod_active=self._always.copy(),
            run_fraction=np.ones(n_containers),
            cpu_scale=np.ones(n_containers),
            memory_scale=np.ones(n_containers),
            replicas=self._base_replicas.copy(),
            run_start_s={},
        )
        # Template copies share a schedule: evaluate each (schedule, duration) once per window.
        latest_runs: dict[tuple[str, int], int | None] = {}
        for plan in self._batch:
            if plan is not None:
                self._apply_runs(plan, activity, start_s, latest_runs)
        if self._hpa:
            self._apply_hpa(activity, start_s)
        return activity

    def _apply_runs(
        self,
        plan: _BatchPlan,
        activity: WindowActivity,
        start_s: int,
        latest_runs: dict[tuple[str, int], int | None],
    ) -> None:
        end_s = start_s + self._interval_s
        latest: int | None = None
        for run in plan.runs:
            schedule = plan.spec.schedule
            if schedule is None:
                began = self._latest_run(plan.spec, run, start_s, end_s)
            else:
                key = (schedule.expression, run.duration_s)
                if key not in latest_runs:
                    latest_runs[key] = self._latest_run(plan.spec, run, start_s, end_s)
                began = latest_runs[key]
            if began is None:
                activity.run_fraction[run.containers] = 0.0
                continue
            overlap = min(end_s, began + run.duration_s) - max(start_s, began)
            activity.run_fraction[run.containers] = overlap / self._interval_s
            latest = began if latest is None else max(latest, began)
        if not plan.pods_live_only_in_runs:
            return
        activity.replicas[plan.workload] = len(plan.pods) if latest is not None else 0
        for pod in plan.pods:
            live = latest is not None and bool(self._placed[pod])
            activity.pod_active[pod] = live
            if live and latest is not None:
                activity.run_start_s[pod] = latest

    def _latest_run(self, w: FleetWorkload, run: _BatchRun, start_s: int, end_s: int) -> int | None:
        """Start of the latest run that began before ``end_s`` and lasts past ``start_s``."""
        if w.schedule is not None:
            since = datetime.fromtimestamp(start_s - run.duration_s + 1, tz=UTC)
            until = datetime.fromtimestamp(end_s, tz=UTC)
            starts = list(w.schedule.starts_between(since, until))
            return int(starts[-1].timestamp()) if starts else None
        offset = w.run_offset_s % run.every_s
        began = offset + (end_s - 1 - offset) // run.every_s * run.every_s
        return began if began + run.duration_s > start_s else None

    def _apply_hpa(self, activity: WindowActivity, start_s: int) -> None:
        mid_s = start_s + self._interval_s / 2
        cpu, memory = expected_levels(self._arrays, at_s=mid_s, run_fraction=activity.run_fraction)
        for plan in self._hpa:
            hpa = plan.hpa
            demand = cpu if hpa.metric == "cpu" else memory
            load = float(demand[plan.representative].sum()) * plan.spec.load_replicas
            capacity = plan.request * hpa.target_utilization_pct / 100
            # Like the HPA controller, tolerate utilization up to (1 + tolerance) x target
            # before adding a replica.
            capacity *= 1 + HPA_TOLERANCE
            wanted = math.ceil(load / capacity) if capacity > 0 else plan.spec.load_replicas
            desired = min(max(wanted, hpa.min_replicas, 1), hpa.max_replicas)
            for ordinal, pod in enumerate(plan.spec.pods):
                activity.pod_active[pod] = ordinal < desired and bool(self._placed[pod])
            scale = plan.spec.load_replicas / desired
            activity.cpu_scale[plan.containers] = scale
            if hpa.metric == "memory":
                activity.memory_scale[plan.containers] = scale
            activity.replicas[plan.workload] = desired


def window_start_of(at: datetime, interval_s: int) -> int:
    """Epoch seconds of the start of the window containing ``at``."""
    epoch = math.floor(at.timestamp())
    return epoch - epoch % interval_s


def as_datetime(epoch_s: float) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=epoch_s)
