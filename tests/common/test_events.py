"""The event envelope, subjects, dead-letter records and per-event invariants."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from kubeopt_common.events import (
    ContainerColumns,
    DeadLetter,
    SpendUpdated,
    Subject,
    UsageSampled,
    dead_letter_subject,
    event_id_for,
    for_cluster,
)
from kubeopt_common.events.deadletter import encode_payload
from tests.builders import (
    T0,
    make_container_columns,
    make_container_sample,
    make_dead_letter,
    make_inventory_snapshotted,
    make_node,
    make_spend_updated,
    make_usage_sampled,
)


def _spend_payload(**overrides: Any) -> dict[str, Any]:
    return {**make_spend_updated().model_dump(mode="json"), **overrides}


# ----------------------------------------------------------------------------- envelope
def test_naive_occurred_at_is_rejected() -> None:
    with pytest.raises(ValidationError, match="occurred_at"):
        make_spend_updated(occurred_at=datetime(2025, 1, 1))  # noqa: DTZ001 - the point


def test_non_utc_datetimes_are_normalised_to_utc() -> None:
    cest = timezone(timedelta(hours=2))
    event = make_spend_updated(
        occurred_at=datetime(2025, 6, 1, 14, 0, tzinfo=cest),
        window_start=datetime(2025, 6, 1, 13, 0, tzinfo=cest),
    )
    assert event.occurred_at == datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
    assert event.occurred_at.utcoffset() == timedelta(0)
    assert event.window_start.hour == 11
    assert event.window_start.tzinfo is UTC


def test_json_round_trip_keeps_every_field() -> None:
    event = make_usage_sampled()
    assert UsageSampled.model_validate_json(event.model_dump_json()) == event


@pytest.mark.parametrize("cluster", ["prod.eu", "Prod", "a b", "*", ">", "", "-edge", "x" * 64])
def test_cluster_must_be_one_subject_token(cluster: str) -> None:
    with pytest.raises(ValidationError, match="cluster"):
        make_spend_updated(cluster=cluster)


def test_unknown_field_is_rejected() -> None:
    with pytest.raises(ValidationError, match="surprise"):
        SpendUpdated.model_validate(_spend_payload(surprise=1))


def test_events_are_frozen() -> None:
    event = make_spend_updated()
    with pytest.raises(ValidationError, match="frozen"):
        event.cost_nano_usd = 0  # type: ignore[misc]


def test_unsupported_schema_version_is_rejected_naming_it() -> None:
    with pytest.raises(ValidationError) as info:
        SpendUpdated.model_validate(_spend_payload(schema_version=2))
    message = str(info.value)
    assert "schema_version 2" in message
    assert "SpendUpdated" in message
    assert "expects 1" in message


def test_create_fills_the_envelope() -> None:
    event = make_spend_updated()
    assert event.schema_version == SpendUpdated.SCHEMA_VERSION
    assert isinstance(event.event_id, uuid.UUID)
    assert event.msg_id == str(event.event_id)
    assert make_spend_updated().event_id != event.event_id


def test_create_keeps_a_given_event_id() -> None:
    event_id = event_id_for("spend", "c1", "default", T0)
    assert make_spend_updated(event_id=event_id).event_id == event_id


# ----------------------------------------------------------------------------- event ids
def test_event_id_for_is_deterministic_and_key_sensitive() -> None:
    first = event_id_for("usage", "c1", T0, 60)
    assert first == event_id_for("usage", "c1", T0, 60)
    assert first != event_id_for("usage", "c2", T0, 60)
    assert first != event_id_for("usage", "c1", T0 + timedelta(minutes=1), 60)
    assert first.version == 5


def test_event_id_for_depends_on_the_instant_not_its_time_zone() -> None:
    berlin = T0.astimezone(timezone(timedelta(hours=1)))
    assert event_id_for("usage", "c1", berlin) == event_id_for("usage", "c1", T0)


def test_event_id_for_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="naive"):
        event_id_for("usage", datetime(2025, 1, 1))  # noqa: DTZ001 - the point


# ----------------------------------------------------------------------------- subjects
def test_subject_is_the_cluster_scoped_subject() -> None:
    event = make_spend_updated(cluster="prod-eu-1")
    assert event.subject == "kubeopt.v1.spend.updated.prod-eu-1"
    assert event.subject == for_cluster(Subject.SPEND_UPDATED, "prod-eu-1")


def test_subject_domain_and_wildcard() -> None:
    assert Subject.BUDGET_THRESHOLD_CROSSED.domain == "budget"
    assert Subject.USAGE_SAMPLED.all_clusters == "kubeopt.v1.usage.sampled.*"


@pytest.mark.parametrize("cluster", ["a.b", "A", "", "x*", "with space"])
def test_for_cluster_rejects_a_bad_token(cluster: str) -> None:
    with pytest.raises(ValueError, match="not a valid subject token"):
        for_cluster(Subject.USAGE_SAMPLED, cluster)


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        ("kubeopt.v1.usage.sampled.c1", "kubeopt.v1.deadletter.costing.usage"),
        ("kubeopt.v1.budget.threshold_crossed.c1", "kubeopt.v1.deadletter.costing.budget"),
        ("other.subject.entirely", "kubeopt.v1.deadletter.costing.unknown"),
        ("kubeopt", "kubeopt.v1.deadletter.costing.unknown"),
    ],
)
def test_dead_letter_subject(original: str, expected: str) -> None:
    assert dead_letter_subject("costing", original) == expected


# ----------------------------------------------------------------------------- dead letters
def test_dead_letter_keeps_a_utf8_payload_as_text() -> None:
    original = '{"namespace": "café"}'.encode()
    payload, encoding = encode_payload(original)
    record = make_dead_letter(payload=payload, payload_encoding=encoding)
    assert record.payload_encoding == "utf-8"
    assert record.payload == '{"namespace": "café"}'
    restored = DeadLetter.model_validate_json(record.model_dump_json())
    assert restored.original_bytes() == original


def test_dead_letter_keeps_a_binary_payload_as_base64() -> None:
    original = b"\xff\xfe\x00binary\x80"
    payload, encoding = encode_payload(original)
    record = make_dead_letter(payload=payload, payload_encoding=encoding)
    assert record.payload_encoding == "base64"
    restored = DeadLetter.model_validate_json(record.model_dump_json())
    assert restored.original_bytes() == original


def test_dead_letter_rejects_an_unknown_encoding() -> None:
    with pytest.raises(ValidationError, match="payload_encoding"):
        make_dead_letter(payload_encoding="gzip")


# ----------------------------------------------------------------------------- per-event rules
def test_inventory_part_must_be_below_parts() -> None:
    assert make_inventory_snapshotted(part=2, parts=3).part == 2
    with pytest.raises(ValidationError, match="part 3 is out of range for a snapshot of 3 parts"):
        make_inventory_snapshotted(part=3, parts=3)


def test_inventory_needs_at_least_one_part() -> None:
    with pytest.raises(ValidationError, match="parts"):
        make_inventory_snapshotted(part=0, parts=0)


def test_usage_sample_count_counts_containers_across_nodes() -> None:
    event = make_usage_sampled(
        [
            (make_node(name="node-a"), [make_container_sample(container=c) for c in "ab"]),
            (make_node(name="node-b"), [make_container_sample(pod="p2")]),
        ]
    )
    assert event.sample_count == 3
    assert make_usage_sampled([(make_node(), [])]).sample_count == 0
    assert make_usage_sampled([]).sample_count == 0


def test_usage_label_sets_are_interned_across_nodes() -> None:
    web, etl = {"team": "web"}, {"team": "data"}
    event = make_usage_sampled(
        [
            (make_node(name="node-a"), [make_container_sample(labels=web)]),
            (make_node(name="node-b"), [make_container_sample(labels=etl)] * 2),
            (make_node(name="node-c"), [make_container_sample(labels=web)]),
        ]
    )
    assert event.label_sets == [web, etl]
    assert [n.containers.label_set for n in event.nodes] == [[0], [1, 1], [0]]
    assert UsageSampled.model_validate_json(event.model_dump_json()) == event


def test_usage_columns_must_line_up() -> None:
    columns = make_container_columns(make_container_sample(), make_container_sample(pod="p2"))
    broken = columns.model_dump() | {"cpu_usage_millicores": [1]}
    with pytest.raises(ValidationError, match="every column must have 2 entries") as info:
        ContainerColumns.model_validate(broken)
    assert "cpu_usage_millicores=1" in str(info.value)


def test_usage_label_set_index_must_exist() -> None:
    event = make_usage_sampled()
    with pytest.raises(ValidationError, match="references label set 0 but only 0 are defined"):
        UsageSampled.model_validate(event.model_dump() | {"label_sets": []})


@pytest.mark.parametrize("column", ["cpu_usage_millicores", "memory_usage_bytes", "restarts"])
def test_usage_quantities_cannot_be_negative(column: str) -> None:
    columns = make_container_columns().model_dump() | {column: [-1]}
    with pytest.raises(ValidationError, match=column):
        ContainerColumns.model_validate(columns)


@pytest.mark.parametrize("seconds", [0, 86_401])
def test_usage_window_length_is_bounded(seconds: int) -> None:
    with pytest.raises(ValidationError, match="window_seconds"):
        make_usage_sampled(window_seconds=seconds)
