"""The Kubernetes inventory source: list + watch every inventory kind, keep the cluster's
:class:`~kubeopt_collector.domain.inventory.ClusterInventory`, publish ``inventory.snapshotted``.

Per kind, a :class:`Reflector` lists in pages (``limit``/``continue``), then watches from the
list's ``resourceVersion`` with bookmarks, resuming each watch from the last version seen.
A 410 Gone (expired version or continue token) triggers a relist; any other failure (API
server unreachable, connection dropped, 5xx) a retry with exponential backoff, reported on the
source's :class:`~kubeopt_collector.health.SourceHealth`. Objects that cannot be read are
logged with their identity, counted and skipped; the rest of the list or stream goes on.

:class:`KubernetesInventorySource` publishes a full snapshot once every kind has been listed,
then again every ``resync_s``, and a delta of what changed every ``delta_flush_s`` in between.
The client is blocking: lists and watches run in daemon threads (a watch can be aborted at
once on shutdown), their results are applied to the inventory on the event loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any, TypeVar

from kubeopt_collector.domain.inventory import ClusterInventory
from kubeopt_collector.domain.kube_objects import ObjectError, Record, ResourceKind, identity
from kubeopt_collector.domain.kube_parse import Parser
from kubeopt_collector.domain.snapshot import (
    SnapshotHeader,
    delta_objects,
    full_objects,
    iter_parts,
    plan,
    snapshot_parts,
)
from kubeopt_collector.health import Backoff, SourceHealth, SourceState
from kubeopt_collector.kube import GoneError, KubeApiError, KubeClient, WatchHandle
from kubeopt_collector.publishing import OutgoingMessage
from kubeopt_common.events import InventorySnapshotted, for_cluster
from kubeopt_common.telemetry.logging import get_logger

log = get_logger(__name__)
T = TypeVar("T")
Publish = Callable[[Sequence[OutgoingMessage]], Awaitable[object]]

PARTS_PER_BATCH = 8
"""Snapshot parts serialised and published together (each is up to ~0.9 MB)."""
# Controllers before pods, so owner chains resolve as soon as the pods arrive.
KINDS = (
    ResourceKind.NAMESPACE,
    ResourceKind.NODE,
    ResourceKind.PVC,
    ResourceKind.DEPLOYMENT,
    ResourceKind.REPLICASET,
    ResourceKind.STATEFULSET,
    ResourceKind.DAEMONSET,
    ResourceKind.CRONJOB,
    ResourceKind.JOB,
    ResourceKind.HPA,
    ResourceKind.PDB,
    ResourceKind.SERVICE,
    ResourceKind.POD,
)


async def in_daemon_thread(fn: Callable[[], T]) -> T:
    """Run blocking ``fn`` in a daemon thread (never holds up interpreter exit)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def succeed(result: T) -> None:
        if not future.done():
            future.set_result(result)

    def fail(error: BaseException) -> None:
        if not future.done():
            future.set_exception(error)

    def target() -> None:
        try:
            result = fn()
        except BaseException as err:
            loop.call_soon_threadsafe(fail, err)
        else:
            loop.call_soon_threadsafe(succeed, result)

    threading.Thread(target=target, daemon=True, name="kubeopt-kube").start()
    return await future


@dataclass(frozen=True)
class InventoryOptions:
    page_size: int = 500
    watch_timeout_s: int = 300
    resync_s: float = 600.0
    delta_flush_s: float = 5.0
    backoff: Backoff = Backoff()  # noqa: RUF009 - frozen, so sharing the default is safe


