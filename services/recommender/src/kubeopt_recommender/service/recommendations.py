"""Storing drafts as recommendations, state transitions, and the events about them.

A re-run updates the live recommendation of the same target and kind instead of adding one:
an ``open`` one takes the new values (``recommendation.updated``); an ``approved`` or
``snoozed`` one is left as the user decided; an ``applied`` one is under verification. A target
rejected within the cool-down gets no new recommendation. Every change bumps ``revision``, which
keys the event id, so a retried publish is deduplicated by JetStream.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.events import (
    RecommendationCreated,
    RecommendationKind,
    RecommendationState,
    RecommendationUpdated,
    Target,
    WorkloadKind,
    event_id_for,
)
from kubeopt_recommender.domain.lifecycle import check_transition
from kubeopt_recommender.models import RecommendationRow
from kubeopt_recommender.repository import recommendations as repo
from kubeopt_recommender.service.drafts import Draft

S = RecommendationState
RecommendationEvent = RecommendationCreated | RecommendationUpdated
PRODUCER = "recommender"
ACTOR_RUN = "kubeopt:run"
CONFIDENCE_CHANGE = 0.05
SAVINGS_CHANGE = 0.05


class RecommendationNotFoundError(LookupError):
    def __init__(self, recommendation_id: str) -> None:
        super().__init__(f"no recommendation {recommendation_id!r}")
        self.recommendation_id = recommendation_id


def new_id() -> str:
    return f"rec-{uuid.uuid4().hex[:12]}"


def _scalar_details(row: RecommendationRow) -> dict[str, str | int | float | bool | None]:
    details = {
        k: v for k, v in row.details.items() if v is None or isinstance(v, str | int | float | bool)
    }
    details.update(
        revision=row.revision,
        policy=row.policy,
        confidence_source=row.confidence_source,
        price_status=row.price_status,
        run_id=row.run_id,
    )
    if row.state_reason:
        details["state_reason"] = row.state_reason
    if row.realized_savings_nano_usd is not None:
        details["realized_savings_nano_usd"] = row.realized_savings_nano_usd
    return details


def _event_fields(row: RecommendationRow) -> dict[str, Any]:
    return {
        "event_id": event_id_for("recommendation", row.id, row.revision),
        "occurred_at": row.updated_at,
        "cluster": row.cluster,
        "producer": PRODUCER,
        "recommendation_id": row.id,
        "kind": RecommendationKind(row.kind),
        "state": S(row.state),
        "target": Target(
            namespace=row.namespace,
            workload_kind=WorkloadKind(row.workload_kind),
            workload=row.workload,
            container=row.container,
        ),
        "summary": row.summary,
        "monthly_savings_nano_usd": row.monthly_savings_nano_usd,
        "co2e_saved_grams_per_month": row.co2e_grams_per_month,
        "confidence": min(max(row.confidence, 0.0), 1.0),
        "details": _scalar_details(row),
    }


def created_event(row: RecommendationRow) -> RecommendationCreated:
    """``recommendation.created`` for a new ``row``."""
    return RecommendationCreated.create(**_event_fields(row))


def updated_event(row: RecommendationRow, *, previous_state: str | None) -> RecommendationUpdated:
    """``recommendation.updated`` telling subscribers about ``row`` as it is now."""
    previous = S(previous_state) if previous_state else None
    return RecommendationUpdated.create(previous_state=previous, **_event_fields(row))


def _fill(row: RecommendationRow, draft: Draft, *, run_id: str, policy: str, now: datetime) -> None:
    row.summary = draft.summary
    row.current = draft.current
    row.recommended = draft.recommended
    row.details = dict(draft.details)
    row.reasons = list(draft.reasons)
    row.features = dict(draft.features)
    row.monthly_savings_nano_usd = draft.monthly_savings_nano_usd
    row.co2e_grams_per_month = draft.co2e_grams_per_month
    row.confidence = draft.confidence
    row.confidence_source = draft.confidence_source
    row.price_status = draft.price_status
    row.policy = policy
    row.run_id = run_id
    row.updated_at = now


def _changed(row: RecommendationRow, draft: Draft) -> bool:
    """Worth an update: other values, savings moved ≥ 5 %, or confidence moved ≥ 0.05."""
    if row.recommended != draft.recommended or row.price_status != draft.price_status:
        return True
    base = max(abs(row.monthly_savings_nano_usd), 1)
    if abs(row.monthly_savings_nano_usd - draft.monthly_savings_nano_usd) >= SAVINGS_CHANGE * base:
        return True
    return abs(row.confidence - draft.confidence) >= CONFIDENCE_CHANGE


@dataclass(frozen=True)
class Saved:
    events: list[RecommendationEvent]
    stats: Counter[str]


async def save_drafts(
    session: AsyncSession,
    cluster: str,
    drafts: Sequence[Draft],
    *,
    run_id: str,
    policy: str,
    now: datetime,
    rejected_cooldown: timedelta,
) -> Saved:
    """Create or update recommendations from ``drafts`` (all of ``cluster``)."""
    live = await repo.live_for_targets(session, cluster, [d.target for d in drafts])
    rejected = await repo.rejected_since(session, cluster, since=now - rejected_cooldown)
    events: list[RecommendationEvent] = []
    stats: Counter[str] = Counter()
    for draft in drafts:
        row = live.get(draft.target)
        if row is None:
            if draft.target in rejected:
                stats["rejected_recently"] += 1
                continue
            row = _new_row(draft, run_id=run_id, policy=policy, now=now)
            session.add(row)
            repo.add_transition(
                session,
                row,
                from_state=None,
                actor=ACTOR_RUN,
                at=now,
                comment=f"created by run {run_id}",
            )
            events.append(created_event(row))
            stats["created"] += 1
        elif row.state != S.OPEN.value:
            stats["kept_" + row.state] += 1
        elif _changed(row, draft):
            _fill(row, draft, run_id=run_id, policy=policy, now=now)
            row.revision += 1
            events.append(updated_event(row, previous_state=row.state))
            stats["updated"] += 1
        else:
            stats["unchanged"] += 1
    await session.flush()
    return Saved(events, stats)


def _new_row(draft: Draft, *, run_id: str, policy: str, now: datetime) -> RecommendationRow:
    row = RecommendationRow(
        id=new_id(),
        cluster=draft.cluster,
        namespace=draft.namespace,
        workload_kind=draft.workload_kind,
        workload=draft.workload,
        container=draft.container,
        kind=draft.kind.value,
        state=S.OPEN.value,
        revision=1,
        created_at=now,
        state_reason="",
    )
    _fill(row, draft, run_id=run_id, policy=policy, now=now)
    return row


async def get(
    session: AsyncSession, recommendation_id: str, *, lock: bool = False
) -> RecommendationRow:
    row = await repo.get(session, recommendation_id, lock=lock)
    if row is None:
        raise RecommendationNotFoundError(recommendation_id)
    return row


def move(
    session: AsyncSession,
    row: RecommendationRow,
    target: RecommendationState,
    *,
    actor: str,
    comment: str,
    now: datetime,
) -> RecommendationUpdated:
    """Change ``row``'s state (checked), record the transition, return the event."""
    previous = row.state
    check_transition(row.id, S(previous), target)
    row.state = target.value
    row.revision += 1
    row.updated_at = now
    if target is not S.SNOOZED:
        row.snoozed_until = None
    repo.add_transition(session, row, from_state=previous, actor=actor, at=now, comment=comment)
    return updated_event(row, previous_state=previous)
