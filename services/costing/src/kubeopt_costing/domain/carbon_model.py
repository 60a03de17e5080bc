"""What the carbon method knows about providers, nodes and grids (pure, memoised).

:class:`CarbonCoefficients` holds everything loaded from ``carbon_data`` (see
carbon_catalog.py). :func:`node_shape` turns a node into the window-independent figures of the
CCF method (nanowatts at idle and the span to 100 %, embodied µg per second, PUE) and
:func:`grid_factors` a region into its intensities; both are cached per key because the same
nodes and regions come back every window. The per-window math lives in ``carbon.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Final

from kubeopt_common.events import Node, Provider

GIB: Final = 1024**3
_NANO: Final = 10**9
# µg CO2e per (nW · s · g/kWh): nW·s ÷ 3.6e15 = kWh; × g/kWh × 1e6 = µg.
_UG_PER_NWS_G: Final = Fraction(1, 3_600_000_000)
# Node labels that name a GPU model (GPU feature discovery, GKE, EKS, AKS/generic).
GPU_LABELS: Final = (
    "nvidia.com/gpu.product",
    "cloud.google.com/gke-accelerator",
    "k8s.amazonaws.com/accelerator",
    "accelerator",
)
_TOKEN_SPLIT: Final = re.compile(r"[^a-z0-9]+")
# standard_d4s_v5 → (d, 4, s, None, 5); standard_nc4as_t4_v3 → (nc, 4, as, t4, 3).
_AZURE_SIZE: Final = re.compile(
    r"^(?:standard_|basic_)?([a-z]+)(\d+)(?:-\d+)?([a-z]*)(?:_(?!v\d+$)([a-z0-9]+))?(?:_v(\d+))?$"
)
_MAX_CACHED: Final = 100_000


class CarbonFlag(StrEnum):
    """Why a figure is an estimate beyond the method itself (stored with the node's carbon)."""

    DEFAULT_MICROARCH = "default_microarch"  # family unknown/unmapped: provider average W/vCPU
    PROXY_MICROARCH = "proxy_microarch"  # micro-architecture borrows another's coefficients
    DEFAULT_EMBODIED = "default_embodied"  # family unknown: provider kg per vCPU
    PROXY_EMBODIED = "proxy_embodied"  # embodied kg of a sibling family
    DEFAULT_GPU_MODEL = "default_gpu_model"  # GPUs of unknown model: median GPU watts
    PROXY_GPU_MODEL = "proxy_gpu_model"  # GPU model borrows another model's watts
    DEFAULT_CPU_UTILISATION = "default_cpu_utilisation"
    DEFAULT_GPU_UTILISATION = "default_gpu_utilisation"
    DEFAULT_REGION = "default_region"  # average intensity: the provider's unknown region
    DEFAULT_MARGINAL = "default_marginal"  # marginal intensity: the provider's unknown region
    HOURLY_PROFILE = "hourly_profile"  # intensity from the loaded hourly profile


@dataclass(frozen=True, slots=True)
class PowerCurve:
    """Watts per vCPU at idle (min) and at 100 % (max); ``proxy`` when borrowed."""

    min_watts_per_vcpu: Decimal
    max_watts_per_vcpu: Decimal
    proxy: bool = False


@dataclass(frozen=True, slots=True)
class GpuModel:
    """Watts of one GPU at idle and at 100 %; ``label_tokens`` recognise it in node labels."""

    name: str
    idle_watts: Decimal
    max_watts: Decimal
    label_tokens: frozenset[str] = frozenset()
    proxy: bool = False


@dataclass(frozen=True, slots=True)
class InstanceFamily:
    """A family's CPU power curve (None: unmapped → provider fallback), GPU model, and the
    embodied kgCO2e of the whole server, shared by its ``largest_vcpus`` vCPUs."""

    power: PowerCurve | None
    embodied_kg: Decimal
    largest_vcpus: int
    gpu: GpuModel | None = None
    embodied_proxy: bool = False


@dataclass(frozen=True, slots=True)
class RegionGrid:
    """Annual grid intensity of a region, g CO2e per kWh (marginal None: not known)."""

    average_g_per_kwh: Decimal
    marginal_g_per_kwh: Decimal | None = None


@dataclass(frozen=True, slots=True)
class HourlyProfile:
    """Intensity per hour, g CO2e per kWh: 24 values (hour of day, UTC) or 168 (hour of week,
    UTC, Monday 00:00 first). Without a marginal profile the annual marginal applies."""

    average_g_per_kwh: tuple[Decimal, ...]
    marginal_g_per_kwh: tuple[Decimal, ...] | None = None


@dataclass(frozen=True, slots=True)
class ProviderCarbon:
    """One provider's PUE, fallbacks, families (lower-case keys) and regions."""

    pue: Decimal
    fallback_power: PowerCurve
    embodied_fallback_kg_per_vcpu: Decimal
    unknown_region: RegionGrid
    families: Mapping[str, InstanceFamily] = field(default_factory=dict)
    regions: Mapping[str, RegionGrid] = field(default_factory=dict)
    pue_by_region: Mapping[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class NodeShape:
    """A node's window-independent figures: nanowatts, embodied µg per second, PUE."""

    cpu_idle_nw: int
    cpu_span_nw: int  # from idle to 100 % CPU
    memory_nw: int
    gpu_idle_nw: int
    gpu_span_nw: int  # from idle to 100 % on every GPU
    embodied_ug_per_s: Fraction
    ug_per_nws_g: Fraction  # µg CO2e per (nW · s · g/kWh), PUE included
    pue: Decimal
    flags: frozenset[CarbonFlag]


@dataclass(frozen=True, slots=True)
class GridFactors:
    """A region's intensities (g/kWh) as exact fractions, hourly when a profile is loaded."""

    average: Fraction
    marginal: Fraction
    flags: frozenset[CarbonFlag]
    hourly_average: tuple[Fraction, ...] | None = None
    hourly_marginal: tuple[Fraction, ...] | None = None

    @property
    def hourly(self) -> bool:
        return self.hourly_average is not None or self.hourly_marginal is not None

    def at(self, moment: datetime) -> tuple[Fraction, Fraction]:
        """(average, marginal) at ``moment``, which must already be in UTC."""
        average, marginal = self.average, self.marginal
        if self.hourly_average is not None:
            average = _hourly(self.hourly_average, moment)
        if self.hourly_marginal is not None:
            marginal = _hourly(self.hourly_marginal, moment)
        return average, marginal


@dataclass(frozen=True)
class CarbonCoefficients:
    """Everything the method needs. ``providers`` must hold ``onprem``: a provider without an
    entry of its own uses it. Node shapes and grids are memoised in the private caches."""

    memory_kwh_per_gib_hour: Decimal
    network_kwh_per_gib: Decimal
    server_lifespan_hours: int
    default_cpu_utilisation: Decimal
    default_gpu_utilisation: Decimal
    gpus: tuple[GpuModel, ...]
    gpu_fallback: GpuModel
    providers: Mapping[Provider, ProviderCarbon]
    profiles: Mapping[tuple[Provider, str], HourlyProfile] = field(default_factory=dict)
    _shapes: dict[tuple[object, ...], NodeShape] = field(
        default_factory=dict, compare=False, repr=False
    )
    _grids: dict[tuple[Provider, str], GridFactors] = field(
        default_factory=dict, compare=False, repr=False
    )

    def provider(self, provider: Provider) -> ProviderCarbon:
        return self.providers.get(provider) or self.providers[Provider.ONPREM]


def family_keys(provider: Provider, instance_type: str) -> tuple[str, ...]:
    """Lower-case family keys of ``instance_type``, most specific first.

    AWS ``m5.xlarge`` → ``m5``; GCP ``n2-highmem-8`` → ``n2-highmem``, ``n2``; Azure
    ``Standard_D4s_v5`` → ``dsv5``; anything else → the instance type itself.
    """
    name = instance_type.lower()
    if provider is Provider.AWS:
        return (name.split(".", 1)[0],)
    if provider is Provider.GCP:
        parts = name.split("-")
        return ("-".join(parts[:2]), parts[0]) if len(parts) > 1 else (name,)
    if provider is Provider.AZURE and (size := _AZURE_SIZE.match(name)):
        letters, features, accelerator, version = size.group(1, 3, 4, 5)
        return (f"{letters}{features}{accelerator or ''}{'v' + version if version else ''}",)
    return (name,)


def node_shape(c: CarbonCoefficients, *, provider: Provider, region: str, node: Node) -> NodeShape:
    """The node's figures, built once per (provider, region, type, capacities, GPU labels)."""
    labels = tuple(node.labels.get(k, "") for k in GPU_LABELS) if node.gpu_count else ()
    key = (
        provider,
        region,
        node.instance_type,
        node.cpu_capacity_millicores,
        node.memory_capacity_bytes,
        node.gpu_count,
        labels,
    )
    shape = c._shapes.get(key)
    if shape is None:
        if len(c._shapes) >= _MAX_CACHED:
            c._shapes.clear()
        shape = c._shapes[key] = _build_shape(c, provider, region, node)
    return shape


def grid_factors(c: CarbonCoefficients, provider: Provider, region: str) -> GridFactors:
    """The region's intensities, built once per (provider, region)."""
    grid = c._grids.get((provider, region))
    if grid is None:
        if len(c._grids) >= _MAX_CACHED:
            c._grids.clear()
        grid = c._grids[(provider, region)] = _build_grid(c, provider, region)
    return grid


def _build_shape(c: CarbonCoefficients, provider: Provider, region: str, node: Node) -> NodeShape:
    p = c.provider(provider)
    keys = family_keys(provider, node.instance_type)
    family = next((p.families[k] for k in keys if k in p.families), None)
    flags: set[CarbonFlag] = set()
    power = family.power if family is not None else None
    if power is None:
        flags.add(CarbonFlag.DEFAULT_MICROARCH)
        power = p.fallback_power
    elif power.proxy:
        flags.add(CarbonFlag.PROXY_MICROARCH)
    vcpus = Fraction(node.cpu_capacity_millicores, 1000)
    low, high = Fraction(power.min_watts_per_vcpu), Fraction(power.max_watts_per_vcpu)
    gpu_idle = gpu_max = Fraction(0)
    if node.gpu_count:
        gpu = _gpu_model(c, family, node, flags)
        gpu_idle, gpu_max = Fraction(gpu.idle_watts), Fraction(gpu.max_watts)
        if gpu.proxy:
            flags.add(CarbonFlag.PROXY_GPU_MODEL)
    pue = p.pue_by_region.get(region, p.pue)
    memory_watts = Fraction(node.memory_capacity_bytes, GIB) * Fraction(c.memory_kwh_per_gib_hour)
    return NodeShape(
        cpu_idle_nw=_nanowatts(vcpus * low),
        cpu_span_nw=_nanowatts(vcpus * (high - low)),
        memory_nw=_nanowatts(memory_watts * 1000),
        gpu_idle_nw=_nanowatts(node.gpu_count * gpu_idle),
        gpu_span_nw=_nanowatts(node.gpu_count * (gpu_max - gpu_idle)),
        embodied_ug_per_s=_embodied_kg(p, family, vcpus, flags)
        * _NANO
        / (c.server_lifespan_hours * 3600),
        ug_per_nws_g=Fraction(pue) * _UG_PER_NWS_G,
        pue=pue,
        flags=frozenset(flags),
    )


def _embodied_kg(
    p: ProviderCarbon, family: InstanceFamily | None, vcpus: Fraction, flags: set[CarbonFlag]
) -> Fraction:
    """The node's share of its server's embodied kgCO2e (SCI: TE × RR ÷ TR, capped at 1)."""
    if family is None:
        flags.add(CarbonFlag.DEFAULT_EMBODIED)
        return vcpus * Fraction(p.embodied_fallback_kg_per_vcpu)
    if family.embodied_proxy:
        flags.add(CarbonFlag.PROXY_EMBODIED)
    return Fraction(family.embodied_kg) * min(vcpus / family.largest_vcpus, Fraction(1))


def _gpu_model(
    c: CarbonCoefficients, family: InstanceFamily | None, node: Node, flags: set[CarbonFlag]
) -> GpuModel:
    if family is not None and family.gpu is not None:
        return family.gpu
    for label in GPU_LABELS:
        tokens = set(_TOKEN_SPLIT.split(node.labels.get(label, "").lower())) - {""}
        for gpu in c.gpus:
            if gpu.label_tokens & tokens:
                return gpu
    flags.add(CarbonFlag.DEFAULT_GPU_MODEL)
    return c.gpu_fallback


def _build_grid(c: CarbonCoefficients, provider: Provider, region: str) -> GridFactors:
    p = c.provider(provider)
    profile = c.profiles.get((provider, region))
    annual = p.regions.get(region)
    flags: set[CarbonFlag] = set()
    if profile is not None:
        flags.add(CarbonFlag.HOURLY_PROFILE)
    if annual is None:
        annual = p.unknown_region
        if profile is None:
            flags.add(CarbonFlag.DEFAULT_REGION)
    marginal = annual.marginal_g_per_kwh
    if marginal is None or annual is p.unknown_region:
        marginal = p.unknown_region.marginal_g_per_kwh
        if profile is None or profile.marginal_g_per_kwh is None:
            flags.add(CarbonFlag.DEFAULT_MARGINAL)
    return GridFactors(
        average=Fraction(annual.average_g_per_kwh),
        marginal=Fraction(marginal if marginal is not None else 0),
        flags=frozenset(flags),
        hourly_average=_fractions(profile.average_g_per_kwh) if profile else None,
        hourly_marginal=_fractions(profile.marginal_g_per_kwh) if profile else None,
    )


def _fractions(values: tuple[Decimal, ...] | None) -> tuple[Fraction, ...] | None:
    return None if values is None else tuple(map(Fraction, values))


def _hourly(values: tuple[Fraction, ...], moment: datetime) -> Fraction:
    """The profile's value for the UTC hour of ``moment`` (24: of day; 168: of week, Monday 0)."""
    hour = moment.hour if len(values) == 24 else moment.weekday() * 24 + moment.hour
    return values[hour]


def _nanowatts(watts: Fraction) -> int:
    return round(watts * _NANO)
