"""Recommendation drafts: what a run proposes for one target, before it is stored.

A draft is built from loaded inputs (observation, usage profile, workload facts, node, prices)
with the pure domain functions; the confidence is filled in afterwards for a whole chunk at once
(one model call). Storing drafts is :mod:`kubeopt_recommender.service.recommendations`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from kubeopt_common.events import RecommendationKind
from kubeopt_recommender.domain.carbon import CarbonCatalog, monthly_grams_saved
from kubeopt_recommender.domain.features import (
    EvidenceFacts,
    Features,
    history_confidence,
    rightsizing_features,
)
from kubeopt_recommender.domain.money import monthly_delta_nano_usd
from kubeopt_recommender.domain.observations import ContainerHistory, history_facts
from kubeopt_recommender.domain.patches import format_cpu, format_memory
from kubeopt_recommender.domain.rightsizing import (
    Resources,
    Rightsized,
    RightsizingPolicy,
    Skipped,
    rightsize,
)
from kubeopt_recommender.domain.usage_profile import ProfileParams, UsageProfile
from kubeopt_recommender.domain.workloads import WorkloadFacts
from kubeopt_recommender.prices import PRICED, PriceLookup, unit_prices
from kubeopt_recommender.repository.nodes import StoredNode

Scalar = str | int | float | bool | None
NANO = 1_000_000_000


@dataclass(frozen=True)
class Draft:
    cluster: str
    namespace: str
    workload_kind: str
    workload: str
    container: str
    kind: RecommendationKind
    summary: str
    current: dict[str, Any]
    recommended: dict[str, Any]
    details: dict[str, Scalar]
    reasons: list[str]
    monthly_savings_nano_usd: int
    co2e_grams_per_month: float
    price_status: str
    confidence: float
    confidence_source: str
    features: Features = field(default_factory=dict)

    @property
    def target(self) -> tuple[str, str, str, str, str]:
        return (self.namespace, self.workload_kind, self.workload, self.container, self.kind.value)


def resources_json(r: Resources) -> dict[str, int | None]:
    return {
        "cpu_request_millicores": r.cpu_request_millicores,
        "memory_request_bytes": r.memory_request_bytes,
        "cpu_limit_millicores": r.cpu_limit_millicores,
        "memory_limit_bytes": r.memory_limit_bytes,
    }


def resources_from_json(data: dict[str, Any]) -> Resources:
    return Resources(
        int(data["cpu_request_millicores"]),
        int(data["memory_request_bytes"]),
        data.get("cpu_limit_millicores"),
        data.get("memory_limit_bytes"),
    )


def dollars(nano_usd: int) -> str:
    sign = "-" if nano_usd < 0 else ""
    return f"{sign}${abs(nano_usd) / NANO:,.2f}"


def average_replicas(history: ContainerHistory) -> float:
    """Replicas running on average over the history (observed replica-seconds / seconds);
    a CronJob's duty cycle is in it, so its cost counts only while it runs."""
    span = (history.last_seen - history.first_seen).total_seconds()
    return history.observed_seconds / span if span > 0 else 0.0


@dataclass(frozen=True)
class ContainerInputs:
    history: ContainerHistory
    profile: UsageProfile | None
    facts: WorkloadFacts | None
    node: StoredNode | None


def _current(history: ContainerHistory) -> Resources:
    return Resources(
        history.cpu_request_millicores,
        history.memory_request_bytes,
        history.cpu_limit_millicores,
        history.memory_limit_bytes,
    )


def _summary(container: str, before: Resources, after: Resources, savings: str) -> str:
    parts = []
    if before.cpu_request_millicores != after.cpu_request_millicores:
        parts.append(
            f"CPU {format_cpu(before.cpu_request_millicores)}→"
            f"{format_cpu(after.cpu_request_millicores)}"
        )
    if before.memory_request_bytes != after.memory_request_bytes:
        parts.append(
            f"memory {format_memory(before.memory_request_bytes)}→"
            f"{format_memory(after.memory_request_bytes)}"
        )
    if before.memory_limit_bytes != after.memory_limit_bytes and after.memory_limit_bytes:
        parts.append(f"memory limit {format_memory(after.memory_limit_bytes)}")
    return f"{container}: {', '.join(parts) or 'limits only'}; {savings}"


