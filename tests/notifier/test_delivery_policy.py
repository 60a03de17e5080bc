"""Delivery policy: backoff with jitter, Retry-After, HTTP classification, token bucket."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubeopt_notifier.domain import ResultStatus
from kubeopt_notifier.domain.delivery import (
    RetryPolicy,
    TokenBucket,
    classify_http,
    parse_retry_after,
)

POLICY = RetryPolicy(initial_s=1, multiplier=2, max_s=60, jitter=0.5, max_attempts=5)


def test_backoff_doubles_up_to_the_cap() -> None:
    middle = [POLICY.delay_s(attempt, draw=0.5) for attempt in range(1, 9)]
    assert middle == [1, 2, 4, 8, 16, 32, 60, 60]


@given(attempt=st.integers(1, 30), draw=st.floats(0, 1, exclude_max=True))
def test_jitter_stays_within_half_either_way(attempt: int, draw: float) -> None:
    base = min(60, 2 ** (attempt - 1))
    assert 0.5 * base <= POLICY.delay_s(attempt, draw=draw) <= 1.5 * base


def test_retry_after_replaces_the_backoff_up_to_a_cap() -> None:
    assert POLICY.delay_s(1, draw=0.9, retry_after_s=7) == 7
    assert POLICY.delay_s(1, draw=0.9, retry_after_s=10**6) == POLICY.max_retry_after_s
    assert not POLICY.exhausted(4)
    assert POLICY.exhausted(5)


def test_retry_after_in_seconds_or_as_a_date() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert parse_retry_after("30", now=now) == 30
    assert parse_retry_after("Wed, 25 Nov 2026 12:01:00 GMT", now=now) == 60
    assert parse_retry_after("Wed, 25 Nov 2026 11:00:00 GMT", now=now) == 0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None, now=now) is None


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (200, ResultStatus.DELIVERED),
        (204, ResultStatus.DELIVERED),
        (301, ResultStatus.FAILED),
        (400, ResultStatus.FAILED),
        (403, ResultStatus.FAILED),
        (404, ResultStatus.FAILED),
        (410, ResultStatus.GONE),
        (429, ResultStatus.RETRYABLE),
        (500, ResultStatus.RETRYABLE),
        (503, ResultStatus.RETRYABLE),
    ],
)
def test_http_statuses(status: int, expected: ResultStatus) -> None:
    result = classify_http(status, retry_after_s=3, detail="no_service")
    assert result.status is expected
    if expected is ResultStatus.RETRYABLE:
        assert result.retry_after_s == 3
    if expected is not ResultStatus.DELIVERED:
        assert result.error == f"HTTP {status}: no_service"


def test_token_bucket_allows_a_burst_then_one_per_second() -> None:
    bucket = TokenBucket(rate_per_s=1, burst=3)
    assert [bucket.wait_s(100.0) for _ in range(3)] == [0, 0, 0]
    assert bucket.wait_s(100.0) == pytest.approx(1.0)
    assert bucket.wait_s(100.0) == pytest.approx(2.0)
    later = TokenBucket(rate_per_s=1, burst=3)
    later.wait_s(0.0)
    assert later.wait_s(10.0) == 0  # refilled (up to the burst) while idle
