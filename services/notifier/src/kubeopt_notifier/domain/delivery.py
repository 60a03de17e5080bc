"""Delivery policy: backoff with jitter, ``Retry-After``, what an HTTP status means, and a
per-channel token bucket. Pure: the caller passes the clock and the random draw."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from kubeopt_notifier.domain.notification import DeliveryResult


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff: ``initial_s × multiplier^(attempt-1)``, capped at ``max_s``, times a
    jitter factor drawn from ``[1 - jitter, 1 + jitter]``. ``max_attempts`` includes the first.
    A ``Retry-After`` from the endpoint replaces the backoff (capped at ``max_retry_after_s``).
    """

    initial_s: float = 1.0
    multiplier: float = 2.0
    max_s: float = 300.0
    jitter: float = 0.5
    max_attempts: int = 10
    max_retry_after_s: float = 3600.0

    def delay_s(self, attempt: int, *, draw: float, retry_after_s: float | None = None) -> float:
        """Seconds to wait after failed ``attempt`` (1-based); ``draw`` is uniform in [0, 1)."""
        if retry_after_s is not None:
            return min(retry_after_s, self.max_retry_after_s)
        base = min(self.max_s, self.initial_s * self.multiplier ** max(attempt - 1, 0))
        return base * (1 - self.jitter + 2 * self.jitter * draw)

    def exhausted(self, attempts: int) -> bool:
        return attempts >= self.max_attempts


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date; None when absent or bad."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def classify_http(status: int, *, retry_after_s: float | None, detail: str) -> DeliveryResult:
    """2xx delivered; 410 gone (disable); 429 and 5xx retryable (honouring Retry-After); any
    other 4xx (or 3xx) failed, never retried."""
    if 200 <= status < 300:
        return DeliveryResult.delivered()
    error = f"HTTP {status}" + (f": {detail}" if detail else "")
    if status == 410:
        return DeliveryResult.gone(error)
    if status == 429 or status >= 500:
        return DeliveryResult.retryable(error, retry_after_s=retry_after_s)
    return DeliveryResult.failed(error)


@dataclass
class TokenBucket:
    """At most ``rate_per_s`` sends per second on average, bursts of ``burst``."""

    rate_per_s: float
    burst: float
    tokens: float | None = None  # negative while sends are booked ahead of the rate
    updated: float = 0.0

    def wait_s(self, now: float) -> float:
        """Take a token at monotonic time ``now``; returns how long to wait before sending."""
        if self.tokens is None:
            self.tokens, self.updated = self.burst, now
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate_per_s)
        self.updated = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate_per_s


def after(now: datetime, seconds: float) -> datetime:
    return now + timedelta(seconds=seconds)
