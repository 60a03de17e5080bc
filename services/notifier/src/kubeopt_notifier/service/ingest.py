"""Notifications into routing groups. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_notifier.domain import Notification
from kubeopt_notifier.domain.routing import Route, fingerprint, routes_for
from kubeopt_notifier.repository import groups

PENDING = "pending"


async def ingest(
    session: AsyncSession, notifications: Sequence[Notification], *, root: Route, now: datetime
) -> int:
    """Put each notification into the group of every route it takes; returns how many.

    An event already in a group (a redelivery) is not added again: the (group, event) pair is
    unique.
    """
    group_rows: dict[str, dict[str, Any]] = {}
    alert_rows = []
    for notification in notifications:
        labels = notification.labels
        for route in routes_for(root, labels):
            key = route.group_key(labels)
            # One row per group: a statement may not upsert the same row twice.
            group_rows.setdefault(
                key,
                groups.group_row(route, group_key=key, labels=route.group_labels(labels), now=now),
            )
            alert_rows.append(
                {
                    "group_key": key,
                    "event_id": notification.source_event_id,
                    "fingerprint": fingerprint(labels),
                    "notification": notification.model_dump(mode="json"),
                    "status": PENDING,
                    "received_at": now,
                }
            )
    await groups.touch_groups(session, [group_rows[k] for k in sorted(group_rows)])
    await groups.add_alerts(session, alert_rows)
    return len(alert_rows)
