"""Workload-level drafts: spot candidacy, carbon-aware schedule shift, cleaner region."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from kubeopt_common.events import CapacityType, RecommendationKind
from kubeopt_recommender.domain.carbon import CarbonCatalog, best_shift, kwh_per_hour
from kubeopt_recommender.domain.cron import CronError, parse_hours
from kubeopt_recommender.domain.features import history_confidence
from kubeopt_recommender.domain.money import (
    HOURS_PER_MONTH,
    hourly_cost_nano_usd,
    monthly_nano_usd,
)
from kubeopt_recommender.domain.patches import SPOT_SELECTORS
from kubeopt_recommender.domain.spot import SpotInputs, assess
from kubeopt_recommender.domain.workloads import WorkloadFacts
from kubeopt_recommender.prices import PRICED, PriceLookup, unit_prices
from kubeopt_recommender.repository.nodes import StoredNode
from kubeopt_recommender.service.drafts import (
    ContainerInputs,
    Draft,
    Scalar,
    average_replicas,
    dollars,
)

BATCH_KINDS = ("CronJob", "Job")
DAYS_PER_MONTH = HOURS_PER_MONTH / 24


@dataclass(frozen=True)
class WorkloadInputs:
    cluster: str
    namespace: str
    kind: str
    name: str
    facts: WorkloadFacts
    containers: list[ContainerInputs]
    nodes: dict[str, StoredNode]

    def running_nodes(self) -> list[StoredNode]:
        names = {c.history.node for c in self.containers} | set(self.facts.nodes)
        return [self.nodes[n] for n in sorted(names) if n in self.nodes]

    @property
    def history_days(self) -> float:
        spans = [
            (c.history.last_seen - c.history.first_seen).total_seconds() for c in self.containers
        ]
        return max(spans, default=0.0) / 86_400


@dataclass(frozen=True, slots=True)
class Skip:
    reason: str
    detail: str = ""


def _draft(
    w: WorkloadInputs,
    kind: RecommendationKind,
    *,
    summary: str,
    current: dict[str, Any],
    recommended: dict[str, Any],
    details: dict[str, Scalar],
    reasons: list[str],
    monthly_savings_nano_usd: int,
    co2e_grams_per_month: float,
    price_status: str,
    confidence: float,
    confidence_source: str,
) -> Draft:
    return Draft(
        cluster=w.cluster,
        namespace=w.namespace,
        workload_kind=w.kind,
        workload=w.name,
        container="",
        kind=kind,
        summary=summary,
        current=current,
        recommended=recommended,
        details=details,
        reasons=reasons,
        monthly_savings_nano_usd=monthly_savings_nano_usd,
        co2e_grams_per_month=co2e_grams_per_month,
        price_status=price_status,
        confidence=confidence,
        confidence_source=confidence_source,
    )


def runs_per_day(facts: WorkloadFacts) -> float:
    if facts.schedule:
        try:
            return float(parse_hours(facts.schedule).runs_per_day)
        except CronError:
            return 1.0
    return 1.0


def job_duration_s(w: WorkloadInputs) -> float | None:
    """Average run length of a batch workload: replica-seconds observed per replica per run."""
    if w.kind not in BATCH_KINDS or not w.containers:
        return None
    main = max(w.containers, key=lambda c: c.history.observed_seconds)
    parallel = max(w.facts.replicas or 1, 1)
    # A batch workload's history spans from its first run's start to its last run's end:
    # (runs − 1) intervals plus one run, so the span in intervals, plus one, counts the runs.
    runs = math.floor(w.history_days * runs_per_day(w.facts) + 1) if w.facts.schedule else 1
    seconds = main.history.observed_seconds / parallel / runs
    return min(max(seconds, 60.0), 86_400.0)


# ----------------------------------------------------------------------------- spot


def spot_draft(w: WorkloadInputs, *, prices: PriceLookup) -> Draft | Skip:
    if not w.facts.spec_seen:
        return Skip("no_inventory", "the workload's spec has not been seen in an inventory")
    nodes = w.running_nodes()
    if not nodes:
        return Skip("no_nodes", "no node of the workload is known")
    if all(n.node.capacity_type is CapacityType.SPOT for n in nodes):
        return Skip("already_spot")
    provider = nodes[0].provider.value
    zones = {n.node.zone for n in nodes if n.node.zone}
    assessment = assess(SpotInputs(w.facts, provider, len(zones), job_duration_s(w)))
    if not assessment.candidate:
        blockers = "; ".join(c.detail for c in assessment.blockers) or f"score {assessment.score}"
        return Skip("not_spot_candidate", blockers)
    savings, priced = 0, prices.priced
    for c in w.containers:
        quote = prices.quotes.get(c.history.node)
        if quote is None or quote.on_demand_hourly_nano_usd <= 0:
            priced = False
            continue
        share = 1 - quote.spot_hourly_nano_usd / quote.on_demand_hourly_nano_usd
        hourly = hourly_cost_nano_usd(
            c.history.cpu_request_millicores, c.history.memory_request_bytes, unit_prices(quote)
        )
        savings += monthly_nano_usd(hourly * share, replicas=average_replicas(c.history))
    status = PRICED if priced else (prices.status if not prices.priced else "unavailable: partial")
    selector, _ = SPOT_SELECTORS.get(provider, ({"kubeopt.io/capacity-type": "spot"}, []))
    return _draft(
        w,
        RecommendationKind.SPOT,
        summary=f"{w.kind} {w.name}: spot-ready (score {assessment.score:.2f}); "
        f"{dollars(savings)}/month",
        current={
            "capacity_type": "on_demand",
            "instance_types": sorted({n.node.instance_type for n in nodes}),
        },
        recommended={"capacity_type": "spot", "node_selector": selector, "provider": provider},
        details={
            "score": assessment.score,
            "zones": len(zones),
            "price_status": status,
            **{f"check_{c.name}": c.status.value for c in assessment.checks},
        },
        reasons=assessment.reasons(),
        monthly_savings_nano_usd=savings,
        co2e_grams_per_month=0.0,
        price_status=status,
        confidence=assessment.score,
        confidence_source="spot:score",
    )


# ----------------------------------------------------------------------------- carbon


def _energy_kwh_per_hour(w: WorkloadInputs, catalog: CarbonCatalog, provider: str) -> float:
    """Facility kWh per running hour of all the workload's containers (one replica each)."""
    coefficients = catalog.coefficients(provider)
    total = 0.0
    for c in w.containers:
        request = max(c.history.cpu_request_millicores, 1)
        profile = c.profile
        mean = profile.moments.cpu / profile.moments.n if profile and profile.moments.n else 0.0
        total += kwh_per_hour(
            request, c.history.memory_request_bytes, coefficients, utilisation=mean / request
        )
    return total


