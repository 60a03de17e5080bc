"""Energy and CO2e of each container, fast enough for the ingest hot path.

The CCF figures of a node (:func:`kubeopt_costing.domain.carbon.node_carbon`) are exact but cost
tens of microseconds per node. Within a window they are linear in the node's CPU usage — only
the compute draw moves between idle and full load — so each (node shape, window) is computed
twice, at zero and at full load, and every node of that shape in that window is interpolated
from the two (without an hourly intensity profile, once per shape and window length).
Splitting then runs once per node, fused: one pass per measure over its containers, with the
same bases and denominators as the cost split (``max(request, usage)`` scaled to capacity), so
Σ containers + idle == node total exactly for every measure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from kubeopt_common.events import Node, Provider
from kubeopt_costing.domain.carbon import CarbonCoefficients, NodeCarbon, node_carbon
from kubeopt_costing.domain.carbon_model import grid_factors

_CACHE_LIMIT = 20_000


@dataclass(frozen=True, slots=True)
class NodeFootprint:
    """One node over one window: what the CPU, memory and GPU shares split (µg, µWh)."""

    cpu_ug: int  # compute + embodied, split by CPU basis
    memory_ug: int
    gpu_ug: int
    cpu_marginal_ug: int
    memory_marginal_ug: int
    gpu_marginal_ug: int
    cpu_uwh: int  # PUE included
    memory_uwh: int
    gpu_uwh: int


@dataclass(frozen=True, slots=True)
class Split:
    co2e_ug: list[int]
    co2e_idle_ug: int
    marginal_ug: list[int]
    marginal_idle_ug: int
    energy_uwh: list[int]
    energy_idle_uwh: int


def _line(at: NodeCarbon, *, embodied: bool) -> tuple[int, ...]:
    pue = at.pue
    return (
        at.compute_ug + (at.embodied_ug if embodied else 0),
        at.memory_ug,
        at.gpu_ug,
        at.compute_marginal_ug + (at.embodied_ug if embodied else 0),
        at.memory_marginal_ug,
        at.gpu_marginal_ug,
        int(at.compute_uwh * pue),
        int(at.memory_uwh * pue),
        int(at.gpu_uwh * pue),
    )


class Footprints:
    """Node footprints for one set of coefficients, interpolated per (shape, window)."""

    def __init__(self, coefficients: CarbonCoefficients) -> None:
        self._coefficients = coefficients
        self._lines: dict[tuple[object, ...], tuple[tuple[int, ...], tuple[int, ...]]] = {}

    def node(
        self,
        *,
        provider: Provider,
        region: str,
        node: Node,
        window_start: datetime,
        window_seconds: int,
        cpu_usage_millicores: int,
    ) -> NodeFootprint:
        # Without an hourly profile the intensity is the same at every moment: the line depends
        # on the window's length only, so one computation serves every window of a backfill.
        hourly = grid_factors(self._coefficients, provider, region).hourly
        key = (
            provider,
            region,
            node.instance_type,
            node.cpu_capacity_millicores,
            node.memory_capacity_bytes,
            node.gpu_count,
            window_start if hourly else None,
            window_seconds,
        )
        line = self._lines.get(key)
        if line is None:
            if len(self._lines) >= _CACHE_LIMIT:
                self._lines.clear()
            ends = [
                node_carbon(
                    self._coefficients,
                    provider=provider,
                    region=region,
                    node=node,
                    window_start=window_start,
                    window_seconds=window_seconds,
                    cpu_usage_millicores=usage,
                )
                for usage in (0, node.cpu_capacity_millicores)
            ]
            line = self._lines[key] = (_line(ends[0], embodied=True), _line(ends[1], embodied=True))
        capacity = node.cpu_capacity_millicores
        usage = min(cpu_usage_millicores, capacity)
        low, high = line
        return NodeFootprint(
            *(a + (b - a) * usage // capacity for a, b in zip(low, high, strict=True))
        )


def _split(
    cpu: int,
    mem: int,
    gpu: int,
    bases: tuple[Sequence[int], Sequence[int], Sequence[int]],
    dens: tuple[int, int, int],
) -> tuple[list[int], int]:
    cpu_b, mem_b, gpu_b = bases
    cpu_d, mem_d, gpu_d = dens
    shares = [cpu * b // cpu_d + mem * m // mem_d for b, m in zip(cpu_b, mem_b, strict=True)]
    if gpu and gpu_d:
        shares = [s + gpu * g // gpu_d for s, g in zip(shares, gpu_b, strict=True)]
    return shares, cpu + mem + gpu - sum(shares)


def split_footprint(
    footprint: NodeFootprint,
    *,
    cpu_bases: Sequence[int],
    cpu_capacity: int,
    memory_bases: Sequence[int],
    memory_capacity: int,
    gpu_bases: Sequence[int],
    gpu_capacity: int,
) -> Split:
    """Per-container shares and idle of CO2e (average, marginal) and energy; exact, ≥ 0."""
    dens = (
        max(cpu_capacity, sum(cpu_bases), 1),
        max(memory_capacity, sum(memory_bases), 1),
        max(gpu_capacity, sum(gpu_bases)),
    )
    bases = (cpu_bases, memory_bases, gpu_bases)
    f = footprint
    co2e, co2e_idle = _split(f.cpu_ug, f.memory_ug, f.gpu_ug, bases, dens)
    marginal, marginal_idle = _split(
        f.cpu_marginal_ug, f.memory_marginal_ug, f.gpu_marginal_ug, bases, dens
    )
    energy, energy_idle = _split(f.cpu_uwh, f.memory_uwh, f.gpu_uwh, bases, dens)
    return Split(co2e, co2e_idle, marginal, marginal_idle, energy, energy_idle)
