"""Carbon of nodes and containers by the Cloud Carbon Footprint (CCF) method.

Per node and window (location-based, operational + embodied):

    compute W   = vCPUs × (min + u × (max − min))     W per vCPU of the micro-architecture
    memory W    = GiB × memory_kwh_per_gib_hour × 1000
    GPU W       = GPUs × (idle + g × (max − idle))
    operational = (compute + memory + GPU) W × hours ÷ 1000 × PUE × grid g/kWh
    embodied    = server kg × min(vCPUs ÷ largest vCPUs of the family, 1) × hours ÷ lifespan h

u is the node's CPU usage ÷ capacity (clamped to 0..1), g the GPU utilisation; either one unknown
→ the method's default (50 %), flagged. vCPUs are the node's CPU capacity in cores.

Units: energies are integer micro-watt-hours (µWh, 10⁻⁹ kWh) of IT energy, before PUE; carbon is
integer micrograms CO2e (µg); intensities are grams CO2e per kWh. Energies are floored for
reporting; each carbon figure is floored once from its exact value. The average grid signal is
the one attributed to containers; the marginal one is computed beside it and never mixed in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Final

from kubeopt_common.events import Node, Provider
from kubeopt_costing.domain.carbon_model import (
    GIB,
    CarbonCoefficients,
    CarbonFlag,
    GpuModel,
    GridFactors,
    HourlyProfile,
    InstanceFamily,
    NodeShape,
    PowerCurve,
    ProviderCarbon,
    RegionGrid,
    family_keys,
    grid_factors,
    node_shape,
)
from kubeopt_costing.domain.shares import allocate

__all__ = [
    "CarbonCoefficients",
    "CarbonFlag",
    "GpuModel",
    "GridIntensity",
    "HourlyProfile",
    "InstanceFamily",
    "NodeCarbon",
    "PowerCurve",
    "ProviderCarbon",
    "RegionGrid",
    "family_keys",
    "intensity",
    "network_carbon_ug",
    "node_carbon",
    "split_node_carbon",
]

_HOUR: Final = timedelta(hours=1)
_NWS_PER_UWH: Final = 3_600_000
_QUANTUM: Final = {3: Decimal("0.001")}


@dataclass(frozen=True, slots=True)
class GridIntensity:
    """Average (attributed) and marginal (decisions) grid intensity, g CO2e per kWh."""

    average_g_per_kwh: Decimal
    marginal_g_per_kwh: Decimal
    flags: tuple[CarbonFlag, ...] = ()


@dataclass(frozen=True, slots=True)
class NodeCarbon:
    """A node's IT energy (µWh, before PUE) and carbon (µg CO2e) over one window.

    ``*_ug`` use the average grid intensity, ``*_marginal_ug`` the marginal one; the intensities
    are time-weighted over the window, to 0.001 g/kWh.
    """

    compute_uwh: int
    memory_uwh: int
    gpu_uwh: int
    pue: Decimal
    intensity_g_per_kwh: Decimal
    marginal_intensity_g_per_kwh: Decimal
    compute_ug: int
    memory_ug: int
    gpu_ug: int
    compute_marginal_ug: int
    memory_marginal_ug: int
    gpu_marginal_ug: int
    embodied_ug: int
    flags: tuple[CarbonFlag, ...] = ()

    @property
    def operational_ug(self) -> int:
        return self.compute_ug + self.memory_ug + self.gpu_ug

    @property
    def marginal_operational_ug(self) -> int:
        return self.compute_marginal_ug + self.memory_marginal_ug + self.gpu_marginal_ug

    @property
    def total_ug(self) -> int:
        """Operational (average signal) + embodied: what containers and idle share."""
        return self.operational_ug + self.embodied_ug


def intensity(
    coefficients: CarbonCoefficients, *, provider: Provider, region: str, at: datetime
) -> GridIntensity:
    """Grid intensity of ``region`` at ``at`` (aware): the hourly profile when one is loaded
    for the region, else the annual values; an unknown region gets the provider's fallback."""
    grid = grid_factors(coefficients, provider, region)
    average, marginal = grid.at(_utc(at))
    return GridIntensity(_decimal(average), _decimal(marginal), tuple(sorted(grid.flags)))


