"""Per-window column gathering: size estimates and the checks that stand in for validation."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import numpy as np
import orjson
import pytest

from kubeopt_collector.simulator.columns import FleetColumns
from kubeopt_collector.simulator.scenario import DEMO_SCENARIO, load_scenario
from kubeopt_collector.simulator.source import SimulatorSource
from tests.collector.builders import cluster, scenario

T0 = datetime(2025, 1, 6, tzinfo=UTC)


def test_node_size_estimates_are_upper_bounds_of_the_published_json() -> None:
    demo = SimulatorSource(load_scenario(DEMO_SCENARIO), max_samples_per_message=100_000)
    for fleet in demo.fleet.clusters:
        columns = FleetColumns(fleet)
        for minute in range(0, 24 * 60, 131):
            at = T0 + timedelta(minutes=minute)
            start_s = int(at.timestamp())
            window = columns.window(
                demo.activity(fleet.name, start_s), demo.usage_arrays(fleet.name, at)
            )
            (event,) = [e for e in demo.usage_events(at) if e.cluster == fleet.name]
            assert len(event.nodes) == len(window.node_bytes)
            for node, estimate in zip(event.nodes, window.node_bytes, strict=True):
                labels = set(node.containers.label_set)
                actual = len(node.model_dump_json()) + 1
                actual += sum(len(orjson.dumps(event.label_sets[i])) + 1 for i in labels)
                assert actual <= estimate
                assert estimate < 2 * actual + 2000  # bounded waste: windows still pack


def test_negative_usage_is_refused_rather_than_published() -> None:
    source = SimulatorSource(scenario(cluster()))
    fleet = source.fleet.clusters[0]
    start_s = int(T0.timestamp())
    usage = source.usage_arrays(fleet.name, T0)
    broken = dataclasses.replace(usage, memory_usage_bytes=np.full_like(usage.oom_kills, -1))
    with pytest.raises(ValueError, match="memory_usage_bytes of the window has a negative value"):
        FleetColumns(fleet).window(source.activity(fleet.name, start_s), broken)
