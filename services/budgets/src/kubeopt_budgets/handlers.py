"""Bus handlers of the budgets service: decode, call the service, commit. Thin."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from kubeopt_budgets import service
from kubeopt_budgets.errors import InvalidSpendError
from kubeopt_common.bus import Delivery, PermanentError
from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.events import SpendUpdated
from kubeopt_common.telemetry.logging import get_logger

log = get_logger(__name__)


class SpendHandler:
    """Consumes ``spend.updated``: one transaction per fetched batch, acked after commit."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def __call__(self, deliveries: Sequence[Delivery[SpendUpdated]]) -> None:
        try:
            async with unit_of_work(self._db.sessions) as session:
                windows = await service.record_spend(
                    session, [d.event for d in deliveries], now=datetime.now(UTC)
                )
        except InvalidSpendError as err:
            # The bus retries a failed batch message by message, so only the bad event ends
            # up in the dead-letter subject.
            raise PermanentError(str(err)) from err
        log.debug("budgets.spend_recorded", events=len(deliveries), windows=windows)
