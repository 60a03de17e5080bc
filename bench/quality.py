"""Quality benchmark of the recommender: slack and OOMs against KRR and VPA, confidence AUC.

A held-out simulated fleet (another seed and profile mix than the confidence bootstrap) is
replayed for 8 days; each strategy's recommendations are applied and the fleet is simulated
forward 7 days. Per strategy: mean slack of memory and CPU requests over the day's P95 usage
(%, over container-days, 0 when usage exceeds the request), OOM kills per container-day, and
throttled time (% of running time).

* ``ours_*``: the recommender's rightsizing (decaying histograms, profile percentiles, margin,
  floors, OOM bump, HPA-aware, memory limit from the highest peak, no CPU limit);
* ``krr_simple``: KRR's default strategy — CPU request P95, memory request = limit = max +15 %,
  CPU limit unset, floors 10 m / 100 MB, CPU left alone under a CPU HPA ("?" in KRR);
* ``vpa_style``: VPA's recommender — target P90 +15 % of 24 h half-life histograms, memory from
  24 h peaks, 25 m / 250 MiB per pod floors, limits scaled to keep the limit/request ratio,
  CPU left alone under a CPU HPA (VPA must not fight it).

Confidence: a model trained on simulated outcomes of other fleets (``simlab.bootstrap_rows``),
scored on the held-out fleet's recommendations against the history-length fallback.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

import numpy as np

from kubeopt_cli.simlab import (
    HELD_OUT_MIX,
    START,
    Lab,
    TargetHistory,
    applied,
    bootstrap_rows,
    our_drafts,
    outcome_rows,
    scenario_document,
    summarize,
)
from kubeopt_recommender import confidence
from kubeopt_recommender.carbon_catalog import load_catalog
from kubeopt_recommender.domain.observations import ContainerKey
from kubeopt_recommender.domain.rightsizing import PolicyProfile, Resources, RightsizingPolicy
from kubeopt_recommender.domain.usage_profile import ProfileParams
from kubeopt_recommender.service.drafts import resources_from_json

MIB = 2**20
HISTORY_DAYS = 8
FORWARD_DAYS = 7
HELD_OUT_SEED = 9001
TRAINING_SEEDS = (11, 12)
VPA_PARAMS = ProfileParams(
    cpu_half_life_s=86_400.0, memory_half_life_s=86_400.0, memory_interval_s=86_400
)
Strategy = Callable[[Lab, Mapping[ContainerKey, TargetHistory]], dict[ContainerKey, Resources]]


def _mib_ceil(value: float) -> int:
    return math.ceil(value / MIB) * MIB


def krr_simple(
    lab: Lab, histories: Mapping[ContainerKey, TargetHistory]
) -> dict[ContainerKey, Resources]:
    out = {}
    for t in lab.targets:
        h = histories.get(t.key)
        if h is None:
            continue
        cpu = max(math.ceil(float(np.percentile(np.concatenate(h.cpu_samples), 95))), 10)
        memory = max(_mib_ceil(float(np.concatenate(h.memory_peaks).max()) * 1.15), 100 * 10**6)
        if t.hpa_metric == "cpu":
            cpu = t.current.cpu_request_millicores
        out[t.key] = Resources(cpu, memory, None, memory)
    return out


def _pod_containers(lab: Lab) -> dict[int, int]:
    counts: dict[int, int] = {}
    for t in lab.targets:
        counts[t.workload] = counts.get(t.workload, 0) + 1
    return counts


def vpa_style(
    lab: Lab, histories: Mapping[ContainerKey, TargetHistory]
) -> dict[ContainerKey, Resources]:
    per_pod = _pod_containers(lab)
    out = {}
    for t in lab.targets:
        h = histories.get(t.key)
        if h is None:
            continue
        n = per_pod[t.workload]
        cpu = math.ceil(max(h.vpa_profile.cpu_millicores(0.9) * 1.15, 25 / n))
        memory = _mib_ceil(max(h.vpa_profile.memory_bytes(0.9) * 1.15, 250 * MIB / n))
        if t.hpa_metric == "cpu":
            cpu = t.current.cpu_request_millicores
        c = t.current
        cpu_limit = (
            math.ceil(cpu * c.cpu_limit_millicores / c.cpu_request_millicores)
            if c.cpu_limit_millicores and c.cpu_request_millicores
            else None
        )
        memory_limit = (
            _mib_ceil(memory * c.memory_limit_bytes / c.memory_request_bytes)
            if c.memory_limit_bytes and c.memory_request_bytes
            else None
        )
        out[t.key] = Resources(cpu, memory, cpu_limit, memory_limit)
    return out


def ours(profile: PolicyProfile) -> Strategy:
    catalog = load_catalog()

    def decide(
        lab: Lab, histories: Mapping[ContainerKey, TargetHistory]
    ) -> dict[ContainerKey, Resources]:
        drafts = our_drafts(lab, histories, RightsizingPolicy(profile=profile), catalog)
        return {k: resources_from_json(d.recommended) for k, d in drafts.items()}

    return decide


STRATEGIES: dict[str, Strategy] = {
    "ours_savings": ours(PolicyProfile.SAVINGS),
    "ours_balanced": ours(PolicyProfile.BALANCED),
    "ours_reliability": ours(PolicyProfile.RELIABILITY),
    "krr_simple": krr_simple,
    "vpa_style": vpa_style,
}


def strategies_side_by_side() -> dict[str, dict[str, float]]:
    lab = Lab(scenario_document(HELD_OUT_SEED, HELD_OUT_MIX))
    histories = lab.replay(
        days=HISTORY_DAYS, checkpoints=[HISTORY_DAYS], params=ProfileParams(), vpa_params=VPA_PARAMS
    )[HISTORY_DAYS]
    start = START + timedelta(days=HISTORY_DAYS)
    results = {}
    for name, strategy in STRATEGIES.items():
        changes = strategy(lab, histories)
        outcomes = Lab(applied(lab.document, changes)).forward(start=start, days=FORWARD_DAYS)
        results[name] = summarize(outcomes)
    return results


def confidence_quality() -> dict[str, float | int]:
    catalog = load_catalog()
    trained = confidence.train(bootstrap_rows(TRAINING_SEEDS, catalog=catalog), seed=0)
    model = confidence.ConfidenceModel(
        version=0,
        booster=trained.booster,
        calibration=trained.calibration,
        feature_names=trained.feature_names,
    )
    test = outcome_rows(HELD_OUT_SEED, HELD_OUT_MIX, catalog=catalog, rounds=2)
    metrics = confidence.evaluate(model, test)
    return {
        name: metrics[name] for name in ("auc", "brier", "baseline_auc", "baseline_brier", "n_test")
    }


def _run() -> dict[str, Any]:
    return {"strategies": strategies_side_by_side(), "confidence": confidence_quality()}


async def run() -> dict[str, Any]:
    """The ``quality.json`` document (see the module docstring)."""
    return await asyncio.to_thread(_run)