class Reflector:
    """Keeps one kind of the inventory in step with the API server."""

    def __init__(
        self,
        kind: ResourceKind,
        *,
        client: KubeClient,
        inventory: ClusterInventory,
        parser: Parser,
        health: SourceHealth,
        options: InventoryOptions,
        gate: EventGate,
    ) -> None:
        self.kind = kind
        self._client = client
        self._inventory = inventory
        self._parser = parser
        self._health = health
        self._options = options
        self._gate = gate
        self.synced = asyncio.Event()
        self.relists = 0
        self._handle = WatchHandle()
        self._resume = ""

    async def run(self) -> None:
        """List, then watch for ever; relist on 410, back off on errors. Cancel to stop."""
        failures = 0
        version: str | None = None
        try:
            while True:
                try:
                    if version is None:
                        version = await self._list()
                    self._resume = version
                    version = await self._watch(version)
                    failures = 0
                except GoneError as err:
                    version = None
                    self._note_relist(err)
                except KubeApiError as err:
                    # A dropped watch resumes from the last version it delivered.
                    version = self._resume if version is not None else None
                    failures += 1
                    delay = self._options.backoff.delay(failures)
                    self._health.failed(err, retry_in_s=delay)
                    await asyncio.sleep(delay)
        finally:
            self._handle.abort()

    def _note_relist(self, err: GoneError) -> None:
        self.relists += 1
        if self._health.metrics is not None:
            self._health.metrics.relists.labels(self._health.cluster, self.kind.value).inc()
        log.info("collector.relist", kind=self.kind.value, reason=str(err))

    async def _list(self) -> str:
        records, version = await in_daemon_thread(self._list_all)
        async with self._gate.lock:  # not while a snapshot reads the inventory
            if self.synced.is_set():
                self._inventory.replace(self.kind, records)
            else:
                self._inventory.load(self.kind, records)
                self.synced.set()
        self._health.seen(state=SourceState.OK if self.synced.is_set() else SourceState.SYNCING)
        return version

    def _list_all(self) -> tuple[list[Record], str]:
        records: list[Record] = []
        token: str | None = None
        while True:
            page = self._client.list_page(
                self.kind, limit=self._options.page_size, continue_token=token
            )
            for obj in page.items:
                record = self._parse(obj, threadsafe=True)
                if record is not None:
                    records.append(record)
            token = page.continue_token
            if token is None:
                return records, page.resource_version

    def _parse(self, obj: dict[str, Any], *, threadsafe: bool = False) -> Record | None:
        try:
            return self._parser.parse(self.kind, obj)
        except ObjectError as err:
            if threadsafe:
                self._gate.loop.call_soon_threadsafe(self._skip, err.identity, err.reason)
            else:
                self._skip(err.identity, err.reason)
            return None

    def _skip(self, who: str, reason: str) -> None:
        self._health.skip(kind=self.kind.value, reason="unreadable", identity=who, detail=reason)

    async def _watch(self, version: str) -> str:
        self._handle = WatchHandle()
        handle = self._handle
        loop = self._gate.loop

        def on_event(kind: str, obj: dict[str, Any]) -> None:
            loop.call_soon_threadsafe(self._deliver, kind, obj)

        last = await in_daemon_thread(
            lambda: self._client.watch(
                self.kind,
                resource_version=version,
                timeout_s=self._options.watch_timeout_s,
                on_event=on_event,
                handle=handle,
            )
        )
        self._health.seen()
        return last

    def _deliver(self, event: str, obj: dict[str, Any]) -> None:
        meta = obj.get("metadata")
        if isinstance(meta, dict) and meta.get("resourceVersion"):
            self._resume = str(meta["resourceVersion"])
        self._gate.submit(self._apply, event, obj)

    def _apply(self, event: str, obj: dict[str, Any]) -> None:
        self._health.seen()
        if event == "BOOKMARK":
            return
        if event == "INVALID":
            self._skip(f"{self.kind.value} watch event", f"not a watch event: {obj.get('line')}")
            return
        if event == "DELETED":
            meta = obj.get("metadata") or {}
            if isinstance(meta, dict) and meta.get("name"):
                self._inventory.delete(
                    self.kind, (str(meta.get("namespace") or ""), str(meta["name"]))
                )
            else:
                self._skip(identity(self.kind, obj), "deleted object without metadata.name")
            return
        record = self._parse(obj)
        if record is not None:
            self._inventory.upsert(self.kind, record)