def node_carbon(
    coefficients: CarbonCoefficients,
    *,
    provider: Provider,
    region: str,
    node: Node,
    window_start: datetime,
    window_seconds: int,
    cpu_usage_millicores: int | None,
    gpu_utilisation: float | None = None,
) -> NodeCarbon:
    """Energy and carbon of ``node`` over ``[window_start, window_start + window_seconds)``.

    ``cpu_usage_millicores`` is the node's total CPU usage (None: unknown → default
    utilisation); ``gpu_utilisation`` is 0..1 across the node's GPUs (None: unknown → default).
    Raises ValueError on a naive start, a non-positive window, negative usage or NaN.
    """
    if window_seconds <= 0:
        raise ValueError(f"window_seconds must be positive, got {window_seconds}")
    start = _utc(window_start)
    shape = node_shape(coefficients, provider=provider, region=region, node=node)
    flags = set(shape.flags)
    cpu_nw = shape.cpu_idle_nw + _cpu_span(coefficients, node, cpu_usage_millicores, shape, flags)
    gpu_nw = shape.gpu_idle_nw + _gpu_span(coefficients, node, gpu_utilisation, shape, flags)
    grid = grid_factors(coefficients, provider, region)
    flags |= grid.flags
    average_s, marginal_s = _window_sums(grid, start, window_seconds)
    # Exact µg per nanowatt over the window; one floor per published figure.
    k_avg, k_marg = average_s * shape.ug_per_nws_g, marginal_s * shape.ug_per_nws_g
    memory_nw = shape.memory_nw
    return NodeCarbon(
        compute_uwh=cpu_nw * window_seconds // _NWS_PER_UWH,
        memory_uwh=memory_nw * window_seconds // _NWS_PER_UWH,
        gpu_uwh=gpu_nw * window_seconds // _NWS_PER_UWH,
        pue=shape.pue,
        intensity_g_per_kwh=_decimal(average_s / window_seconds, places=3),
        marginal_intensity_g_per_kwh=_decimal(marginal_s / window_seconds, places=3),
        compute_ug=_times(cpu_nw, k_avg),
        memory_ug=_times(memory_nw, k_avg),
        gpu_ug=_times(gpu_nw, k_avg),
        compute_marginal_ug=_times(cpu_nw, k_marg),
        memory_marginal_ug=_times(memory_nw, k_marg),
        gpu_marginal_ug=_times(gpu_nw, k_marg),
        embodied_ug=_times(window_seconds, shape.embodied_ug_per_s),
        flags=tuple(sorted(flags)),
    )


def split_node_carbon(
    node_carbon: NodeCarbon,
    *,
    cpu_bases: Sequence[int],
    cpu_capacity: int,
    memory_bases: Sequence[int],
    memory_capacity: int,
    gpu_bases: Sequence[int] = (),
    gpu_capacity: int = 0,
    marginal: bool = False,
) -> tuple[list[int], int]:
    """Split a node's carbon over its containers: (µg per container, idle µg), exactly.

    Compute + embodied carbon is shared by CPU basis, memory carbon by memory basis, GPU carbon
    by GPU basis (no GPU bases: all of it stays idle). Bases are the cost allocation's
    ``max(request, usage)`` (GPU: the request) in the capacity's units; when they add up to more
    than the capacity they are scaled down together. Σ containers + idle == operational +
    embodied, and nothing is negative. ``marginal`` splits the marginal-signal operational
    carbon instead of the average one.
    """
    count = len(cpu_bases)
    if len(memory_bases) != count or (gpu_bases and len(gpu_bases) != count):
        raise ValueError("cpu_bases, memory_bases and gpu_bases need one entry per container")
    if min(min(cpu_bases, default=0), min(memory_bases, default=0), min(gpu_bases, default=0)) < 0:
        raise ValueError("container bases must not be negative")
    c = node_carbon
    compute, memory, gpu = (
        (c.compute_marginal_ug, c.memory_marginal_ug, c.gpu_marginal_ug)
        if marginal
        else (c.compute_ug, c.memory_ug, c.gpu_ug)
    )
    cpu_shares, cpu_idle = allocate(compute + c.embodied_ug, cpu_bases, cpu_capacity)
    memory_shares, memory_idle = allocate(memory, memory_bases, memory_capacity)
    gpu_shares, gpu_idle = (
        allocate(gpu, gpu_bases, gpu_capacity) if gpu_bases else ([0] * count, gpu)
    )
    shares = [a + b + g for a, b, g in zip(cpu_shares, memory_shares, gpu_shares, strict=True)]
    return shares, cpu_idle + memory_idle + gpu_idle


