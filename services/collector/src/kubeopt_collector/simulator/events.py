"""Turn one cluster's fleet, activity and usage into the events a real collector publishes.

* ``usage.sampled``: whole nodes per message (every node, busy or idle, so costing can price
  idle), nodes in name order, at most ``max_samples_per_message`` container samples and
  :data:`MAX_MESSAGE_BYTES` per message — except a single node bigger than that, which goes
  alone. The event id is ``event_id_for("usage", cluster, window_start_epoch, first_node,
  last_node)`` and ``occurred_at`` is the window end, so a republished window is byte-identical.
* ``inventory.snapshotted``: a full snapshot split into parts below :data:`MAX_MESSAGE_BYTES`.

Usage is columnar (:class:`~kubeopt_common.events.ContainerColumns`) and is the hot path: a
window's columns are gathered from the numpy arrays once (:mod:`kubeopt_collector.simulator.
columns`), a message is a dict of list slices, and orjson writes it straight to the bytes that
are published — no pydantic model is built. Those bytes are exactly what ``model_dump_json`` of
the validated event gives, and they validate because every part is valid by construction: the
envelope is validated once per cluster, the static columns once per fleet
(:class:`~kubeopt_collector.simulator.columns.FleetColumns`), usage is checked non-negative per
window, column lengths and label-set indices line up by construction, and pod assets are
checked once per fleet and point at their pod's first row of the same node
(:mod:`kubeopt_collector.simulator.assets`). The tests hold the bytes to that (round trip
through ``UsageSampled``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import orjson
from pydantic import BaseModel

from kubeopt_collector.publishing import OutgoingMessage
from kubeopt_collector.simulator.activity import WindowActivity, as_datetime
from kubeopt_collector.simulator.columns import FleetColumns, WindowColumns, pod_name
from kubeopt_collector.simulator.fleet import ClusterFleet
from kubeopt_collector.simulator.profiles import UsageArrays
from kubeopt_common.events import (
    ContainerColumns,
    InventorySnapshotted,
    Pod,
    UsageSampled,
    event_id_for,
    for_cluster,
)

MAX_MESSAGE_BYTES = 900_000
"""Upper bound for one message's JSON (the NATS server default max payload is 1 MiB)."""
_ENVELOPE_BYTES = 600  # an inventory part's envelope, at its widest


