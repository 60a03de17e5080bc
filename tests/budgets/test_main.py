"""Settings defaults and the command's behaviour on bad configuration."""

from __future__ import annotations

import pytest

from kubeopt_budgets.__main__ import main
from kubeopt_budgets.settings import BudgetsSettings


def test_defaults_are_the_all_in_one_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBEOPT_DATABASE__URL", raising=False)
    monkeypatch.delenv("KUBEOPT_API__PORT", raising=False)
    settings = BudgetsSettings()
    assert settings.api.port == 8703
    assert settings.database.url.get_secret_value() == "sqlite+aiosqlite:///./.kubeopt/budgets.db"


def test_environment_overrides_nested_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEOPT_DATABASE__URL", "postgresql+psycopg://db/budgets")
    assert BudgetsSettings().database.url.get_secret_value() == "postgresql+psycopg://db/budgets"


def test_bad_setting_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KUBEOPT_DATABASE__URL", "mysql://nope")
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("kubeopt-budgets: invalid setting KUBEOPT_DATABASE: database url must")
    assert err.count("\n") == 1
