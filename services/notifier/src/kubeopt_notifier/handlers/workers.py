"""One worker per enabled channel: takes due messages from the outbox and sends them.

Retries are durable: a failed attempt is written back with its next attempt time (backoff with
jitter, or the endpoint's ``Retry-After``), so they survive restarts and never block the bus
or another channel. The worker honours the channel's rate limit (Slack: ~1 message/s).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime

from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.telemetry.logging import get_logger
from kubeopt_notifier import service
from kubeopt_notifier.channels.base import Channel
from kubeopt_notifier.domain import DeliveryResult, DeliveryStatus, Message
from kubeopt_notifier.domain.delivery import RetryPolicy, TokenBucket

log = get_logger(__name__)
# Messages taken per round; they are sent concurrently (the rate limit still applies).
BATCH = 16
DeadLetterSink = Callable[[Sequence[service.DeadLetterNote]], Awaitable[None]]


class ChannelWorker:
    def __init__(
        self,
        channel: Channel,
        *,
        db: Database,
        policy: RetryPolicy,
        send_timeout_s: float,
        tick_s: float,
        dead_letters: DeadLetterSink,
    ) -> None:
        self.channel = channel
        self.wake = asyncio.Event()
        self._db = db
        self._policy = policy
        self._timeout_s = send_timeout_s
        self._tick_s = tick_s
        self._dead_letters = dead_letters
        self._bucket = TokenBucket(*channel.rate_limit) if channel.rate_limit else None
        # Jitter only spreads retries; it needs no cryptographic randomness.
        self._random = random.Random()  # noqa: S311

    async def run(self) -> None:
        """Send until cancelled, or until the endpoint answers 410 (the channel is disabled)."""
        try:
            while True:
                try:
                    if await self._step():
                        return
                except Exception as err:
                    log.warning("notify.worker_error", channel=self.channel.name, error=repr(err))
                    await asyncio.sleep(self._tick_s)
        finally:
            await self.channel.close()

    async def _step(self) -> bool:
        """Send the due messages (up to a batch, concurrently), or wait for some; True when the
        channel got disabled."""
        async with unit_of_work(self._db.sessions) as session:
            claimed = await service.claim_due(
                session,
                self.channel.name,
                now=datetime.now(UTC),
                lease_s=self._timeout_s + 30,
                limit=BATCH,
            )
        if not claimed:
            await self._idle()
            return False
        sends = []
        for _, message in claimed:
            await self._throttle()
            sends.append(asyncio.create_task(self._send(message)))
        results = await asyncio.gather(*sends)
        async with unit_of_work(self._db.sessions) as session:
            outcomes = [
                await service.record_attempt(
                    session,
                    outbox_id,
                    result,
                    policy=self._policy,
                    now=datetime.now(UTC),
                    draw=self._random.random(),
                )
                for (outbox_id, _), result in zip(claimed, results, strict=True)
            ]
        disabled = False
        for (_, message), result, outcome in zip(claimed, results, outcomes, strict=True):
            await self._dead_letters(outcome.dead_letters)
            if outcome.status is not DeliveryStatus.DELIVERED:
                log.warning(
                    "notify.delivery_failed",
                    channel=self.channel.name,
                    message_id=str(message.message_id),
                    status=outcome.status.value,
                    error=result.error,
                )
            if outcome.channel_disabled:
                log.error("notify.channel_disabled", channel=self.channel.name, reason=result.error)
                disabled = True
        return disabled

    async def _send(self, message: Message) -> DeliveryResult:
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self.channel.send(message)
        except TimeoutError:
            return DeliveryResult.retryable(f"no answer within {self._timeout_s:g} s")
        except Exception as err:
            # A channel bug must not stop the worker; the message is retried per policy.
            log.exception("notify.channel_crashed", channel=self.channel.name)
            return DeliveryResult.retryable(f"{type(err).__name__} in the channel")

    async def _throttle(self) -> None:
        if self._bucket is not None:
            wait_s = self._bucket.wait_s(time.monotonic())
            if wait_s > 0:
                await asyncio.sleep(wait_s)

    async def _idle(self) -> None:
        async with unit_of_work(self._db.sessions) as session:
            due = await service.next_due(session, self.channel.name)
        timeout = self._tick_s
        if due is not None:
            timeout = min(timeout, max((due - datetime.now(UTC)).total_seconds(), 0.0))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), timeout=timeout)
        self.wake.clear()
