"""The ``kubeopt`` command: help, and bad input answered with one line and exit code 2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from kubeopt_cli.main import app

runner = CliRunner()


def test_help_lists_the_commands() -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("up", "costs", "simulate", "version"):
        assert command in result.output


def test_invalid_scenario_fails_before_anything_starts(tmp_path: Path) -> None:
    scenario = tmp_path / "fleet.yaml"
    scenario.write_text("seed: 1\nclusters:\n  - name: Bad.Name\n    provider: aws\n")
    data_dir = tmp_path / "state"
    result = runner.invoke(app, ["up", "--scenario", str(scenario), "--data-dir", str(data_dir)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {scenario}:3: clusters[0].name:")
    assert not data_dir.exists()  # nothing half-started: no state, no nats-server


def test_invalid_setting_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEOPT_INGEST__BATCH_SIZE", "0")
    data_dir = tmp_path / "state"
    result = runner.invoke(app, ["up", "--data-dir", str(data_dir)])
    assert result.exit_code == 2
    assert "KUBEOPT_INGEST__BATCH_SIZE" in result.stderr
    assert not data_dir.exists()


def test_unknown_service(tmp_path: Path) -> None:
    result = runner.invoke(app, ["up", "--service", "billing"])
    assert result.exit_code == 2
    assert "unknown service 'billing'" in result.stderr


def test_costs_without_a_running_installation(tmp_path: Path) -> None:
    result = runner.invoke(app, ["costs", "--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "start `kubeopt up`" in result.stderr


def test_simulate_rejects_a_bad_duration(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", "--backfill", "forever", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "--backfill" in result.stderr


def test_costs_rejects_an_unknown_output_format(tmp_path: Path) -> None:
    result = runner.invoke(app, ["costs", "--output", "xml", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2