class ClusterEvents:
    """Builds the events of one cluster; caches everything that does not change per window."""

    def __init__(
        self,
        fleet: ClusterFleet,
        *,
        producer: str,
        interval_s: int,
        max_samples_per_message: int,
    ) -> None:
        if max_samples_per_message < 1:
            msg = f"max_samples_per_message must be at least 1, got {max_samples_per_message}"
            raise ValueError(msg)
        self.fleet = fleet
        self._producer = producer
        self._interval_s = interval_s
        self._max_samples = max_samples_per_message
        self.columns = FleetColumns(fleet)
        self._ordered_nodes = [fleet.nodes[i] for i in self.columns.node_order]
        self._node_json = [n.model_dump(mode="json") for n in self._ordered_nodes]
        self._envelope_bytes = self._check_envelope()

    def pod_name(self, pod: int, activity: WindowActivity) -> str:
        """The pod's name in this window: CronJob/Job pods are named after their run."""
        return pod_name(self.fleet, pod, activity.run_start_s)

    # ------------------------------------------------------------------ usage.sampled

    def usage_messages(
        self, window_start_s: int, activity: WindowActivity, usage: UsageArrays
    ) -> list[OutgoingMessage]:
        """The window's ``usage.sampled`` messages, serialised; nodes in name order."""
        window = self.columns.window(activity, usage)
        envelope = self._envelope(window_start_s)
        subject = for_cluster(UsageSampled.SUBJECT, self.fleet.name)
        messages = []
        for ranks in self._batches(window):
            event_id = event_id_for(
                "usage",
                self.fleet.name,
                window_start_s,
                self._ordered_nodes[ranks.start].name,
                self._ordered_nodes[ranks.stop - 1].name,
            )
            payload = _dumps(envelope | {"event_id": event_id} | self._nodes(window, ranks))
            samples = window.bounds[ranks.stop] - window.bounds[ranks.start]
            messages.append(OutgoingMessage(subject, str(event_id), payload, samples=samples))
        return messages

    def _envelope(self, window_start_s: int) -> dict[str, Any]:
        return {
            "occurred_at": as_datetime(window_start_s + self._interval_s),
            "schema_version": UsageSampled.SCHEMA_VERSION,
            "cluster": self.fleet.name,
            "producer": self._producer,
            "provider": self.fleet.provider,
            "region": self.fleet.region,
            "window_start": as_datetime(window_start_s),
            "window_seconds": self._interval_s,
        }

    def _check_envelope(self) -> int:
        """Validate the envelope once (messages are serialised without building the model);
        return its JSON size with no label sets and no nodes (times have a fixed width)."""
        empty = self._envelope(0) | {"event_id": uuid.UUID(int=0), "label_sets": [], "nodes": []}
        UsageSampled.model_validate(empty)
        return len(_dumps(empty))

    def _batches(self, window: WindowColumns) -> Iterator[range]:
        """Runs of consecutive nodes (by rank in name order) that fit one message each."""
        bounds, node_bytes = window.bounds, window.node_bytes
        first = samples = size = 0
        for rank, node_size in enumerate(node_bytes):
            node_samples = bounds[rank + 1] - bounds[rank]
            if rank > first and (
                samples + node_samples > self._max_samples
                or size + node_size > MAX_MESSAGE_BYTES - self._envelope_bytes
            ):
                yield range(first, rank)
                first, samples, size = rank, 0, 0
            samples += node_samples
            size += node_size
        if len(node_bytes) > first:
            yield range(first, len(node_bytes))

    def _nodes(self, window: WindowColumns, ranks: range) -> dict[str, Any]:
        """``label_sets`` and ``nodes`` of one message: slices of the window's columns."""
        start, stop = window.bounds[ranks.start], window.bounds[ranks.stop]
        columns = {name: values[start:stop] for name, values in window.columns.items()}
        # Label sets are interned per message: the ones it uses, renumbered from 0.
        used, local = np.unique(window.label_ids[start:stop], return_inverse=True)
        columns["label_set"] = local.tolist()
        nodes = []
        for rank in ranks:
            first, end = window.bounds[rank] - start, window.bounds[rank + 1] - start
            containers = {name: columns[name][first:end] for name in ContainerColumns.COLUMNS}
            nodes.append(
                {
                    "node": self._node_json[rank],
                    "containers": containers,
                    "assets": window.assets[rank],
                }
            )
        label_sets = [self.columns.label_sets[i] for i in used.tolist()]
        return {"label_sets": label_sets, "nodes": nodes}

    # ------------------------------------------------------------ inventory.snapshotted

    def inventory(self, at: datetime, activity: WindowActivity) -> list[InventorySnapshotted]:
        """A full snapshot of the cluster at ``at``, split into parts under the size limit."""
        objects: list[tuple[str, BaseModel]] = [("namespaces", ns) for ns in self.fleet.namespaces]
        objects += [("nodes", node) for node in self.fleet.nodes]
        objects += [
            ("workloads", w.contract.model_copy(update={"replicas": int(activity.replicas[i])}))
            for i, w in enumerate(self.fleet.workloads)
        ]
        objects += [("pods", pod) for pod in self._pods(activity)]
        parts = _pack(objects)
        epoch = int(at.timestamp())
        return [
            InventorySnapshotted.create(
                event_id=event_id_for("inventory", self.fleet.name, epoch, index, len(parts)),
                occurred_at=at,
                cluster=self.fleet.name,
                producer=self._producer,
                snapshot_id=f"{self.fleet.name}-{epoch}",
                kind="full",
                part=index,
                parts=len(parts),
                provider=self.fleet.provider,
                region=self.fleet.region,
                taken_at=at,
                **part,
            )
            for index, part in enumerate(parts)
        ]

    def _pods(self, activity: WindowActivity) -> Iterator[Pod]:
        for index, slot in enumerate(self.fleet.pods):
            w = self.fleet.workloads[slot.workload]
            wanted = bool(activity.pod_active[index]) or (
                slot.node is None
                and not w.is_batch
                and slot.ordinal < activity.replicas[slot.workload]
            )
            if not wanted:
                continue
            began = activity.run_start_s.get(index)
            yield Pod(
                namespace=w.contract.namespace,
                name=self.pod_name(index, activity),
                node=self.fleet.nodes[slot.node].name if slot.node is not None else "",
                workload_kind=w.contract.kind,
                workload=w.contract.name,
                labels=w.contract.labels,
                containers=tuple(self.fleet.containers[c].spec for c in slot.containers),
                volumes=slot.volumes,
                started_at=as_datetime(began) if began is not None else None,
            )


def _dumps(fields: dict[str, Any]) -> bytes:
    """A usage message's JSON, fields in the contract's order: the bytes pydantic would write."""
    return orjson.dumps(
        {name: fields[name] for name in UsageSampled.model_fields}, option=orjson.OPT_UTC_Z
    )


def _pack(objects: Sequence[tuple[str, BaseModel]]) -> list[dict[str, list[BaseModel]]]:
    """Greedy, order-preserving packing of objects into parts below the message limit."""
    parts: list[dict[str, list[BaseModel]]] = [{}]
    size = _ENVELOPE_BYTES
    for field, obj in objects:
        obj_size = len(obj.model_dump_json()) + 1
        if parts[-1] and size + obj_size > MAX_MESSAGE_BYTES:
            parts.append({})
            size = _ENVELOPE_BYTES
        parts[-1].setdefault(field, []).append(obj)
        size += obj_size
    return parts
