"""A real local HTTP endpoint standing in for Slack or a webhook consumer in tests.

It answers each request with the next scripted :class:`Reply` (the last one repeats), records
every request, and can hold a request open until the test releases it (a slow endpoint).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

WAIT_S = 30.0


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: str = "ok"
    headers: dict[str, str] = field(default_factory=dict)
    hold: asyncio.Event | None = None  # answer only once this is set


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies) or [Reply()]
        self.requests: list[Received] = []
        self._arrived = asyncio.Condition()
        self.url = ""

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = (await reader.readline()).decode()
            headers: dict[str, str] = {}
            while (line := (await reader.readline()).decode().strip()) != "":
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            received = Received(request_line.split(" ")[1], headers, body, time.monotonic())
            reply = self.replies[min(len(self.requests), len(self.replies) - 1)]
            async with self._arrived:
                self.requests.append(received)
                self._arrived.notify_all()
            if reply.hold is not None:
                await reply.hold.wait()
            payload = reply.body.encode()
            head = [
                f"HTTP/1.1 {reply.status} X",
                f"Content-Length: {len(payload)}",
                "Connection: close",
                *(f"{k}: {v}" for k, v in reply.headers.items()),
            ]
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + payload)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def wait_for(self, count: int) -> list[Received]:
        """The first ``count`` requests, once they arrived (fails readably after a while)."""
        try:
            async with asyncio.timeout(WAIT_S), self._arrived:
                await self._arrived.wait_for(lambda: len(self.requests) >= count)
        except TimeoutError:
            msg = f"{self.url} got {len(self.requests)} requests, expected {count}"
            raise AssertionError(msg) from None
        return self.requests[:count]


@asynccontextmanager
async def serving(
    *replies: Reply, path: str = "/hooks/T000/B000/s3cr3t-path"
) -> AsyncIterator[Receiver]:
    """A receiver listening on 127.0.0.1 (a free port); ``url`` includes a secret-looking path."""
    receiver = Receiver(*replies)
    server = await asyncio.start_server(receiver._handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    receiver.url = f"http://127.0.0.1:{port}{path}"
    try:
        yield receiver
    finally:
        for reply in receiver.replies:
            if reply.hold is not None:
                reply.hold.set()
        server.close()
        await server.wait_closed()
