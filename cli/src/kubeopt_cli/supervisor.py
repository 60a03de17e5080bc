"""Starting, watching and stopping the all-in-one child processes."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

from kubeopt_common.telemetry.logging import get_logger

log = get_logger(__name__)
RESTART_WINDOW_S = 60.0
MAX_RESTARTS_IN_WINDOW = 5


class StartupError(RuntimeError):
    pass


@dataclass
class Child:
    """One service process: ``python -m kubeopt_<service>`` with its own environment and log."""

    service: str
    env: Mapping[str, str]
    log_path: Path
    ready_url: str
    process: subprocess.Popen[bytes] | None = None
    restarts: list[float] = field(default_factory=list)
    _log: IO[bytes] | None = None

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", f"kubeopt_{self.service}"],
            env=dict(self.env),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def exited(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def wait(self, timeout_s: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def may_restart(self) -> bool:
        now = time.monotonic()
        self.restarts = [t for t in self.restarts if now - t < RESTART_WINDOW_S]
        return len(self.restarts) < MAX_RESTARTS_IN_WINDOW

    def log_tail(self, lines: int = 5) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


async def wait_ready(child: Child, *, timeout_s: float) -> None:
    """Poll the child's /readyz until 200; fail early (with its log tail) if it exits."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if child.exited is not None:
                msg = f"{child.service} exited with {child.exited}:\n{child.log_tail()}"
                raise StartupError(msg)
            try:
                if (await client.get(child.ready_url)).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.25)
    msg = f"{child.service} was not ready within {timeout_s:.0f}s:\n{child.log_tail()}"
    raise StartupError(msg)


async def supervise(
    children: list[Child], stop: asyncio.Event, *, on_restart: Callable[[], None] | None = None
) -> None:
    """Restart a child that dies (bounded), until ``stop`` is set."""
    while not stop.is_set():
        for child in children:
            code = child.exited
            if code is None:
                continue
            if not child.may_restart():
                msg = f"{child.service} keeps exiting (last code {code}); see {child.log_path}"
                raise StartupError(msg)
            log.warning("supervisor.restart", service=child.service, exit_code=code)
            child.restarts.append(time.monotonic())
            child.wait(1.0)
            child.start()
            if on_restart is not None:
                on_restart()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)


def stop_all(children: list[Child], *, timeout_s: float = 20.0) -> None:
    """SIGTERM every child (collector first so nothing new is produced), then wait."""
    for child in sorted(children, key=lambda c: c.service != "collector"):
        child.terminate()
    for child in children:
        child.wait(timeout_s)
