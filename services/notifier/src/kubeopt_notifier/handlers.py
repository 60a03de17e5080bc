"""Bus handlers of the notifier: events become notifications, delivered once per channel."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Generic, TypeVar

from kubeopt_common.bus import Delivery
from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.events import Event
from kubeopt_notifier import service
from kubeopt_notifier.channels.base import Channel
from kubeopt_notifier.domain import Notification
from kubeopt_notifier.errors import DeliveryFailedError

E = TypeVar("E", bound=Event)


class NotifyHandler(Generic[E]):
    """Consumes one event type. Raises after logging when a channel failed, so the bus nacks
    the message and redelivers it; channels that already delivered it are skipped then."""

    def __init__(
        self,
        *,
        db: Database,
        channels: Sequence[Channel],
        to_notification: Callable[[E], Notification],
        send_timeout_s: float,
    ) -> None:
        self._db = db
        self._channels = channels
        self._to_notification = to_notification
        self._send_timeout_s = send_timeout_s

    async def __call__(self, deliveries: Sequence[Delivery[E]]) -> None:
        notifications = [self._to_notification(d.event) for d in deliveries]
        async with unit_of_work(self._db.sessions) as session:
            pending = await service.pending_deliveries(session, notifications, self._channels)
        attempts = await service.send_all(pending, timeout_s=self._send_timeout_s)
        async with unit_of_work(self._db.sessions) as session:
            await service.record_attempts(session, attempts, now=datetime.now(UTC))
        failed = [a for a in attempts if not a.result.ok]
        if failed:
            summary = "; ".join(
                f"{a.notification.source_event_id} via {a.channel}: {a.result.error}"
                for a in failed
            )
            raise DeliveryFailedError(f"{len(failed)} deliveries failed: {summary}")
