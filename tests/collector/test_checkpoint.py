from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from kubeopt_collector.checkpoint import Checkpoint

T0 = datetime(2025, 1, 6, 12, 0, tzinfo=UTC)


def test_round_trip_and_replace(tmp_path: Path) -> None:
    checkpoint = Checkpoint(tmp_path / "deep" / "state.json")
    assert checkpoint.load() == {}
    checkpoint.save({"b": T0, "a": T0})
    checkpoint.save({"a": T0.replace(minute=5)})
    assert checkpoint.load() == {"a": T0.replace(minute=5)}
    assert list((tmp_path / "deep").iterdir()) == [tmp_path / "deep" / "state.json"]


def test_unreadable_file_means_no_state(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    for content in ("{not json", '{"version": 99, "windows": {}}', '{"version": 1}', "[]"):
        path.write_text(content)
        assert Checkpoint(path).load() == {}
