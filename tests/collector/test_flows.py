"""Flow sources: AWS VPC flow logs (v5) and Hubble exports, resolved through the inventory,
aggregated per window, read from growing files with checkpoints."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from prometheus_client import CollectorRegistry

from kubeopt_collector.domain.clusters import DEFAULT_INTERNAL_CIDRS
from kubeopt_collector.domain.flows import (
    Aggregate,
    FlowRecordError,
    Resolver,
    VpcFlowParser,
    networks,
    parse_hubble,
)
from kubeopt_collector.domain.inventory import ClusterInventory
from kubeopt_collector.domain.kube_objects import ResourceKind
from kubeopt_collector.domain.kube_parse import Parser
from kubeopt_collector.flow_source import FlowLogSource
from kubeopt_collector.health import SourceHealth, SourceMetrics
from kubeopt_common.events import Endpoint, FlowsObserved, Provider, WorkloadKind
from tests.collector.fake_apiserver import FakeApiServer
from tests.collector.kube_rig import RecordingPublisher, populate
from tests.collector.test_prometheus_source import MemoryCheckpoints

T0 = int(datetime(2026, 11, 20, 10, 0, tzinfo=UTC).timestamp())
HEADER = (
    "version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport "
    "dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags "
    "log-status region az-id sublocation-type sublocation-id pkt-src-aws-service "
    "pkt-dst-aws-service flow-direction traffic-path"
)


def vpc(
    src: str, dst: str, size: int | str, start: int, direction: str = "egress", **kw: str
) -> str:
    fields = {
        "srcaddr": kw.get("srcaddr", src),
        "dstaddr": dst,
        "pkt-srcaddr": src,
        "pkt-dstaddr": dst,
        "bytes": str(size),
        "start": str(start),
        "action": kw.get("action", "ACCEPT"),
        "log-status": kw.get("status", "OK"),
        "flow-direction": direction,
    }
    values = []
    for name in HEADER.split():
        values.append(
            fields.get(
                name,
                "5"
                if name == "version"
                else "-"
                if name.startswith("pkt-") and name.endswith("service")
                else "x",
            )
        )
    return " ".join(values)


def inventory() -> ClusterInventory:
    server, parser, inv = FakeApiServer(), Parser(), ClusterInventory()
    populate(server)
    for resource, kind in (
        ("nodes", ResourceKind.NODE),
        ("pods", ResourceKind.POD),
        ("replicasets", ResourceKind.REPLICASET),
    ):
        inv.load(kind, [parser.parse(kind, o) for o in server.state.objects[resource].values()])
    return inv


def resolver() -> Resolver:
    return Resolver(inventory(), internal=networks(DEFAULT_INTERNAL_CIDRS), region="us-east-1")


WEB = Endpoint(
    namespace="shop",
    workload_kind=WorkloadKind.DEPLOYMENT,
    workload="web",
    zone="us-east-1a",
    region="us-east-1",
)
DB = Endpoint(
    namespace="shop",
    workload_kind=WorkloadKind.STATEFULSET,
    workload="db",
    zone="us-east-1a",
    region="us-east-1",
)


def test_vpc_records_resolve_dedupe_and_aggregate() -> None:
    lines = [
        HEADER,
        vpc("10.1.0.10", "10.1.0.20", 1000, T0 + 5),
        vpc("10.1.0.10", "10.1.0.20", 1000, T0 + 5, "ingress"),  # the receiver's copy
        vpc("10.1.0.10", "10.1.0.20", 300, T0 + 9, srcaddr="10.0.1.10"),  # via the node ENI
        vpc("10.1.0.11", "52.95.1.1", 5000, T0 + 7),
        vpc("203.0.113.9", "10.1.0.10", 700, T0 + 8, "ingress"),
        vpc("10.1.0.10", "10.1.0.20", 500, T0 + 70),
        vpc("10.1.0.10", "10.1.0.20", 999, T0 + 5, action="REJECT"),
        vpc("10.1.0.10", "10.9.9.9", 123, T0 + 5),
    ]
    parser, agg, res = VpcFlowParser(), Aggregate.empty(60), resolver()
    for line in lines:
        record = parser.parse(line)
        if record is not None:
            agg.add(record, res)
    windows = dict(agg.windows())
    first = {(f.src, f.dst): f.bytes_sent for f in windows[T0]}
    assert first[(WEB, DB)] == 1300
    assert (
        first[
            (WEB.model_copy(update={"zone": "us-east-1b"}), Endpoint(external=True, ip="52.95.1.1"))
        ]
        == 5000
    )
    assert first[(Endpoint(external=True, ip="203.0.113.9"), WEB)] == 700
    assert len(first) == 3
    assert {(f.src, f.dst): f.bytes_sent for f in windows[T0 + 60]} == {(WEB, DB): 500}
    assert agg.unknown == ["10.9.9.9"]


def test_vpc_default_v2_format_and_malformed_lines() -> None:
    parser = VpcFlowParser()
    v2 = f"2 123456789012 eni-1 10.1.0.10 10.1.0.20 443 5000 6 10 840 {T0} {T0 + 60} ACCEPT OK"
    record = parser.parse(v2)
    assert record is not None
    assert (record.bytes_sent, record.direction) == (840, "")
    nodata = f"2 123456789012 eni-1 - - - - - - - {T0} {T0 + 60} - NODATA"
    assert parser.parse(nodata) is None
    with pytest.raises(FlowRecordError) as caught:
        parser.parse("2 too few fields")
    assert caught.value.reason == "malformed"


def hubble(src: str, dst: str, size: int | None, **extra: object) -> str:
    flow: dict[str, object] = {
        "time": "2026-11-20T10:00:03.123456789Z",
        "IP": {"source": src, "destination": dst, "ipVersion": "IPv4"},
        "Type": "L3_L4",
        "node_name": "node-a",
        "traffic_direction": "EGRESS",
        **extra,
    }
    if size is not None:
        flow["bytes"] = size
    return orjson.dumps({"flow": flow, "node_name": "node-a", "time": flow["time"]}).decode()


def test_hubble_flows_need_a_byte_count() -> None:
    record = parse_hubble(hubble("10.1.0.10", "10.1.0.20", 4096))
    assert record is not None
    assert (record.start_s, record.bytes_sent) == (T0 + 3, 4096)
    assert parse_hubble(hubble("10.1.0.20", "10.1.0.10", 10, is_reply=True)) is None
    with pytest.raises(FlowRecordError) as caught:
        parse_hubble(hubble("10.1.0.10", "10.1.0.20", None))
    assert caught.value.reason == "no_byte_count"


def make_source(
    path: Path, fmt: str, checkpoints: MemoryCheckpoints
) -> tuple[FlowLogSource, RecordingPublisher, CollectorRegistry]:
    publisher, registry = RecordingPublisher(), CollectorRegistry()
    source = FlowLogSource(
        path=path,
        fmt="vpc" if fmt == "vpc" else "hubble",
        resolver=resolver(),
        cluster="prod",
        producer="collector",
        provider=Provider.AWS,
        region="us-east-1",
        health=SourceHealth("prod", "flowlogs", metrics=SourceMetrics.create(registry)),
        publish=publisher,
        checkpoints=checkpoints,
        window_s=60,
    )
    return source, publisher, registry


def events(publisher: RecordingPublisher) -> list[FlowsObserved]:
    return [FlowsObserved.model_validate_json(m.payload) for m in publisher.messages]


async def test_files_are_read_once_and_resumed(tmp_path: Path) -> None:
    logs = tmp_path / "vpc"
    logs.mkdir()
    live = logs / "a.log"
    live.write_text("\n".join([HEADER, vpc("10.1.0.10", "10.1.0.20", 1000, T0 + 5)]) + "\n")
    with gzip.open(logs / "b.log.gz", "wt") as fh:
        fh.write("\n".join([HEADER, vpc("10.1.0.11", "52.95.1.1", 5000, T0 + 7)]) + "\n")
    checkpoints = MemoryCheckpoints()
    source, publisher, _ = make_source(logs, "vpc", checkpoints)
    assert await source.poll() == 2
    assert await source.poll() == 0
    with live.open("a") as fh:
        fh.write(vpc("10.1.0.10", "10.1.0.20", 250, T0 + 65) + "\n" + "2 half a li")
    assert await source.poll() == 1
    [appended] = events(publisher)[2:]
    assert appended.window_start == datetime.fromtimestamp(T0 + 60, tz=UTC)
    assert [f.bytes_sent for f in appended.flows] == [250]

    # A restart that lost its checkpoint re-reads the same bytes under the same event ids.
    again, republished, _ = make_source(logs, "vpc", MemoryCheckpoints())
    gz = next(m for m in publisher.messages if b"52.95.1.1" in m.payload)
    await again.poll()
    assert gz.msg_id in {m.msg_id for m in republished.messages}


async def test_bad_and_unknown_records_are_counted_and_skipped(tmp_path: Path) -> None:
    export = tmp_path / "hubble.log"
    export.write_text(
        "\n".join(
            [
                hubble("10.1.0.10", "10.1.0.20", 4096),
                hubble("10.1.0.10", "10.1.0.20", None),
                hubble("10.1.0.10", "10.1.0.20", None),
                "{not json",
                hubble("10.1.0.10", "10.77.0.1", 10),
            ]
        )
        + "\n"
    )
    source, publisher, registry = make_source(export, "hubble", MemoryCheckpoints())
    await source.poll()
    [event] = events(publisher)
    assert [(f.src.workload, f.dst.workload, f.bytes_sent) for f in event.flows] == [
        ("web", "db", 4096)
    ]

    def skipped(reason: str) -> float:
        labels = {"cluster": "prod", "source": "flowlogs", "kind": "Flow", "reason": reason}
        return registry.get_sample_value("kubeopt_collector_input_skipped_total", labels) or 0.0

    assert (skipped("no_byte_count"), skipped("malformed"), skipped("unknown_ip")) == (2, 1, 1)
    assert source.health.skipped == 4
