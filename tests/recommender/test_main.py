"""Settings defaults and the command's behaviour on bad configuration."""

from __future__ import annotations

import pytest

from kubeopt_recommender.__main__ import main
from kubeopt_recommender.settings import RecommenderSettings


def test_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBEOPT_DATABASE__URL", raising=False)
    settings = RecommenderSettings()
    assert settings.api.port == 8702
    assert settings.analysis.min_history_hours == 24.0
    assert settings.database.url.get_secret_value().endswith("/.kubeopt/recommender.db")


def test_threshold_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEOPT_ANALYSIS__MIN_HISTORY_HOURS", "72")
    assert RecommenderSettings().analysis.min_history_hours == 72.0


def test_bad_setting_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KUBEOPT_ANALYSIS__MIN_HISTORY_HOURS", "-1")
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(
        "kubeopt-recommender: invalid setting KUBEOPT_ANALYSIS__MIN_HISTORY_HOURS: "
    )
    assert err.count("\n") == 1
