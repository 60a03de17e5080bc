"""The ClickHouse port: the same test bodies against both adapters on the one chDB engine path."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from pydantic import SecretStr

from kubeopt_common.bus.server import free_port
from kubeopt_common.clickhouse import ClickHouse, ClickHouseError, open_clickhouse
from kubeopt_common.clickhouse.chdb_adapter import ChdbClickHouse
from kubeopt_common.clickhouse.connect_adapter import ConnectClickHouse
from kubeopt_common.settings import ClickHouseSettings

BIG = 2**62 + 7
TOKYO = timezone(timedelta(hours=9))
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def _open(kind: str, path: Path, database: str) -> ClickHouse:
    if kind == "chdb":
        return ChdbClickHouse(path, database=database)
    return ConnectClickHouse.from_dsn(f"chdb://{path}", database=database)


@pytest.fixture(params=["chdb", "connect"])
def ch(request: pytest.FixtureRequest, chdb_path: Path) -> Iterator[ClickHouse]:
    """Each adapter with a database of its own; ``connect`` is clickhouse-connect over chdb://."""
    client = _open(request.param, chdb_path, f"t_{uuid.uuid4().hex[:12]}")
    yield client
    client.command(f"DROP DATABASE IF EXISTS {client.database}")
    client.close()


def _create_usage(ch: ClickHouse) -> str:
    table = "usage"
    ch.command(
        f"CREATE TABLE {ch.database}.{table} ("
        " window_start DateTime('UTC'),"
        " namespace LowCardinality(String),"
        " cost_nano_usd Int64,"
        " labels Map(String, String)"
        ") ENGINE = MergeTree ORDER BY (namespace, window_start)"
        " SETTINGS non_replicated_deduplication_window = 100"
    )
    return table


def _rows(n: int, *, namespace: str = "team-a") -> dict[str, list[object]]:
    return {
        "window_start": [int((T0 + timedelta(minutes=i)).timestamp()) for i in range(n)],
        "namespace": [namespace] * n,
        "cost_nano_usd": [BIG + i for i in range(n)],
        "labels": [{"app": f"app-{i}", "tier": "web"} for i in range(n)],
    }


def _count(ch: ClickHouse, table: str) -> int:
    [row] = ch.query(f"SELECT count() AS n FROM {ch.database}.{table}")  # noqa: S608
    return int(row["n"])


def test_insert_and_query_round_trip_with_parameters(ch: ClickHouse) -> None:
    table = _create_usage(ch)
    ch.insert_columns(table, _rows(3))
    ch.insert_columns(table, _rows(1, namespace="team-b"))

    rows = ch.query(
        f"SELECT window_start, namespace, cost_nano_usd, labels FROM {ch.database}.{table}"  # noqa: S608
        " WHERE namespace = {ns:String} AND window_start >= {since:DateTime('UTC')}"
        " ORDER BY window_start",
        {"ns": "team-a", "since": T0 + timedelta(minutes=1)},
    )

    assert rows == [
        {
            "window_start": T0 + timedelta(minutes=i),
            "namespace": "team-a",
            "cost_nano_usd": BIG + i,
            "labels": {"app": f"app-{i}", "tier": "web"},
        }
        for i in (1, 2)
    ]
    assert all(r["window_start"].tzinfo is not None for r in rows)
    assert all(r["window_start"].utcoffset() == timedelta(0) for r in rows)


def test_a_datetime_parameter_is_the_instant_whatever_its_zone(ch: ClickHouse) -> None:
    instant = datetime(2025, 3, 1, 21, 0, tzinfo=TOKYO)
    [row] = ch.query(
        "SELECT toUnixTimestamp({a:DateTime('UTC')}) AS a,"
        " toUnixTimestamp({b:DateTime('Asia/Tokyo')}) AS b,"
        " toUnixTimestamp({c:DateTime}) AS c",
        {"a": instant, "b": instant, "c": instant},
    )
    assert row == {"a": int(instant.timestamp())} | {
        "b": int(instant.timestamp()),
        "c": int(instant.timestamp()),
    }


def test_datetimes_of_any_column_zone_come_back_as_utc_instants(ch: ClickHouse) -> None:
    [row] = ch.query(
        "SELECT toDateTime(1740830400, 'Asia/Tokyo') AS tokyo,"
        " toDateTime(1740830400, 'UTC') AS utc,"
        " toDateTime64(1740830400.25, 3, 'America/New_York') AS precise,"
        " toDate('2025-03-01') AS day"
    )
    assert row["tokyo"] == T0
    assert row["tokyo"].utcoffset() == timedelta(0)
    assert row["utc"] == T0
    assert row["precise"] == T0 + timedelta(milliseconds=250)
    assert row["precise"].utcoffset() == timedelta(0)
    assert row["day"] == date(2025, 3, 1)
    assert not isinstance(row["day"], datetime)


