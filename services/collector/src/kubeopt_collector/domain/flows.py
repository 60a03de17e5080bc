"""Flow records (AWS VPC flow logs, Cilium Hubble exports) resolved through the inventory and
aggregated into ``flows.observed`` flows.

* **VPC flow logs**: space-separated records, fields named by the header line (any version
  up to v5; without a header, the default v2 format). The real endpoints are
  ``pkt-srcaddr``/``pkt-dstaddr`` when logged (they see through the node ENI to the pod),
  else ``srcaddr``/``dstaddr``. With ``flow-direction`` (v5), a flow between two watched
  ENIs is logged twice; only the sender's ``egress`` record counts, and an ``ingress`` record
  only when its source is outside the cluster. Rejected and NODATA records carry no traffic.
* **Hubble**: one JSON flow per line (``hubble observe -o json`` or the exporter file).
  Hubble flows carry **no byte counters** (cilium#32193): a record counts only when it has a
  ``bytes`` field (added by exporters that join counters); others are skipped and counted.

Endpoints are aggregated per window by workload and zone (a pod endpoint keeps namespace,
workload kind and name, node zone and region; a node its name; an outside address its IP).
An address inside the cluster's networks that no pod or node has is *unknown*: skipped and
counted, never guessed.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from kubeopt_collector.domain.inventory import ClusterInventory
from kubeopt_collector.domain.kube_objects import NodeRecord, PodRecord
from kubeopt_common.events import Endpoint, Flow

V2_FIELDS = [
    "version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport", "dstport",
    "protocol", "packets", "bytes", "start", "end", "action", "log-status",
]  # fmt: skip
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class FlowRecordError(ValueError):
    """A record that cannot be read; ``reason`` is a short metric label."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class FlowRecord:
    start_s: int
    src_ip: str
    dst_ip: str
    bytes_sent: int
    direction: str = ""  # "ingress" | "egress" | "" (not logged)


class VpcFlowParser:
    """Parses VPC flow log lines; the first line may be the header naming the fields."""

    def __init__(self) -> None:
        self.fields: list[str] | None = None

    def parse(self, line: str) -> FlowRecord | None:
        """A record, None for a header or a record without traffic; raises FlowRecordError."""
        parts = line.split()
        if not parts:
            return None
        if self.fields is None or parts[0] == "version":
            if parts[0] == "version" or not parts[0].isdigit():
                self.fields = parts
                return None
            self.fields = V2_FIELDS
        if len(parts) != len(self.fields):
            raise FlowRecordError(
                "malformed", f"{len(parts)} fields, header has {len(self.fields)}"
            )
        record = dict(zip(self.fields, parts, strict=True))
        if record.get("log-status", "OK") != "OK" or record.get("action") == "REJECT":
            return None
        src = _field(record, "pkt-srcaddr") or _field(record, "srcaddr")
        dst = _field(record, "pkt-dstaddr") or _field(record, "dstaddr")
        try:
            size = int(record["bytes"])
            start = int(record["start"])
        except (KeyError, ValueError) as err:
            raise FlowRecordError("malformed", f"bytes/start unreadable: {err}") from err
        if not src or not dst:
            raise FlowRecordError("malformed", "no source or destination address")
        return FlowRecord(start, src, dst, size, record.get("flow-direction", "").replace("-", ""))


def _field(record: dict[str, str], name: str) -> str:
    value = record.get(name, "-")
    return "" if value == "-" else value