def rightsizing_draft(
    inputs: ContainerInputs,
    *,
    policy: RightsizingPolicy,
    prices: PriceLookup,
    catalog: CarbonCatalog,
) -> Draft | Skipped:
    """The rightsizing draft of one container (confidence: the history fallback for now)."""
    h = inputs.history
    facts = history_facts(h, min_history_hours=policy.min_history_hours)
    profile = inputs.profile
    if profile is None:
        profile = UsageProfile.empty(ProfileParams())
    hpa = inputs.facts.hpa_metric if inputs.facts else None
    decision = rightsize(
        profile,
        current=_current(h),
        history_hours=facts.history_hours,
        samples=h.samples,
        hpa_metric=hpa,
        policy=policy,
    )
    if isinstance(decision, Skipped):
        return decision
    return _draft(inputs, decision, policy=policy, prices=prices, catalog=catalog, profile=profile)


def _draft(
    inputs: ContainerInputs,
    decision: Rightsized,
    *,
    policy: RightsizingPolicy,
    prices: PriceLookup,
    catalog: CarbonCatalog,
    profile: UsageProfile,
) -> Draft:
    h = inputs.history
    cluster, namespace, kind, workload, container = h.key
    replicas = average_replicas(h)
    before = (decision.current.cpu_request_millicores, decision.current.memory_request_bytes)
    after = (
        decision.recommended.cpu_request_millicores,
        decision.recommended.memory_request_bytes,
    )
    quote = prices.quotes.get(h.node)
    status = PRICED if quote is not None else _unpriced(prices, h.node)
    savings = (
        monthly_delta_nano_usd(
            before=before, after=after, prices=unit_prices(quote), replicas=replicas
        )
        if quote is not None
        else 0
    )
    provider = inputs.node.provider.value if inputs.node else "default"
    region = inputs.node.region if inputs.node else ""
    grams = monthly_grams_saved(
        before=before,
        after=after,
        replicas=replicas,
        provider=provider,
        region=region,
        catalog=catalog,
    )
    features, covered_days = _features(
        inputs, decision, policy=policy, profile=profile, replicas=replicas
    )
    shown = f"{dollars(savings)}/month" if quote is not None else "savings unpriced"
    return Draft(
        cluster=cluster,
        namespace=namespace,
        workload_kind=kind,
        workload=workload,
        container=container,
        kind=RecommendationKind.RIGHTSIZING,
        summary=_summary(container, decision.current, decision.recommended, shown),
        current=resources_json(decision.current),
        recommended=resources_json(decision.recommended),
        details=_details(decision, replicas=replicas, policy=policy, status=status),
        reasons=list(decision.reasons),
        monthly_savings_nano_usd=savings,
        co2e_grams_per_month=round(grams, 3),
        price_status=status,
        confidence=round(history_confidence(covered_days), 4),
        confidence_source="heuristic:history",
        features=features,
    )


def _features(
    inputs: ContainerInputs,
    decision: Rightsized,
    *,
    policy: RightsizingPolicy,
    profile: UsageProfile,
    replicas: float,
) -> tuple[Features, float]:
    """The confidence features of a decision, and the days of history samples cover."""
    h = inputs.history
    history_days = (h.last_seen - h.first_seen).total_seconds() / 86_400
    evidence = EvidenceFacts(
        history_days=history_days,
        covered_days=min(history_days, profile.history_days()),
        samples=h.samples,
        oom_kills=h.oom_kills,
        restarts=h.restarts,
        replicas=replicas,
        kind=h.key[2],
        hpa_metric=inputs.facts.hpa_metric if inputs.facts else None,
    )
    features = rightsizing_features(
        profile,
        evidence,
        current=decision.current,
        recommended=decision.recommended,
        policy=policy.profile,
    )
    return features, evidence.covered_days


def _details(
    decision: Rightsized, *, replicas: float, policy: RightsizingPolicy, status: str
) -> dict[str, Scalar]:
    c, r = decision.current, decision.recommended
    return {
        "profile": policy.profile.value,
        "cpu_request_millicores_before": c.cpu_request_millicores,
        "cpu_request_millicores_after": r.cpu_request_millicores,
        "memory_request_bytes_before": c.memory_request_bytes,
        "memory_request_bytes_after": r.memory_request_bytes,
        "cpu_limit_millicores_after": r.cpu_limit_millicores,
        "memory_limit_bytes_after": r.memory_limit_bytes,
        "cpu_target_millicores": decision.cpu_target_millicores,
        "memory_target_bytes": decision.memory_target_bytes,
        "memory_max_peak_bytes": decision.memory_max_bytes,
        "average_replicas": round(replicas, 3),
        "price_status": status,
    }


def _unpriced(prices: PriceLookup, node: str) -> str:
    return prices.status if not prices.priced else f"unavailable: costing sent no quote for {node}"


def with_confidence(draft: Draft, confidence: float, source: str) -> Draft:
    return replace(draft, confidence=round(confidence, 4), confidence_source=source)
