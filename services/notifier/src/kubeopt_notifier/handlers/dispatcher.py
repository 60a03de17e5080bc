"""The dispatcher loop: flushes due routing groups into the outbox and runs one worker per
enabled channel (started, rebuilt and stopped as channels change)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from kubeopt_common.bus import Bus
from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.events import DeadLetter, dead_letter_subject
from kubeopt_common.telemetry.logging import get_logger
from kubeopt_notifier import service
from kubeopt_notifier.channels.base import ChannelType
from kubeopt_notifier.channels.registry import build_channel
from kubeopt_notifier.domain.delivery import RetryPolicy
from kubeopt_notifier.handlers.workers import ChannelWorker
from kubeopt_notifier.models import ChannelRecord

log = get_logger(__name__)
SERVICE = "notifier"


@dataclass(frozen=True, slots=True)
class DispatchConfig:
    policy: RetryPolicy
    send_timeout_s: float
    tick_s: float


@dataclass
class _Running:
    version: datetime
    worker: ChannelWorker
    task: asyncio.Task[None]


class Dispatcher:
    def __init__(
        self, *, db: Database, bus: Bus, types: Mapping[str, ChannelType], config: DispatchConfig
    ) -> None:
        self.wake = asyncio.Event()
        self._db = db
        self._bus = bus
        self._types = types
        self._config = config
        self._running: dict[str, _Running] = {}
        self._channels_changed = True
        self._last_sync = 0.0

    def channels_changed(self) -> None:
        """Called after a channel was created, replaced or deleted through the API."""
        self._channels_changed = True
        self.wake.set()

    async def run(self) -> None:
        try:
            while True:
                timeout = self._config.tick_s
                try:
                    await self._sync_workers()
                    timeout = await self._flush_due()
                except Exception as err:
                    log.warning("notify.dispatch_failed", error=repr(err))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), timeout=timeout)
                self.wake.clear()
        finally:
            for running in self._running.values():
                running.task.cancel()
            await asyncio.gather(*(r.task for r in self._running.values()), return_exceptions=True)

    async def _flush_due(self) -> float:
        """Flush every due group; seconds until the next one is due (at most a tick)."""
        async with unit_of_work(self._db.sessions) as session:
            directory = await service.channel_directory(session)
            woken = await service.flush_due(session, now=datetime.now(UTC), channels=directory)
            due = await service.next_group_due(session)
        for name in woken:
            if (running := self._running.get(name)) is not None:
                running.worker.wake.set()
        if due is None:
            return self._config.tick_s
        return min(self._config.tick_s, max(0.0, (due - datetime.now(UTC)).total_seconds()))

    async def _sync_workers(self) -> None:
        loop_now = asyncio.get_running_loop().time()
        if not self._channels_changed and loop_now - self._last_sync < self._config.tick_s:
            return
        self._channels_changed = False
        self._last_sync = loop_now
        async with unit_of_work(self._db.sessions) as session:
            records = {r.name: r for r in await service.list_channels(session) if r.enabled}
        for name in list(self._running):
            running = self._running[name]
            record = records.get(name)
            if record is None or record.updated_at != running.version or running.task.done():
                running.task.cancel()
                del self._running[name]
        for name, record in records.items():
            if name not in self._running:
                self._start(record)

    def _start(self, record: ChannelRecord) -> None:
        try:
            channel = build_channel(
                self._types, name=record.name, type_=record.type, params=record.params
            )
        except ValueError as err:  # e.g. a plugin uninstalled since the channel was created
            log.error("notify.channel_unusable", channel=record.name, error=str(err))
            return
        worker = ChannelWorker(
            channel,
            db=self._db,
            policy=self._config.policy,
            send_timeout_s=self._config.send_timeout_s,
            tick_s=self._config.tick_s,
            dead_letters=self.publish_dead_letters,
        )
        task = asyncio.create_task(worker.run(), name=f"notify-{record.name}")
        self._running[record.name] = _Running(record.updated_at, worker, task)

    async def publish_dead_letters(self, notes: Sequence[service.DeadLetterNote]) -> None:
        """Each given-up message to ``kubeopt.v1.deadletter.notifier.<domain>`` (also kept in
        the delivery log as failed / dead_lettered, so nothing is lost if NATS is down)."""
        for note in notes:
            first = note.message.notifications[0]
            record = DeadLetter(
                service=SERVICE,
                reason=note.reason,
                original_subject=first.source_subject,
                payload=note.message.model_dump_json(),
                headers={
                    "channel": note.message.channel,
                    "message-id": str(note.message.message_id),
                },
                num_delivered=note.attempts,
                failed_at=datetime.now(UTC),
            )
            try:
                await self._bus.publisher.publish_raw(
                    dead_letter_subject(SERVICE, first.source_subject),
                    record.model_dump_json().encode(),
                    msg_id=f"dlq/{SERVICE}/{note.message.message_id}/{note.message.channel}",
                )
            except Exception as err:
                log.warning("notify.dead_letter_unpublished", error=repr(err))