def carbon_shift_draft(
    w: WorkloadInputs, *, catalog: CarbonCatalog, min_reduction: float
) -> Draft | Skip:
    if w.kind not in BATCH_KINDS:
        return Skip("not_batch")
    nodes = w.running_nodes()
    if not nodes:
        return Skip("no_nodes", "no node of the workload is known")
    provider, region = nodes[0].provider.value, nodes[0].region
    hourly = catalog.hourly_profile(provider, region)
    if hourly is None:
        return Skip("no_hourly_profile", f"no hourly grid profile for {provider}/{region}")
    if not w.facts.schedule:
        return Skip("no_schedule", "a Job without a schedule has no start time to move")
    try:
        cron = parse_hours(w.facts.schedule)
    except CronError as err:
        return Skip("unreadable_schedule", str(err))
    if cron.every_hour:
        return Skip("runs_every_hour", f"{w.facts.schedule!r} starts in every hour")
    duration_h = (job_duration_s(w) or 3600.0) / 3600
    plan = best_shift(hourly, start_hours=cron.start_hours, duration_hours=duration_h)
    if plan.shift_hours == 0 or plan.reduction < min_reduction:
        return Skip("already_low_carbon", f"best shift saves {plan.reduction:.0%}")
    runs_month = cron.runs_per_day * DAYS_PER_MONTH
    parallel = max(w.facts.replicas or 1, 1)
    kwh_run = _energy_kwh_per_hour(w, catalog, provider) * duration_h * parallel
    grams = runs_month * kwh_run * (plan.current_grams_per_kwh - plan.best_grams_per_kwh)
    new_schedule = cron.shifted(plan.shift_hours)
    return _draft(
        w,
        RecommendationKind.CARBON_SHIFT,
        summary=f"CronJob {w.name}: schedule {w.facts.schedule!r} → {new_schedule!r} (UTC), "
        f"{plan.reduction:.0%} cleaner grid, {grams / 1000:,.2f} kgCO2e/month",
        current={
            "schedule": w.facts.schedule,
            "grams_per_kwh": round(plan.current_grams_per_kwh, 2),
        },
        recommended={
            "schedule": new_schedule,
            "grams_per_kwh": round(plan.best_grams_per_kwh, 2),
            "shift_hours": plan.shift_hours,
        },
        details={
            "region": region,
            "duration_hours": round(duration_h, 3),
            "runs_per_day": cron.runs_per_day,
            "reduction": round(plan.reduction, 4),
            "hourly_profile": "configured",
            "price_status": "not needed",
        },
        reasons=[
            f"runs ~{duration_h * 60:.0f} min {cron.runs_per_day}× a day; the {duration_h:.1f} h "
            f"window from {plan.shift_hours} h later has the lowest mean intensity"
        ],
        monthly_savings_nano_usd=0,
        co2e_grams_per_month=round(grams, 3),
        price_status="not needed",
        confidence=round(history_confidence(w.history_days), 4),
        confidence_source="heuristic:history",
    )


