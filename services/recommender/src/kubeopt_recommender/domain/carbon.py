"""Carbon of requested capacity and of batch runs, CCF method (pure).

Operational emissions = energy × PUE × grid intensity. Compute energy per vCPU-hour is
``min_W + utilisation × (max_W − min_W)`` (CCF; 50 % utilisation when unknown); memory is
0.000392 kWh per GB-hour (CCF). Grid intensities are location-based annual averages per region
(gCO2e/kWh), optionally refined by an hourly profile (24 values, UTC hours) for scheduling.
The coefficients come from a packaged, dated data file (``kubeopt_recommender/carbon_data``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from kubeopt_recommender.domain.money import HOURS_PER_MONTH

DEFAULT_UTILISATION = 0.5
GB = 1e9


@dataclass(frozen=True, slots=True)
class ProviderCoefficients:
    """CCF per-provider constants: watts per vCPU (idle, full), PUE, kWh per GB-hour."""

    min_watts_per_vcpu: float
    max_watts_per_vcpu: float
    pue: float
    memory_kwh_per_gb_hour: float = 0.000392

    def watts_per_vcpu(self, utilisation: float = DEFAULT_UTILISATION) -> float:
        u = min(max(utilisation, 0.0), 1.0)
        return self.min_watts_per_vcpu + u * (self.max_watts_per_vcpu - self.min_watts_per_vcpu)


@dataclass(frozen=True, slots=True)
class RegionIntensity:
    provider: str
    region: str
    grams_per_kwh: float
    source: str
    geo: str


@dataclass(frozen=True)
class CarbonCatalog:
    """Coefficients and intensities; ``hourly`` maps (provider, region) to 24 UTC-hour values."""

    source: str
    as_of: str
    providers: Mapping[str, ProviderCoefficients]
    regions: Mapping[tuple[str, str], RegionIntensity]
    unknown_grams_per_kwh: Mapping[str, float]
    hourly: Mapping[tuple[str, str], tuple[float, ...]] = field(default_factory=dict)

    def coefficients(self, provider: str) -> ProviderCoefficients:
        found = self.providers.get(provider)
        return found if found is not None else self.providers["default"]

    def intensity(self, provider: str, region: str) -> RegionIntensity:
        """The region's annual average; the provider's unknown-region value when not listed."""
        found = self.regions.get((provider, region))
        if found is not None:
            return found
        grams = self.unknown_grams_per_kwh.get(provider, self.unknown_grams_per_kwh["default"])
        return RegionIntensity(provider, region, grams, "provider average (region unknown)", "")

    def hourly_profile(self, provider: str, region: str) -> tuple[float, ...] | None:
        return self.hourly.get((provider, region))

    def same_geo(self, provider: str, region: str) -> list[RegionIntensity]:
        """Other listed regions of ``provider`` in the same geography as ``region``."""
        here = self.regions.get((provider, region))
        if here is None or not here.geo:
            return []
        return sorted(
            (
                r
                for (p, name), r in self.regions.items()
                if p == provider and name != region and r.geo == here.geo
            ),
            key=lambda r: (r.grams_per_kwh, r.region),
        )


def kwh_per_hour(
    cpu_millicores: float,
    memory_bytes: float,
    coefficients: ProviderCoefficients,
    *,
    utilisation: float = DEFAULT_UTILISATION,
) -> float:
    """Facility energy (PUE included) of holding this capacity for one hour, kWh."""
    compute_w = cpu_millicores / 1000 * coefficients.watts_per_vcpu(utilisation)
    memory_kwh = memory_bytes / GB * coefficients.memory_kwh_per_gb_hour
    return (compute_w / 1000 + memory_kwh) * coefficients.pue


def monthly_grams_saved(
    *,
    before: tuple[int, int],
    after: tuple[int, int],
    replicas: float,
    provider: str,
    region: str,
    catalog: CarbonCatalog,
) -> float:
    """gCO2e per month of requesting (cpu millicores, memory bytes) ``after`` instead of
    ``before`` (negative when ``after`` is larger), at the region's annual intensity."""
    coefficients = catalog.coefficients(provider)
    grams = catalog.intensity(provider, region).grams_per_kwh
    delta_kwh = kwh_per_hour(*before, coefficients) - kwh_per_hour(*after, coefficients)
    return delta_kwh * grams * replicas * HOURS_PER_MONTH


def window_average(profile: Sequence[float], *, start_hour: float, duration_hours: float) -> float:
    """Mean intensity over ``[start_hour, start_hour + duration_hours)`` of a 24-hour profile
    (wrapping at midnight; partial hours weighted by their share)."""
    if len(profile) != 24:
        msg = f"an hourly profile has 24 values, got {len(profile)}"
        raise ValueError(msg)
    duration = max(duration_hours, 1e-6)
    total, t, end = 0.0, start_hour, start_hour + duration
    while t < end - 1e-9:
        step = min(math.floor(t) + 1.0, end) - t
        total += profile[math.floor(t) % 24] * step
        t += step
    return total / duration


@dataclass(frozen=True, slots=True)
class ShiftPlan:
    """Move every run by ``shift_hours`` (0–23): mean intensity now and after, gCO2e/kWh."""

    shift_hours: int
    current_grams_per_kwh: float
    best_grams_per_kwh: float

    @property
    def reduction(self) -> float:
        if self.current_grams_per_kwh <= 0:
            return 0.0
        return 1.0 - self.best_grams_per_kwh / self.current_grams_per_kwh


def best_shift(
    profile: Sequence[float], *, start_hours: Sequence[float], duration_hours: float
) -> ShiftPlan:
    """The shift of all run starts (same offset for each, so their spacing is kept) that gives
    the lowest mean intensity over the runs; ties prefer the smallest shift."""
    if not start_hours:
        msg = "a shift needs at least one run start hour"
        raise ValueError(msg)

    def mean_for(shift: int) -> float:
        windows = [
            window_average(profile, start_hour=h + shift, duration_hours=duration_hours)
            for h in start_hours
        ]
        return sum(windows) / len(windows)

    current = mean_for(0)
    best = min(range(24), key=lambda s: (round(mean_for(s), 9), s))
    return ShiftPlan(best, current, mean_for(best))