class EventGate:
    """Applies watch events on the loop, or holds them while a snapshot is being built."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self._held: list[tuple[Callable[[str, dict[str, Any]], None], str, dict[str, Any]]] = []
        self._holding = False
        self.lock = asyncio.Lock()

    def submit(
        self, apply: Callable[[str, dict[str, Any]], None], kind: str, obj: dict[str, Any]
    ) -> None:
        if self._holding:
            self._held.append((apply, kind, obj))
        else:
            apply(kind, obj)

    def hold(self) -> None:
        self._holding = True

    def release(self) -> None:
        self._holding = False
        held, self._held = self._held, []
        for apply, kind, obj in held:
            apply(kind, obj)


class KubernetesInventorySource:
    """Inventory of one cluster through its API server; owns the cluster's inventory."""

    name = "kubernetes"

    def __init__(
        self,
        *,
        client_factory: Callable[[], KubeClient],
        header: SnapshotHeader,
        inventory: ClusterInventory,
        health: SourceHealth,
        publish: Publish,
        options: InventoryOptions | None = None,
        kinds: Sequence[ResourceKind] = KINDS,
    ) -> None:
        self._client_factory = client_factory
        self.header = header
        self.inventory = inventory
        self.health = health
        self._publish = publish
        self.options = options or InventoryOptions()
        self._kinds = tuple(kinds)
        self.reflectors: list[Reflector] = []
        self.synced = asyncio.Event()
        self._sequence = 0

    async def run(self) -> None:
        client = await self._connect()
        gate = EventGate(asyncio.get_running_loop())
        parser = Parser()
        self.reflectors = [
            Reflector(
                kind,
                client=client,
                inventory=self.inventory,
                parser=parser,
                health=self.health,
                options=self.options,
                gate=gate,
            )
            for kind in self._kinds
        ]
        tasks = [asyncio.create_task(r.run(), name=f"reflector-{r.kind}") for r in self.reflectors]
        try:
            await asyncio.gather(*(r.synced.wait() for r in self.reflectors))
            self.synced.set()
            await self._publish_loop(gate)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            client.close()

    async def _connect(self) -> KubeClient:
        failures = 0
        while True:
            try:
                return self._client_factory()
            except KubeApiError as err:
                failures += 1
                delay = self.options.backoff.delay(failures)
                self.health.failed(err, retry_in_s=delay)
                await asyncio.sleep(delay)

    async def _publish_loop(self, gate: EventGate) -> None:
        loop = asyncio.get_running_loop()
        next_full = 0.0
        failures = 0
        while True:
            try:
                if loop.time() >= next_full:
                    await self.publish_full(gate)
                    next_full = loop.time() + self.options.resync_s
                else:
                    await self.publish_delta()
                failures = 0
            except Exception as err:  # the bus is down: the next attempt sends a full snapshot
                failures += 1
                next_full = 0.0
                delay = self.options.backoff.delay(failures)
                self.health.failed(f"publishing the inventory failed: {err}", retry_in_s=delay)
                await asyncio.sleep(delay)
                continue
            await asyncio.sleep(min(self.options.delta_flush_s, max(0.0, next_full - loop.time())))

    async def publish_full(self, gate: EventGate) -> int:
        """Publish a full snapshot of the inventory; returns the number of parts.

        The parts are serialised twice, once to size them (every part names the total) and
        once to send them a few at a time, so a 150,000-pod snapshot is never held whole.
        """
        taken_at = datetime.now(UTC)
        async with gate.lock:
            gate.hold()  # watch events wait: the inventory must not change while it is read
            try:
                self.inventory.take_changes()
                counts = await asyncio.to_thread(plan, full_objects(self.inventory))
                parts = iter_parts(
                    full_objects(self.inventory),
                    counts,
                    header=self.header,
                    kind="full",
                    taken_at=taken_at,
                )
                while batch := await asyncio.to_thread(list, islice(parts, PARTS_PER_BATCH)):
                    await self._send(batch)
            finally:
                gate.release()
        return len(counts)

    async def publish_delta(self) -> int:
        changes = self.inventory.take_changes()
        if not changes:
            return 0
        self._sequence += 1
        parts = snapshot_parts(
            delta_objects(self.inventory, changes),
            header=self.header,
            kind="delta",
            taken_at=datetime.now(UTC),
            sequence=self._sequence,
        )
        await self._send(parts)
        return len(parts)

    async def _send(self, parts: Sequence[Any]) -> None:
        subject = for_cluster(InventorySnapshotted.SUBJECT, self.header.cluster)
        messages = [OutgoingMessage(subject, str(p.event_id), p.payload) for p in parts]
        await self._publish(messages)
        self.health.record_published(len(messages))