@dataclass(frozen=True, slots=True)
class RegionCandidate:
    provider: str
    region: str
    grams_per_kwh: float
    current_region: str
    current_grams_per_kwh: float
    node: StoredNode


def region_candidate(
    w: WorkloadInputs, *, catalog: CarbonCatalog, min_reduction: float
) -> RegionCandidate | Skip:
    """The cleanest region of the same provider and geography, if clean enough."""
    if w.kind not in BATCH_KINDS:
        return Skip("not_batch")
    nodes = w.running_nodes()
    if not nodes:
        return Skip("no_nodes", "no node of the workload is known")
    node = nodes[0]
    provider, region = node.provider.value, node.region
    here = catalog.intensity(provider, region)
    cleaner = [
        r
        for r in catalog.same_geo(provider, region)
        if r.grams_per_kwh <= here.grams_per_kwh * (1 - min_reduction)
    ]
    if not cleaner:
        return Skip("no_cleaner_region", f"no region near {region} is {min_reduction:.0%} cleaner")
    best = cleaner[0]
    return RegionCandidate(
        provider, best.region, best.grams_per_kwh, region, here.grams_per_kwh, node
    )


def _monthly_cost(w: WorkloadInputs, quote_prices: PriceLookup, fallback_node: str) -> int | None:
    total = 0
    for c in w.containers:
        quote = quote_prices.quotes.get(c.history.node) or quote_prices.quotes.get(fallback_node)
        if quote is None:
            return None
        hourly = hourly_cost_nano_usd(
            c.history.cpu_request_millicores, c.history.memory_request_bytes, unit_prices(quote)
        )
        total += monthly_nano_usd(hourly, replicas=average_replicas(c.history))
    return total


def carbon_region_draft(
    w: WorkloadInputs,
    candidate: RegionCandidate,
    *,
    here: PriceLookup,
    there: PriceLookup,
    catalog: CarbonCatalog,
) -> Draft:
    """Move a batch workload to ``candidate``; savings = cost here − cost there."""
    node = candidate.node.node.name
    cost_here = _monthly_cost(w, here, node)
    cost_there = _monthly_cost(w, there, node)
    priced = cost_here is not None and cost_there is not None
    delta = (cost_here or 0) - (cost_there or 0) if priced else 0
    status = PRICED if priced else (there.status if not there.priced else here.status)
    replicas = sum(average_replicas(c.history) for c in w.containers) / max(len(w.containers), 1)
    kwh = _energy_kwh_per_hour(w, catalog, candidate.provider) * replicas * HOURS_PER_MONTH
    grams = kwh * (candidate.current_grams_per_kwh - candidate.grams_per_kwh)
    if not priced:
        cost_text = "cost delta unpriced"
    elif delta < 0:
        cost_text = f"costs {dollars(-delta)}/month more"
    else:
        cost_text = f"costs {dollars(delta)}/month less"
    return _draft(
        w,
        RecommendationKind.CARBON_REGION,
        summary=f"{w.kind} {w.name}: run in {candidate.region} instead of "
        f"{candidate.current_region}: {grams / 1000:,.2f} kgCO2e/month less, {cost_text}",
        current={
            "region": candidate.current_region,
            "grams_per_kwh": candidate.current_grams_per_kwh,
            "monthly_cost_nano_usd": cost_here,
        },
        recommended={
            "region": candidate.region,
            "grams_per_kwh": candidate.grams_per_kwh,
            "monthly_cost_nano_usd": cost_there,
        },
        details={
            "provider": candidate.provider,
            "from_region": candidate.current_region,
            "to_region": candidate.region,
            "cost_delta_nano_usd": -delta,
            "price_status": status,
        },
        reasons=[
            "annual average grid intensity (location-based) of the two regions; "
            "data residency and data-transfer cost are not checked"
        ],
        monthly_savings_nano_usd=delta,
        co2e_grams_per_month=round(grams, 3),
        price_status=status,
        confidence=round(history_confidence(w.history_days), 4),
        confidence_source="heuristic:history",
    )
