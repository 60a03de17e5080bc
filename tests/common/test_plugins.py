"""Plugins are found through entry points; an unknown name lists the ones installed."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from kubeopt_common import plugins
from kubeopt_common.plugins import PluginError, PluginGroup, available, load


class FakeSource:
    """Stands in for a source plugin shipped by another package."""


def _fake_entry_points(group: str) -> list[EntryPoint]:
    registered = {
        PluginGroup.SOURCES.value: [
            EntryPoint("simulator", f"{__name__}:FakeSource", group),
            EntryPoint("kubernetes", f"{__name__}:FakeSource", group),
        ],
    }
    return registered.get(group, [])


@pytest.fixture(autouse=True)
def fake_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plugins, "entry_points", _fake_entry_points)


def test_available_lists_the_names_of_a_group_sorted() -> None:
    assert available(PluginGroup.SOURCES) == ["kubernetes", "simulator"]
    assert available(PluginGroup.CHANNELS) == []


def test_load_returns_the_registered_object() -> None:
    assert load(PluginGroup.SOURCES, "simulator") is FakeSource


def test_an_unknown_name_is_an_error_listing_what_is_installed() -> None:
    with pytest.raises(PluginError) as info:
        load(PluginGroup.SOURCES, "datadog")
    assert str(info.value) == (
        "no kubeopt.sources plugin named 'datadog' (available: kubernetes, simulator)"
    )


def test_an_empty_group_says_none_is_installed() -> None:
    with pytest.raises(PluginError, match=r"\(available: none installed\)"):
        load(PluginGroup.CHANNELS, "slack")
