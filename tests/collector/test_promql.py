"""Query planning: no query over 11,000 points per series or the sample budget; pod batches;
regex escaping; and the Prometheus HTTP client (POST, auth, errors)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubeopt_collector.domain.promql import (
    Queries,
    batch_matchers,
    batches,
    escape_regex,
    time_chunks,
)
from kubeopt_collector.prometheus import PrometheusAuth, PrometheusClient, PrometheusError

T0 = datetime(2026, 11, 1, tzinfo=UTC)


@given(
    windows=st.integers(min_value=1, max_value=40_000),
    step_s=st.sampled_from([15, 60, 300, 3600]),
    max_points=st.integers(min_value=1, max_value=11_000),
    series=st.integers(min_value=1, max_value=500_000),
    budget=st.integers(min_value=1000, max_value=5_000_000),
)
def test_chunks_cover_every_window_once_within_the_limits(
    windows: int, step_s: int, max_points: int, series: int, budget: int
) -> None:
    end = T0 + timedelta(seconds=windows * step_s)
    chunks = time_chunks(
        T0,
        end,
        step_s=step_s,
        max_points_per_series=max_points,
        series_per_query=series,
        max_samples_per_query=budget,
    )
    covered = 0
    expected_start = T0
    for first, last in chunks:
        assert first == expected_start
        points = int((last - first).total_seconds()) // step_s + 1
        assert 1 <= points <= max_points
        assert points == 1 or points * series <= budget
        covered += points
        expected_start = last + timedelta(seconds=step_s)
    assert covered == windows


def test_a_week_at_one_minute_needs_chunks() -> None:
    end = T0 + timedelta(days=8)
    chunks = time_chunks(
        T0,
        end,
        step_s=60,
        max_points_per_series=11_000,
        series_per_query=1,
        max_samples_per_query=10**9,
    )
    assert len(chunks) == 2  # 11,520 windows


def test_pod_batches_and_escaped_matchers() -> None:
    pods = [("shop", f"web-{i}") for i in range(5)] + [("ns.x", "a+b")]
    assert [len(b) for b in batches(pods, 2)] == [2, 2, 2]
    matcher = batch_matchers([("ns.x", "a+b"), ("shop", "web-1")])
    assert matcher == 'namespace=~"ns\\\\.x|shop",pod=~"a\\\\+b|web-1"'
    literal = escape_regex("a.b*(c)").encode().decode("unicode_escape")  # the string as Go reads it
    assert re.fullmatch(literal, "a.b*(c)")


def test_queries_carry_the_extra_selector_and_window() -> None:
    queries = Queries(300, 'cluster="prod"')
    cpu = queries.container('pod=~"x"')["cpu"]
    assert 'cluster="prod"' in cpu
    assert "[300s]" in cpu
    assert 'container!="POD"' in cpu
    assert all('cluster="prod"' in q for q in queries.cluster().values())


def recording(status: int, body: object) -> tuple[list[httpx.Request], httpx.MockTransport]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=body)

    return seen, httpx.MockTransport(handle)


MATRIX = {
    "status": "success",
    "data": {
        "resultType": "matrix",
        "result": [{"metric": {"pod": "a"}, "values": [[1700000300, "0.25"], [1700000600, "NaN"]]}],
    },
}


async def test_queries_are_posted_with_bearer_auth_and_tenant_header() -> None:
    seen, transport = recording(200, MATRIX)
    client = PrometheusClient(
        "http://prom.example:9090/",
        auth=PrometheusAuth(bearer_token="t0k3n"),
        headers={"X-Scope-OrgID": "team-a"},
        transport=transport,
    )
    [series] = await client.query_range(
        'up{pod=~"' + "x" * 20_000 + '"}', start=T0, end=T0 + timedelta(hours=1), step_s=300
    )
    await client.close()
    [request] = seen
    assert request.method == "POST"
    assert request.url.path == "/api/v1/query_range"
    assert request.headers["Authorization"] == "Bearer t0k3n"
    assert request.headers["X-Scope-OrgID"] == "team-a"
    form = parse_qs(request.content.decode())
    assert form["step"] == ["300"]
    assert len(form["query"][0]) > 20_000
    assert series.points == [(1700000300.0, 0.25)]  # NaN dropped


async def test_basic_auth() -> None:
    seen, transport = recording(200, MATRIX)
    client = PrometheusClient(
        "http://p", auth=PrometheusAuth(username="u", password="p"), transport=transport
    )
    await client.query("up", at=T0)
    await client.close()
    assert seen[0].headers["Authorization"] == "Basic dTpw"


@pytest.mark.parametrize(
    ("status", "body", "retryable", "text"),
    [
        (
            400,
            {
                "status": "error",
                "errorType": "bad_data",
                "error": "exceeded maximum resolution of 11,000 points",
            },
            False,
            "11,000",
        ),
        (
            503,
            {"status": "error", "errorType": "timeout", "error": "query timed out"},
            True,
            "timed out",
        ),
        (502, "<html>bad gateway</html>", True, "502"),
    ],
)
async def test_errors_say_what_prometheus_said(
    status: int, body: object, retryable: bool, text: str
) -> None:
    _, transport = recording(status, body)
    client = PrometheusClient("http://p", transport=transport)
    with pytest.raises(PrometheusError) as caught:
        await client.query("up", at=T0)
    await client.close()
    assert caught.value.status == status
    assert caught.value.retryable is retryable
    assert text in str(caught.value)


async def test_an_unreachable_prometheus() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = PrometheusClient("http://p", transport=httpx.MockTransport(refuse))
    with pytest.raises(PrometheusError, match="cannot reach Prometheus") as caught:
        await client.query("up", at=T0)
    await client.close()
    assert caught.value.status is None
    assert caught.value.retryable
