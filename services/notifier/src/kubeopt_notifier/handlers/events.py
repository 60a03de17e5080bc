"""The bus handler: events become notifications in routing groups; nothing is sent here.

Ingest is one short transaction per batch, acked after commit. Sending happens in the
per-channel workers, so a slow or failing endpoint never holds a bus message (nor another
channel) back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Generic, TypeVar

from kubeopt_common.bus import Delivery
from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.events import Event
from kubeopt_common.telemetry.logging import get_logger
from kubeopt_notifier import service
from kubeopt_notifier.domain import Notification
from kubeopt_notifier.domain.routing import Route

E = TypeVar("E", bound=Event)
log = get_logger(__name__)


class NotifyHandler(Generic[E]):
    """Consumes one event type into the routing groups, then wakes the dispatcher."""

    def __init__(
        self,
        *,
        db: Database,
        root: Route,
        to_notification: Callable[[E], Notification],
        on_ingested: Callable[[], None],
    ) -> None:
        self._db = db
        self._root = root
        self._to_notification = to_notification
        self._on_ingested = on_ingested

    async def __call__(self, deliveries: Sequence[Delivery[E]]) -> None:
        notifications = [self._to_notification(d.event) for d in deliveries]
        async with unit_of_work(self._db.sessions) as session:
            placed = await service.ingest(
                session, notifications, root=self._root, now=datetime.now(UTC)
            )
        self._on_ingested()
        log.debug("notify.ingested", events=len(notifications), placements=placed)
