"""HTTP delivery shared by the Slack and webhook channels: one POST, classified; reachability.

Nothing here puts the URL (whose path is a secret for Slack) into an error or a log line.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlsplit

import httpx
from pydantic import AfterValidator

from kubeopt_notifier.domain import DeliveryResult
from kubeopt_notifier.domain.delivery import classify_http, parse_retry_after
from kubeopt_notifier.errors import ChannelUnreachableError

MAX_DETAIL_CHARS = 200


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        msg = "must be an http:// or https:// URL with a host"
        raise ValueError(msg)
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]


def endpoint(url: str) -> tuple[str, int]:
    """(host, port) of ``url`` — safe to show: the secret part of a webhook URL is its path."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return parts.hostname or "", port


def scrub(text: str, url: str) -> str:
    """``text`` without ``url`` or its path (exception messages sometimes quote them)."""
    path = urlsplit(url).path
    text = text.replace(url, "<url>")
    return text.replace(path, "<path>") if len(path) > 1 else text


class HttpPoster:
    """POSTs bodies to one URL with a pooled client; answers a classified result."""

    def __init__(self, url: str, *, timeout_s: float) -> None:
        self._url = url
        self._timeout_s = timeout_s
        self._client: httpx.AsyncClient | None = None

    async def post(self, body: bytes, headers: dict[str, str]) -> DeliveryResult:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout_s, follow_redirects=False)
        try:
            response = await self._client.post(
                self._url, content=body, headers={"Content-Type": "application/json", **headers}
            )
        except httpx.TimeoutException:
            return DeliveryResult.retryable(f"no answer within {self._timeout_s:g} s")
        except httpx.HTTPError as err:
            return DeliveryResult.retryable(scrub(f"{type(err).__name__}: {err}", self._url))
        retry_after = parse_retry_after(response.headers.get("Retry-After"), now=datetime.now(UTC))
        detail = scrub(response.text.strip()[:MAX_DETAIL_CHARS], self._url)
        return classify_http(response.status_code, retry_after_s=retry_after, detail=detail)

    async def check(self) -> None:
        """Open (and close) a TCP connection to the URL's host and port; send nothing."""
        host, port = endpoint(self._url)
        try:
            async with asyncio.timeout(min(self._timeout_s, 10.0)):
                _, writer = await asyncio.open_connection(host, port)
        except (OSError, TimeoutError) as err:
            reason = (
                "timed out" if isinstance(err, TimeoutError) else str(err) or type(err).__name__
            )
            msg = f"cannot connect to {host}:{port}: {scrub(reason, self._url)}"
            raise ChannelUnreachableError(msg) from None
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
