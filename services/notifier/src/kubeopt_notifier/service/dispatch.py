"""Flushing due routing groups: silences, repeat suppression, one message per channel.

Never commits. A flush runs in one transaction: the due groups are claimed (no other replica
flushes them too), each group's pending alerts are either silenced, suppressed (notified within
``repeat_interval``) or put into one message per target channel — minus the events a channel
already had (dedupe by event id per channel) — and each message is queued in the outbox.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.events import event_id_for
from kubeopt_notifier.domain import DeliveryStatus, Message, Notification
from kubeopt_notifier.domain.matchers import Matcher, matches_all, parse_matcher
from kubeopt_notifier.domain.routing import ALL_CHANNELS
from kubeopt_notifier.models import AlertRecord, GroupRecord
from kubeopt_notifier.repository import deliveries, groups, outbox, silences


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    name: str
    type: str
    enabled: bool


def target_channels(names: Sequence[str], channels: Mapping[str, ChannelInfo]) -> list[ChannelInfo]:
    """The enabled channels a route names (``*`` = every enabled one); unknown names skipped."""
    wanted = sorted(channels) if ALL_CHANNELS in names else list(dict.fromkeys(names))
    return [channels[n] for n in wanted if n in channels and channels[n].enabled]


def _log_row(
    n: Notification, channel: ChannelInfo, status: DeliveryStatus, *, now: datetime, **extra: Any
) -> dict[str, Any]:
    return {
        "event_id": n.source_event_id,
        "channel": channel.name,
        "channel_type": channel.type,
        "source_subject": n.source_subject,
        "kind": n.kind,
        "cluster": n.cluster,
        "title": n.title,
        "severity": n.severity.value,
        "status": status.value,
        "attempts": 0,
        "error": "",
        "retry_after_s": None,
        "first_attempt_at": now,
        "last_attempt_at": now,
        "delivered_at": None,
        "message_id": None,
        **extra,
    }


async def _active_silences(session: AsyncSession, now: datetime) -> list[tuple[Matcher, ...]]:
    return [
        tuple(parse_matcher(m) for m in s.matchers)
        for s in await silences.list_silences(session, active_at=now)
    ]


@dataclass
class _Flush:
    """What one flush decided, written in a few statements at the end."""

    now: datetime
    log_rows: list[dict[str, Any]] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    notified: set[tuple[str, str]] = field(default_factory=set)


def _split(
    group: GroupRecord,
    alerts: Sequence[AlertRecord],
    *,
    silenced_by: list[tuple[Matcher, ...]],
    last_notified: Mapping[tuple[str, str], datetime],
    now: datetime,
) -> tuple[list[AlertRecord], list[AlertRecord], list[AlertRecord]]:
    """(to send, silenced, suppressed as repeats within ``repeat_interval``)."""
    silenced = [
        a for a in alerts if any(matches_all(s, a.notification["labels"]) for s in silenced_by)
    ]
    rest = [a for a in alerts if a not in silenced]
    repeat = timedelta(seconds=group.repeat_interval_s)

    def recent(a: AlertRecord) -> bool:
        last = last_notified.get((group.group_key, a.fingerprint))
        return last is not None and now - last < repeat

    suppressed = [a for a in rest if recent(a)]
    return [a for a in rest if a not in suppressed], silenced, suppressed


def _plan_group(
    plan: _Flush,
    group: GroupRecord,
    alerts: Sequence[AlertRecord],
    *,
    targets: Sequence[ChannelInfo],
    logged: set[tuple[uuid.UUID, str]],
    silenced_by: list[tuple[Matcher, ...]],
    last_notified: Mapping[tuple[str, str], datetime],
) -> None:
    to_send, silenced, suppressed = _split(
        group, alerts, silenced_by=silenced_by, last_notified=last_notified, now=plan.now
    )
    for status, batch in (
        (DeliveryStatus.SILENCED, silenced),
        (DeliveryStatus.SUPPRESSED, suppressed),
    ):
        plan.log_rows += [
            _log_row(Notification.model_validate(a.notification), c, status, now=plan.now)
            for a in batch
            for c in targets
        ]
    for channel in targets if to_send else []:
        # Dedupe by event id per channel: an event reaches a channel in one message only.
        fresh = [
            Notification.model_validate(a.notification)
            for a in to_send
            if (a.event_id, channel.name) not in logged
        ]
        if not fresh:
            continue
        ids = sorted(str(n.source_event_id) for n in fresh)
        message = Message(
            message_id=event_id_for("notifier.message", group.group_key, channel.name, *ids),
            channel=channel.name,
            route=group.route,
            group_key=group.group_key,
            group_labels=group.group_labels,
            notifications=tuple(fresh),
            created_at=plan.now,
        )
        plan.messages.append(message)
        logged.update((n.source_event_id, channel.name) for n in fresh)
        plan.log_rows += [
            _log_row(
                n, channel, DeliveryStatus.PENDING, now=plan.now, message_id=message.message_id
            )
            for n in fresh
        ]
    plan.notified.update((group.group_key, a.fingerprint) for a in to_send)


def _outbox_row(message: Message, now: datetime) -> dict[str, Any]:
    return {
        "message_id": message.message_id,
        "channel": message.channel,
        "message": message.model_dump(mode="json"),
        "status": outbox.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "lease_until": None,
        "last_error": "",
        "retry_after_s": None,
        "created_at": now,
        "finished_at": None,
    }


async def flush_due(
    session: AsyncSession,
    *,
    now: datetime,
    channels: Mapping[str, ChannelInfo],
    limit: int = 500,
) -> set[str]:
    """Flush every group due at ``now`` (at most ``limit``); returns the channels that got a
    message (to wake their workers). A constant number of statements per call."""
    claimed = await groups.claim_due_groups(session, now=now, limit=limit)
    if not claimed:
        return set()
    keys = [g.group_key for g in claimed]
    alerts = await groups.pending_alerts(session, keys)
    by_group: dict[str, list[AlertRecord]] = {}
    for alert in alerts:
        by_group.setdefault(alert.group_key, []).append(alert)
    plan = _Flush(now)
    silenced_by = await _active_silences(session, now)
    last_notified = await groups.notified_at(session, list(by_group))
    logged = await deliveries.logged_pairs(session, [a.event_id for a in alerts])
    for group in claimed:
        if group.group_key in by_group:
            _plan_group(
                plan,
                group,
                by_group[group.group_key],
                targets=target_channels(group.channels, channels),
                logged=logged,
                silenced_by=silenced_by,
                last_notified=last_notified,
            )
    await outbox.add_messages(session, [_outbox_row(m, now) for m in plan.messages])
    await deliveries.add_deliveries(session, plan.log_rows)
    await groups.record_notified(session, plan.notified, now=now)
    await groups.mark_alerts_flushed(session, [a.id for a in alerts])
    return {m.channel for m in plan.messages}


async def next_group_due(session: AsyncSession) -> datetime | None:
    return await groups.next_group_due(session)