def network_carbon_ug(
    coefficients: CarbonCoefficients,
    *,
    provider: Provider,
    region: str,
    bytes_sent: int,
    at: datetime | None = None,
    marginal: bool = False,
) -> int:
    """µg CO2e of ``bytes_sent`` of inter-region traffic leaving ``region``.

    network_kwh_per_gib × GiB × PUE × the sending region's intensity (annual; the hourly
    profile at ``at`` when given). The CCF method gives intra-region traffic no carbon.
    """
    if bytes_sent < 0:
        raise ValueError(f"bytes_sent must not be negative, got {bytes_sent}")
    grid = grid_factors(coefficients, provider, region)
    average, marginal_g = (grid.average, grid.marginal) if at is None else grid.at(_utc(at))
    p = coefficients.provider(provider)
    kwh = Fraction(bytes_sent, GIB) * Fraction(coefficients.network_kwh_per_gib)
    pue = Fraction(p.pue_by_region.get(region, p.pue))
    return _floor(kwh * pue * (marginal_g if marginal else average) * 1_000_000)


def _cpu_span(
    c: CarbonCoefficients, node: Node, usage: int | None, shape: NodeShape, flags: set[CarbonFlag]
) -> int:
    """Nanowatts above idle: the span × utilisation (usage clamped to the capacity)."""
    if usage is None:
        flags.add(CarbonFlag.DEFAULT_CPU_UTILISATION)
        return _floor(shape.cpu_span_nw * Fraction(c.default_cpu_utilisation))
    if usage < 0:
        raise ValueError(f"cpu_usage_millicores must not be negative, got {usage}")
    capacity = node.cpu_capacity_millicores
    return shape.cpu_span_nw * min(usage, capacity) // capacity


def _gpu_span(
    c: CarbonCoefficients,
    node: Node,
    utilisation: float | None,
    shape: NodeShape,
    flags: set[CarbonFlag],
) -> int:
    if node.gpu_count == 0:
        return 0
    if utilisation is None:
        flags.add(CarbonFlag.DEFAULT_GPU_UTILISATION)
        return _floor(shape.gpu_span_nw * Fraction(c.default_gpu_utilisation))
    if not math.isfinite(utilisation):
        raise ValueError(f"gpu_utilisation must be a finite number, got {utilisation}")
    return _floor(shape.gpu_span_nw * min(max(Fraction(utilisation), Fraction(0)), Fraction(1)))


def _window_sums(grid: GridFactors, start: datetime, seconds: int) -> tuple[Fraction, Fraction]:
    """Σ seconds × intensity over the window (average, marginal); hour by hour with a profile."""
    if not grid.hourly:
        return grid.average * seconds, grid.marginal * seconds
    average_sum = marginal_sum = Fraction(0)
    moment, end = start, start + timedelta(seconds=seconds)
    while moment < end:
        segment_end = min(moment.replace(minute=0, second=0, microsecond=0) + _HOUR, end)
        segment = Fraction((segment_end - moment) // timedelta(microseconds=1), 1_000_000)
        average, marginal = grid.at(moment)
        average_sum += segment * average
        marginal_sum += segment * marginal
        moment = segment_end
    return average_sum, marginal_sum


def _utc(moment: datetime) -> datetime:
    if moment.utcoffset() is None:
        raise ValueError(f"datetime must be timezone-aware (UTC), got {moment.isoformat()}")
    return moment.astimezone(UTC)


def _floor(value: Fraction) -> int:
    return value.numerator // value.denominator


def _times(count: int, factor: Fraction) -> int:
    """⌊count × factor⌋ without building an intermediate Fraction (hot path)."""
    return count * factor.numerator // factor.denominator


def _decimal(value: Fraction, *, places: int | None = None) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact if places is None else exact.quantize(_QUANTUM[places])
