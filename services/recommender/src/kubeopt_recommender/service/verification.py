"""Applied detection, verification after the window, and snooze expiry.

* A live rightsizing recommendation whose container's requests (as the latest ``usage.sampled``
  reports them) now match the recommendation is *applied* — with or without an approval here.
  A spot recommendation is applied when an inventory snapshot newer than it puts every pod on
  spot nodes; a schedule shift when the CronJob's schedule (inventory) is the recommended one.
* ``verify_after`` (applied + window) past, the usage since applying decides: OOM kills,
  restarts and throttling from the observation totals (differences against the baseline taken
  when applied), and the realised savings — cost per replica before vs after at the node's unit
  prices, times the replicas that actually ran (so HPA scaling is not counted as savings).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.events import (
    CapacityType,
    RecommendationKind,
    RecommendationState,
    RecommendationUpdated,
)
from kubeopt_recommender.domain.lifecycle import check_transition
from kubeopt_recommender.domain.money import HOURS_PER_MONTH, hourly_cost_nano_usd
from kubeopt_recommender.domain.observations import ContainerHistory
from kubeopt_recommender.models import RecommendationRow
from kubeopt_recommender.prices import PriceLookup, unit_prices
from kubeopt_recommender.repository import list_observations
from kubeopt_recommender.repository import recommendations as repo
from kubeopt_recommender.repository.nodes import StoredNode, get_nodes
from kubeopt_recommender.repository.workloads import get_workloads
from kubeopt_recommender.service.drafts import resources_from_json
from kubeopt_recommender.service.recommendations import move

S = RecommendationState
K = RecommendationKind
ACTOR_DETECTOR = "kubeopt:detector"
ACTOR_VERIFIER = "kubeopt:verifier"
ACTOR_SCHEDULER = "kubeopt:scheduler"
_COUNTERS = ("oom_kills", "restarts", "throttled_ms", "observed_seconds", "samples")


@dataclass(frozen=True, slots=True)
class VerificationPolicy:
    window: timedelta
    match_tolerance: float
    max_throttled_pct: float
    min_realized_fraction: float


async def target_histories(session: AsyncSession, row: RecommendationRow) -> list[ContainerHistory]:
    """The observed containers a recommendation is about (one, or all of its workload)."""
    histories = await list_observations(
        session, limit=None, cluster=row.cluster, namespace=row.namespace
    )
    return [
        h
        for h in histories
        if h.key[2] == row.workload_kind
        and h.key[3] == row.workload
        and (not row.container or h.key[4] == row.container)
    ]


def totals(histories: Sequence[ContainerHistory]) -> dict[str, Any]:
    out: dict[str, Any] = {name: sum(getattr(h, name) for h in histories) for name in _COUNTERS}
    out["cpu_request_millicores"] = sum(h.cpu_request_millicores for h in histories)
    out["memory_request_bytes"] = sum(h.memory_request_bytes for h in histories)
    return out


async def mark_applied(
    session: AsyncSession,
    row: RecommendationRow,
    *,
    actor: str,
    comment: str,
    now: datetime,
    window: timedelta,
) -> RecommendationUpdated:
    """``row`` → applied; the baseline of its counters is taken now, verified after ``window``.

    Raises :class:`~kubeopt_recommender.domain.lifecycle.IllegalTransitionError` first, before
    anything changes, when ``row`` cannot become applied."""
    check_transition(row.id, S(row.state), S.APPLIED)
    row.applied_at = now
    row.verify_after = now + window
    row.baseline = totals(await target_histories(session, row))
    return move(session, row, S.APPLIED, actor=actor, comment=comment, now=now)


def _within(value: int, wanted: int, tolerance: float) -> bool:
    return abs(value - wanted) <= tolerance * max(wanted, 1)


async def _is_applied(session: AsyncSession, row: RecommendationRow, tolerance: float) -> str:
    """Why ``row`` looks applied now ("" when it does not)."""
    histories = await target_histories(session, row)
    if row.kind == K.RIGHTSIZING.value:
        if len(histories) != 1 or histories[0].last_seen <= row.created_at:
            return ""
        h, want = histories[0], resources_from_json(row.recommended)
        if _within(h.cpu_request_millicores, want.cpu_request_millicores, tolerance) and _within(
            h.memory_request_bytes, want.memory_request_bytes, tolerance
        ):
            return (
                f"requests now match: cpu {h.cpu_request_millicores}m, memory "
                f"{h.memory_request_bytes} B (usage at {h.last_seen.isoformat()})"
            )
        return ""
    if row.kind == K.SPOT.value:
        return await _on_spot(session, row)
    if row.kind == K.CARBON_SHIFT.value:
        stored = await get_workloads(
            session, row.cluster, [(row.namespace, row.workload_kind, row.workload)]
        )
        facts = next(iter(stored.values()), None)
        if facts is not None and facts.facts.schedule == row.recommended.get("schedule"):
            return f"the schedule is now {facts.facts.schedule!r}"
    return ""


async def _on_spot(session: AsyncSession, row: RecommendationRow) -> str:
    """Applied when an inventory snapshot newer than the recommendation puts every pod of the
    workload on spot nodes (node capacity types as the usage events report them)."""
    key = (row.namespace, row.workload_kind, row.workload)
    stored = (await get_workloads(session, row.cluster, [key])).get(key)
    if stored is None or stored.last_seen <= row.created_at or not stored.facts.nodes:
        return ""
    nodes = await get_nodes(session, row.cluster, stored.facts.nodes)
    if len(nodes) == len(stored.facts.nodes) and all(
        n.node.capacity_type is CapacityType.SPOT for n in nodes.values()
    ):
        return f"every pod now runs on spot nodes ({', '.join(sorted(nodes))})"
    return ""


async def _all(
    session: AsyncSession, states: set[S], *, verify_before: datetime | None = None
) -> AsyncIterator[RecommendationRow]:
    """Every recommendation in ``states``, page by page (keyset on the id)."""
    last = ""
    while page := await repo.in_states(session, states, verify_before=verify_before, after_id=last):
        for row in page:
            yield row
        last = page[-1].id


async def detect(
    session: AsyncSession, *, policy: VerificationPolicy, now: datetime
) -> list[RecommendationUpdated]:
    """Applied detection for live recommendations, and snoozes that ran out."""
    events: list[RecommendationUpdated] = []
    async for row in _all(session, {S.OPEN, S.APPROVED, S.SNOOZED}):
        why = await _is_applied(session, row, policy.match_tolerance)
        if why:
            events.append(
                await mark_applied(
                    session, row, actor=ACTOR_DETECTOR, comment=why, now=now, window=policy.window
                )
            )
        elif row.state == S.SNOOZED.value and row.snoozed_until and row.snoozed_until <= now:
            events.append(
                move(session, row, S.OPEN, actor=ACTOR_SCHEDULER, comment="snooze ended", now=now)
            )
    return events


# ----------------------------------------------------------------------------- verification


@dataclass(frozen=True)
class DueItem:
    recommendation_id: str
    cluster: str
    nodes: list[StoredNode]


async def due(session: AsyncSession, *, now: datetime) -> list[DueItem]:
    """Applied recommendations whose window has passed, with the nodes to price."""
    out = []
    async for row in _all(session, {S.APPLIED}, verify_before=now):
        histories = await target_histories(session, row)
        nodes = await get_nodes(session, row.cluster, {h.node for h in histories})
        out.append(DueItem(row.id, row.cluster, list(nodes.values())))
    return out


def _realized(
    row: RecommendationRow,
    histories: Sequence[ContainerHistory],
    prices: PriceLookup,
    replicas: float,
) -> int | None:
    """Monthly saving actually in force: per-replica cost before − after, × replicas that ran."""
    if row.kind in (K.CARBON_SHIFT.value, K.CARBON_REGION.value):
        return 0
    if not histories:
        return None
    quote = prices.quotes.get(histories[0].node)
    if quote is None:
        return None
    if row.kind == K.SPOT.value:
        ran_on_spot = quote.spot_hourly_nano_usd == quote.hourly_nano_usd
        return row.monthly_savings_nano_usd if ran_on_spot else 0
    before = resources_from_json(row.current)
    now = histories[0]
    per_replica = hourly_cost_nano_usd(
        before.cpu_request_millicores, before.memory_request_bytes, unit_prices(quote)
    ) - hourly_cost_nano_usd(
        now.cpu_request_millicores, now.memory_request_bytes, unit_prices(quote)
    )
    return round(per_replica * replicas * HOURS_PER_MONTH)


async def verify(
    session: AsyncSession,
    item: DueItem,
    prices: PriceLookup,
    *,
    policy: VerificationPolicy,
    now: datetime,
) -> RecommendationUpdated | None:
    """Judge one applied recommendation (None when it is not due, or saw no usage yet)."""
    row = await repo.get(session, item.recommendation_id, lock=True)
    if row is None or row.state != S.APPLIED.value or row.applied_at is None:
        return None
    histories = await target_histories(session, row)
    current = totals(histories)
    base = row.baseline or {}
    delta = {name: current[name] - int(base.get(name, 0)) for name in _COUNTERS}
    if delta["observed_seconds"] <= 0:
        return None
    elapsed_s = max((now - row.applied_at).total_seconds(), 1.0)
    replicas = delta["observed_seconds"] / elapsed_s
    throttled_pct = 100 * delta["throttled_ms"] / (delta["observed_seconds"] * 1000)
    realized = _realized(row, histories, prices, replicas)
    failures = []
    if delta["oom_kills"] > 0:
        failures.append(f"{delta['oom_kills']} OOM kill(s)")
    if throttled_pct > policy.max_throttled_pct:
        failures.append(f"throttled {throttled_pct:.1f}% of the time")
    estimated = row.monthly_savings_nano_usd
    if (
        realized is not None
        and estimated > 0
        and realized < policy.min_realized_fraction * estimated
    ):
        failures.append(f"realized {realized} of {estimated} nano-USD/month estimated")
    row.realized_savings_nano_usd = realized
    row.outcome = {
        "oom_kills": delta["oom_kills"],
        "restarts": delta["restarts"],
        "throttled_pct": round(throttled_pct, 3),
        "observed_hours": round(delta["observed_seconds"] / 3600, 3),
        "average_replicas": round(replicas, 3),
        "realized_savings_nano_usd": realized,
        "price_status": prices.status,
        "holds": not failures,
        "failures": failures,
    }
    target = S.REGRESSED if failures else S.VERIFIED
    comment = "; ".join(failures) or f"held for {elapsed_s / 3600:.0f} h"
    row.state_reason = comment if failures else ""
    return move(session, row, target, actor=ACTOR_VERIFIER, comment=comment, now=now)
