"""Which failures are the user's input (exit code 2, one line) rather than a crash."""

from __future__ import annotations

from kubeopt_collector.simulator.scenario import ScenarioError
from kubeopt_common.runtime import SettingsError
from kubeopt_common.yamlfile import YamlFileError


def input_error(err: BaseException) -> str | None:
    """One line describing ``err`` if it is bad input, else None."""
    if isinstance(err, ScenarioError | SettingsError | YamlFileError):
        return str(err)
    return None
