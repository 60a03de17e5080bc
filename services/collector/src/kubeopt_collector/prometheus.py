"""Prometheus HTTP API client (``/api/v1/query_range``, ``/api/v1/query``): also Thanos,
Mimir and VictoriaMetrics, which serve the same API.

Queries go as ``POST`` with a form body, so a long pod-batch matcher never hits a URL length
limit (the HTTP 414s KRR meets on large clusters). Bearer and basic authentication and extra
headers (``X-Scope-OrgID`` for a Mimir tenant) are set once on the client.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import orjson

from kubeopt_collector.domain.promql import Series


class PrometheusError(RuntimeError):
    """Prometheus refused the query (``status`` 400/422/503…) or could not be reached
    (``status`` None). ``error_type`` is Prometheus's ``errorType`` when it gave one."""

    def __init__(self, message: str, *, status: int | None = None, error_type: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type

    @property
    def retryable(self) -> bool:
        """Worth retrying later: unreachable, overloaded or timed out (not a bad query)."""
        return self.status is None or self.status in (429, 502, 503, 504) or self.status >= 500


@dataclass(frozen=True)
class PrometheusAuth:
    """Resolved credentials (the secret values, never stored)."""

    bearer_token: str | None = None
    username: str | None = None
    password: str | None = None


class PrometheusClient:
    def __init__(
        self,
        url: str,
        *,
        auth: PrometheusAuth | None = None,
        headers: Mapping[str, str] | None = None,
        verify_tls: bool = True,
        timeout_s: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        auth = auth or PrometheusAuth()
        all_headers = dict(headers or {})
        basic: httpx.BasicAuth | None = None
        if auth.bearer_token:
            all_headers["Authorization"] = f"Bearer {auth.bearer_token}"
        elif auth.username is not None:
            basic = httpx.BasicAuth(auth.username, auth.password or "")
        self.url = url.rstrip("/")
        self.queries = 0
        self._timeout_s = timeout_s
        self._http = httpx.AsyncClient(
            base_url=self.url,
            headers=all_headers,
            auth=basic,
            verify=verify_tls,
            timeout=httpx.Timeout(timeout_s + 10.0, connect=10.0),
            transport=transport,
        )

    async def query_range(
        self, query: str, *, start: datetime, end: datetime, step_s: int
    ) -> list[Series]:
        """A matrix: each series' points ``(unix seconds, value)`` at ``start + k × step``."""
        form = {
            "query": query,
            "start": _ts(start),
            "end": _ts(end),
            "step": str(step_s),
            "timeout": f"{self._timeout_s:g}s",
        }
        return _series(await self._post("/api/v1/query_range", form), query)

    async def query(self, query: str, *, at: datetime) -> list[Series]:
        """An instant vector as one-point series."""
        form = {"query": query, "time": _ts(at), "timeout": f"{self._timeout_s:g}s"}
        return _series(await self._post("/api/v1/query", form), query)

    async def _post(self, path: str, form: dict[str, str]) -> dict[str, Any]:
        self.queries += 1
        try:
            response = await self._http.post(path, data=form)
        except httpx.HTTPError as err:
            msg = f"cannot reach Prometheus at {self.url}: {type(err).__name__}: {err}"
            raise PrometheusError(msg) from err
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            body = None
        if not isinstance(body, dict) or body.get("status") != "success":
            detail = body.get("error", "") if isinstance(body, dict) else response.text[:200]
            error_type = str(body.get("errorType", "")) if isinstance(body, dict) else ""
            msg = f"Prometheus {path} answered HTTP {response.status_code}: {detail}".strip()
            raise PrometheusError(msg, status=response.status_code, error_type=error_type)
        data = body.get("data")
        return data if isinstance(data, dict) else {}

    async def close(self) -> None:
        await self._http.aclose()


def _ts(at: datetime) -> str:
    return f"{at.timestamp():.3f}"


def _series(data: Mapping[str, Any], query: str) -> list[Series]:
    kind = data.get("resultType")
    out: list[Series] = []
    for item in data.get("result") or []:
        labels = {str(k): str(v) for k, v in (item.get("metric") or {}).items()}
        if kind == "matrix":
            raw = item.get("values") or []
        elif kind == "vector":
            raw = [item.get("value")] if item.get("value") else []
        else:
            raise PrometheusError(f"unexpected result type {kind!r} for {query[:80]}")
        points = [(float(ts), float(value)) for ts, value in raw]
        out.append(Series(labels, [(ts, v) for ts, v in points if math.isfinite(v)]))
    return out
