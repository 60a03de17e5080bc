"""The all-in-one data directory: what lives where, the API token, the endpoints file."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from pathlib import Path

SERVICES = ("costing", "recommender", "budgets", "notifier", "collector")
DEFAULT_PORTS = {
    "costing": 8701,
    "recommender": 8702,
    "budgets": 8703,
    "notifier": 8704,
    "collector": 8705,
}
DEFAULT_NATS_PORT = 14222


@dataclass(frozen=True)
class DataDir:
    root: Path

    @property
    def nats(self) -> Path:
        return self.root / "nats"

    @property
    def clickhouse(self) -> Path:
        return self.root / "clickhouse"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def collector_state(self) -> Path:
        return self.root / "collector"

    @property
    def endpoints_file(self) -> Path:
        return self.root / "endpoints.json"

    @property
    def token_file(self) -> Path:
        return self.root / "token"

    @property
    def price_overrides(self) -> Path:
        return self.root / "price-overrides.yaml"

    def database_url(self, service: str) -> str:
        return f"sqlite+aiosqlite:///{(self.root / f'{service}.db').resolve()}"

    def prepare(self) -> None:
        for path in (self.root, self.nats, self.clickhouse, self.logs, self.collector_state):
            path.mkdir(parents=True, exist_ok=True)

    def token(self) -> str:
        """The API token of this installation, generated once (file mode 0600)."""
        if self.token_file.exists():
            return self.token_file.read_text().strip()
        token = secrets.token_urlsafe(32)
        self.token_file.write_text(token + "\n")
        self.token_file.chmod(0o600)
        return token

    def write_endpoints(
        self, *, nats_url: str, services: dict[str, str], pids: dict[str, int]
    ) -> None:
        """What a running ``kubeopt up`` offers: URLs for the CLI, process ids for operators."""
        document = {"nats_url": nats_url, "services": services, "pids": pids}
        self.endpoints_file.write_text(json.dumps(document, indent=2) + "\n")

    def read_endpoints(self) -> dict[str, object] | None:
        if not self.endpoints_file.exists():
            return None
        data: dict[str, object] = json.loads(self.endpoints_file.read_text())
        return data
