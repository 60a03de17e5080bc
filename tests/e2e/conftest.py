"""The all-in-one installation, started the way a user starts it: ``kubeopt up``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest

SMALL_SCENARIO = Path(__file__).parent / "small.yaml"
BACKFILL_S = 48 * 3600  # the collector publishes two days of history on first start
NANO_PER_HOUR = {"e2e-general": 240_000_000, "e2e-spot": 60_000_000}
NODES = {"e2e-general": 2, "e2e-spot": 1}


@dataclass
class Installation:
    """A running ``kubeopt up`` in its own data directory."""

    data_dir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    _log: IO[bytes] | None = None

    def start(self) -> None:
        (self.data_dir / "endpoints.json").unlink(missing_ok=True)
        self._log = (self.data_dir / "up.log").open("ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kubeopt_cli",
                "up",
                "--scenario",
                str(SMALL_SCENARIO),
                "--data-dir",
                str(self.data_dir),
            ],
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 180
        while not (self.data_dir / "endpoints.json").exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                self._close_log()
                log_tail = (self.data_dir / "up.log").read_text()[-3000:]
                pytest.fail(f"kubeopt up did not start:\n{log_tail}")
            time.sleep(0.2)

    def stop(self) -> None:
        """Ctrl-C, as a user would; it must exit within a minute."""
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail("kubeopt up did not stop on Ctrl-C within 60 s")
        finally:
            self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def endpoints(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.data_dir / "endpoints.json").read_text())
        return data

    def token(self) -> str:
        return (self.data_dir / "token").read_text().strip()

    def kubeopt(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "kubeopt_cli", *args, "--data-dir", str(self.data_dir)],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=120,
            check=False,
        )


def _environment(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)  # noqa: TID251 - children need PATH, HOME …
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def installation(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Installation]:
    """One ``kubeopt up`` per test module; a module may set ``INITIAL_BACKFILL_S`` and
    ``EXTRA_ENV`` (settings of the services, e.g. ``KUBEOPT_INGEST__BATCH_SIZE``)."""
    backfill_s = getattr(request.module, "INITIAL_BACKFILL_S", BACKFILL_S)
    env = _environment(
        {
            "KUBEOPT_INITIAL_BACKFILL_S": str(backfill_s),
            "COLUMNS": "200",
            **getattr(request.module, "EXTRA_ENV", {}),
        }
    )
    installed = Installation(tmp_path_factory.mktemp("kubeopt"), env)
    installed.start()
    yield installed
    installed.stop()
