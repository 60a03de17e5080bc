"""The simulator source: a deterministic synthetic Kubernetes fleet described by a scenario."""

from kubeopt_collector.simulator.scenario import (
    DEMO_SCENARIO,
    Scenario,
    ScenarioError,
    load_scenario,
)
from kubeopt_collector.simulator.source import SimulatorSource

__all__ = ["DEMO_SCENARIO", "Scenario", "ScenarioError", "SimulatorSource", "load_scenario"]