def parse_hubble(line: str) -> FlowRecord | None:
    """A Hubble flow (``{"flow": {…}}`` or the flow itself); raises FlowRecordError."""
    if not line.strip():
        return None
    try:
        data: Any = orjson.loads(line)
    except orjson.JSONDecodeError as err:
        raise FlowRecordError("malformed", f"not JSON: {err}") from err
    flow = data.get("flow", data) if isinstance(data, dict) else None
    if not isinstance(flow, dict):
        raise FlowRecordError("malformed", "not a flow object")
    ip = flow.get("IP") or {}
    src, dst = ip.get("source"), ip.get("destination")
    if not src or not dst:
        return None  # an L7 or drop notice without addresses
    size = flow.get("bytes", data.get("bytes") if isinstance(data, dict) else None)
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise FlowRecordError("no_byte_count", "Hubble flow without a bytes field")
    if flow.get("is_reply") is True:
        return None  # the reply direction is its own flow from the other side
    when = str(flow.get("time") or data.get("time") or "")
    try:
        start = int(datetime.fromisoformat(_trim_nanos(when)).timestamp())
    except ValueError as err:
        raise FlowRecordError("malformed", f"time {when!r}: {err}") from err
    return FlowRecord(start, str(src), str(dst), size)


def _trim_nanos(when: str) -> str:
    """``2026-11-20T10:00:00.123456789Z`` → microseconds (what datetime reads)."""
    when = when.replace("Z", "+00:00")
    if "." not in when:
        return when
    head, tail = when.split(".", 1)
    digits = "".join(ch for ch in tail if ch.isdigit())
    return f"{head}.{digits[:6].ljust(6, '0')}{tail[len(digits) :]}"


class Resolver:
    """Turns an IP into the endpoint a flow is attributed to, or None when unknown."""

    def __init__(
        self, inventory: ClusterInventory | None, *, internal: Sequence[Network], region: str
    ) -> None:
        self._inventory = inventory
        self._internal = internal
        self._region = region

    def is_internal(self, ip: str) -> bool:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in net for net in self._internal)

    def endpoint(self, ip: str) -> Endpoint | None:
        inventory = self._inventory
        found = inventory.lookup_ip(ip) if inventory is not None else None
        if isinstance(found, PodRecord) and inventory is not None:
            kind, workload = inventory.workload_of(found)
            node = inventory.node(found.node)
            return Endpoint(
                namespace=found.namespace,
                workload_kind=kind,
                workload=workload,
                zone=node.zone if node else "",
                region=(node.region if node and node.region else self._region),
            )
        if isinstance(found, NodeRecord):
            return Endpoint(node=found.name, zone=found.zone, region=found.region or self._region)
        if self.is_internal(ip):
            return None
        return Endpoint(external=True, ip=ip)


@dataclass
class Aggregate:
    """Bytes per (window start, source, destination); unknown addresses counted aside."""

    window_s: int
    flows: dict[int, dict[tuple[Endpoint, Endpoint], int]]
    unknown: list[str]

    @classmethod
    def empty(cls, window_s: int) -> Aggregate:
        return cls(window_s, defaultdict(lambda: defaultdict(int)), [])

    def add(self, record: FlowRecord, resolver: Resolver) -> None:
        if record.direction == "ingress" and resolver.is_internal(record.src_ip):
            return  # the sender's ENI logged it as egress
        src, dst = resolver.endpoint(record.src_ip), resolver.endpoint(record.dst_ip)
        if src is None or dst is None:
            self.unknown.append(record.src_ip if src is None else record.dst_ip)
            return
        window = record.start_s - record.start_s % self.window_s
        self.flows[window][(src, dst)] += record.bytes_sent

    def windows(self) -> Iterator[tuple[int, list[Flow]]]:
        for window in sorted(self.flows):
            pairs = self.flows[window]
            yield (
                window,
                [
                    Flow(src=src, dst=dst, bytes_sent=size)
                    for (src, dst), size in sorted(pairs.items(), key=_order)
                    if size > 0
                ],
            )


def _order(item: tuple[tuple[Endpoint, Endpoint], int]) -> tuple[str, str]:
    (src, dst), _ = item
    return src.model_dump_json(), dst.model_dump_json()


def networks(cidrs: Iterable[str]) -> list[Network]:
    return [ipaddress.ip_network(c, strict=False) for c in cidrs]