def test_array_parameters_are_bound(ch: ClickHouse) -> None:
    [row] = ch.query(
        "SELECT length({names:Array(String)}) AS n,"
        " has({names:Array(String)}, 'o''brien') AS quoted",
        {"names": ["a", "o'brien"]},
    )
    assert row == {"n": 2, "quoted": 1}


def test_a_trailing_semicolon_or_comment_does_not_change_the_result(ch: ClickHouse) -> None:
    assert ch.query("SELECT toInt64(7) AS x;") == [{"x": 7}]
    assert ch.query("SELECT toDateTime(1740830400, 'UTC') AS t -- the window") == [{"t": T0}]


def test_a_repeated_insert_with_the_same_dedup_token_is_a_no_op(ch: ClickHouse) -> None:
    table = _create_usage(ch)
    rows = _rows(4)
    batch, next_batch = "usage:c1:2025-03-01T12:00", "usage:c1:2025-03-01T12:01"

    ch.insert_columns(table, rows, dedup_token=batch)
    ch.insert_columns(table, rows, dedup_token=batch)
    assert _count(ch, table) == 4

    ch.insert_columns(table, rows, dedup_token=next_batch)
    assert _count(ch, table) == 8


def test_an_empty_insert_is_a_no_op(ch: ClickHouse) -> None:
    table = _create_usage(ch)
    ch.insert_columns(table, {"window_start": [], "namespace": [], "cost_nano_usd": []})
    ch.insert_columns("no_such_table", {})
    assert _count(ch, table) == 0


def test_bad_sql_raises_with_the_engine_message(ch: ClickHouse) -> None:
    with pytest.raises(ClickHouseError, match="Syntax error"):
        ch.query("SELEC 1")
    with pytest.raises(ClickHouseError, match=r"UNKNOWN_TABLE|does not exist"):
        ch.command(f"INSERT INTO {ch.database}.missing VALUES (1)")  # noqa: S608
    with pytest.raises(ClickHouseError, match="missing"):
        ch.insert_columns("missing", {"x": [1]})


def test_ping(ch: ClickHouse) -> None:
    assert ch.ping()


def test_chdb_rejects_a_dedup_token_it_cannot_quote(chdb_path: Path) -> None:
    client = ChdbClickHouse(chdb_path, database=f"t_{uuid.uuid4().hex[:12]}")
    try:
        table = _create_usage(client)
        injection = "x' OR 1=1 --"
        with pytest.raises(ClickHouseError, match="dedup token"):
            client.insert_columns(table, _rows(1), dedup_token=injection)
        assert _count(client, table) == 0
    finally:
        client.command(f"DROP DATABASE IF EXISTS {client.database}")
        client.close()


def test_open_clickhouse_in_chdb_mode(chdb_path: Path) -> None:
    database = f"t_{uuid.uuid4().hex[:12]}"
    client = open_clickhouse(ClickHouseSettings(mode="chdb", path=chdb_path, database=database))
    try:
        assert isinstance(client, ChdbClickHouse)
        assert client.database == database
        assert client.query("SELECT 1 AS one") == [{"one": 1}]
    finally:
        client.command(f"DROP DATABASE IF EXISTS {database}")
        client.close()


def test_chdb_refuses_a_second_engine_path(chdb_path: Path, tmp_path: Path) -> None:
    client = ChdbClickHouse(chdb_path, database=f"t_{uuid.uuid4().hex[:12]}")
    try:
        with pytest.raises(ClickHouseError, match="one engine path per process"):
            ChdbClickHouse(tmp_path / "elsewhere", database="other")
    finally:
        client.command(f"DROP DATABASE IF EXISTS {client.database}")
        client.close()


def test_an_unreachable_server_in_a_dsn_is_a_clickhouse_error_without_credentials() -> None:
    port = free_port()
    with pytest.raises(ClickHouseError) as info:
        ConnectClickHouse.from_dsn(f"http://default:hunter2@127.0.0.1:{port}", database="x")
    assert f"cannot connect to ClickHouse at 127.0.0.1:{port}" in str(info.value)
    assert "hunter2" not in str(info.value)


def test_an_unreachable_server_in_settings_is_a_clickhouse_error() -> None:
    port = free_port()
    settings = ClickHouseSettings(mode="http", port=port, password=SecretStr("hunter2"))
    with pytest.raises(ClickHouseError) as info:
        open_clickhouse(settings)
    assert f"cannot connect to ClickHouse at 127.0.0.1:{port}" in str(info.value)
    assert "hunter2" not in str(info.value)
