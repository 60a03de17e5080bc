"""Outcome rows: recommendations made in a lab, applied, and judged after a forward window."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta

from kubeopt_cli.simlab.fleets import TRAINING_MIXES, Mix, scenario_document
from kubeopt_cli.simlab.lab import START, Lab, TargetHistory, TargetOutcome, applied
from kubeopt_recommender.confidence import TrainingRow
from kubeopt_recommender.domain.carbon import CarbonCatalog
from kubeopt_recommender.domain.observations import ContainerKey
from kubeopt_recommender.domain.rightsizing import CpuLimitPolicy, PolicyProfile, RightsizingPolicy
from kubeopt_recommender.domain.usage_profile import ProfileParams
from kubeopt_recommender.domain.workloads import WorkloadFacts
from kubeopt_recommender.prices import PriceLookup
from kubeopt_recommender.service.drafts import (
    ContainerInputs,
    Draft,
    resources_from_json,
    rightsizing_draft,
)


def our_drafts(
    lab: Lab,
    histories: Mapping[ContainerKey, TargetHistory],
    policy: RightsizingPolicy,
    catalog: CarbonCatalog,
) -> dict[ContainerKey, Draft]:
    """The recommender's rightsizing drafts for every target with enough history."""
    out: dict[ContainerKey, Draft] = {}
    for t in lab.targets:
        h = histories.get(t.key)
        if h is None:
            continue
        facts = WorkloadFacts(kind=t.key[2], hpa_metric=t.hpa_metric, spec_seen=True)
        made = rightsizing_draft(
            ContainerInputs(h.observation, h.profile, facts, None),
            policy=policy,
            prices=PriceLookup(),
            catalog=catalog,
        )
        if isinstance(made, Draft):
            out[t.key] = made
    return out


def holds(outcome: TargetOutcome, *, max_throttled_pct: float = 10.0) -> bool:
    """The training label: no OOM kill and throttling within bounds over the forward window."""
    return outcome.oom_kills == 0 and outcome.throttled_pct <= max_throttled_pct


POLICY_VARIANTS = tuple(
    RightsizingPolicy(profile=p, cpu_limit=c)
    for p in PolicyProfile
    for c in (CpuLimitPolicy.NONE, CpuLimitPolicy.RATIO)
)


def outcome_rows(
    seed: int,
    mix: Mix,
    *,
    history_days: Sequence[int] = (1, 2, 4, 8),
    rounds: int = 1,
    forward_days: int = 7,
    catalog: CarbonCatalog,
    progress: Callable[[str], None] = lambda _: None,
) -> list[TrainingRow]:
    """Training rows from one simulated fleet: after each history length, every target gets a
    recommendation under a policy variant drawn at random (targets are independent, so one
    forward simulation judges them all), applied, and simulated ``forward_days``."""
    lab = Lab(scenario_document(seed, mix))
    snapshots = lab.replay(
        days=max(history_days),
        checkpoints=history_days,
        params=ProfileParams(),
        vpa_params=ProfileParams(),
    )
    rng = random.Random(seed * 7919 + 1)  # noqa: S311 - reproducible draws
    rows: list[TrainingRow] = []
    for days in history_days:
        for round_index in range(rounds):
            drafts: dict[ContainerKey, Draft] = {}
            by_variant: dict[int, list[ContainerKey]] = {}
            for t in lab.targets:
                by_variant.setdefault(rng.randrange(len(POLICY_VARIANTS)), []).append(t.key)
            for variant, keys in by_variant.items():
                chosen = {k: snapshots[days][k] for k in keys if k in snapshots[days]}
                drafts |= our_drafts(lab, chosen, POLICY_VARIANTS[variant], catalog)
            changes = {k: resources_from_json(d.recommended) for k, d in drafts.items()}
            outcomes = Lab(applied(lab.document, changes)).forward(
                start=START + timedelta(days=days), days=forward_days
            )
            source = f"sim:{mix.name}:{seed}"
            rows += [
                TrainingRow(d.features, int(holds(outcomes[k])), source)
                for k, d in sorted(drafts.items())
            ]
            progress(f"{mix.name} seed {seed}: {days} d history, round {round_index + 1}")
    return rows


def bootstrap_rows(
    seeds: Sequence[int],
    *,
    mixes: Sequence[Mix] = TRAINING_MIXES,
    catalog: CarbonCatalog,
    progress: Callable[[str], None] = lambda _: None,
) -> list[TrainingRow]:
    """Training rows from every (seed, mix) fleet."""
    rows: list[TrainingRow] = []
    for seed in seeds:
        for mix in mixes:
            rows += outcome_rows(seed, mix, catalog=catalog, progress=progress)
    return rows
