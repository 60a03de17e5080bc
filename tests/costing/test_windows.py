from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kubeopt_costing.domain.aggregation import AggregateError, AggregateKey, parse_aggregate
from kubeopt_costing.domain.windows import WindowError, parse_window

NOW = datetime(2026, 11, 25, 14, 37, 12, tzinfo=UTC)  # a Wednesday


def test_duration_ends_at_the_current_minute() -> None:
    w = parse_window("1h", now=NOW)
    assert w.end == datetime(2026, 11, 25, 14, 38, tzinfo=UTC)
    assert w.end - w.start == timedelta(hours=1)
    assert not w.hour_aligned


def test_long_windows_are_widened_to_whole_hours() -> None:
    w = parse_window("7d", now=NOW)
    assert w.hour_aligned
    assert w.end == datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
    assert w.start == datetime(2026, 11, 18, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("today", datetime(2026, 11, 25, tzinfo=UTC), datetime(2026, 11, 26, tzinfo=UTC)),
        ("yesterday", datetime(2026, 11, 24, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC)),
        ("lastweek", datetime(2026, 11, 16, tzinfo=UTC), datetime(2026, 11, 23, tzinfo=UTC)),
        ("month", datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)),
        ("lastmonth", datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)),
        (
            "2026-11-01T00:00:00Z,2026-11-02T06:30:00+01:00",
            datetime(2026, 11, 1, tzinfo=UTC),
            datetime(2026, 11, 2, 5, 30, tzinfo=UTC),
        ),
    ],
)
def test_named_and_explicit_windows(text: str, start: datetime, end: datetime) -> None:
    w = parse_window(text, now=NOW)
    assert (w.start, w.end) == (start, end)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0h", "longer than zero"),
        ("fortnight", "not a window"),
        ("2026-11-02T00:00:00Z,2026-11-01T00:00:00Z", "after its start"),
        ("2026-11-01T00:00:00,2026-11-02T00:00:00Z", "no UTC offset"),
        ("yesterday-ish,2026-11-02T00:00:00Z", "not an RFC 3339"),
    ],
)
def test_bad_windows_say_why(text: str, reason: str) -> None:
    with pytest.raises(WindowError, match=reason):
        parse_window(text, now=NOW)


def test_aggregate_keys() -> None:
    assert parse_aggregate("cluster,label:app.kubernetes.io/name") == (
        AggregateKey("cluster", column="cluster"),
        AggregateKey("label:app.kubernetes.io/name", label="app.kubernetes.io/name"),
    )
    assert parse_aggregate("workload")[0].column == "workload"


@pytest.mark.parametrize("text", ["team", "label:", "namespace,namespace", "namespace;drop"])
def test_bad_aggregates(text: str) -> None:
    with pytest.raises(AggregateError):
        parse_aggregate(text)
