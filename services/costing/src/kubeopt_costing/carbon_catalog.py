"""Loading the carbon coefficients (CCF method) and hourly intensity profiles at start-up.

The packaged directory ``carbon_data`` holds ``method.yaml`` (constants, micro-architectures,
GPUs) and one file per provider (``aws``, ``gcp``, ``azure``, ``onprem``: PUE, families,
regions). A file that fails validation stops the service with one line
``<file>:<line>: <field>: <reason>``.

Hourly profile file (optional; ``profiles_file``)::

    source: "Electricity Maps 2024 hourly averages, by hour of day"   # where the values come from
    as_of: "2025-01-31"
    profiles:
      aws:
        us-east-1:
          average_g_per_kwh: [24 or 168 values]    # required
          marginal_g_per_kwh: [24 or 168 values]   # optional; else the annual marginal

24 values are hours of the day in UTC (00:00-01:00 first); 168 values are hours of the week in
UTC, Monday 00:00 first. Values are g CO2e per kWh, finite and within 0..5000.
"""

from __future__ import annotations

from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from statistics import mean, median
from typing import Annotated, Any, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from kubeopt_common.events import Provider
from kubeopt_common.yamlfile import YamlFileError, load_yaml_model, read_yaml
from kubeopt_costing.domain.carbon_model import (
    CarbonCoefficients,
    GpuModel,
    HourlyProfile,
    InstanceFamily,
    PowerCurve,
    ProviderCarbon,
    RegionGrid,
)

PACKAGED_CARBON_DATA = Path(str(files("kubeopt_costing") / "carbon_data"))
METHOD_FILE = "method.yaml"

Watts = Annotated[Decimal, Field(ge=0, le=10_000)]
Share = Annotated[Decimal, Field(ge=0, le=1)]
Intensity = Annotated[Decimal, Field(ge=0, le=5000)]
Pue = Annotated[Decimal, Field(ge=1, le=3)]
Source = Annotated[str, StringConstraints(min_length=10)]
AsOf = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]
_HOURS = (24, 168)
_MEDIAN_GROUP_MEMBERS = {"sandy_bridge", "ivy_bridge"}
M = TypeVar("M", bound=BaseModel)


class CarbonCatalogError(ValueError):
    """A carbon data or profile file is invalid (one line: file, line, field, reason)."""


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Power(_Strict):
    min_watts_per_vcpu: Watts
    max_watts_per_vcpu: Watts

    @model_validator(mode="after")
    def _ordered(self) -> _Power:
        if self.max_watts_per_vcpu < self.min_watts_per_vcpu:
            raise ValueError("max_watts_per_vcpu is below min_watts_per_vcpu")
        return self


class _Microarch(_Strict):
    min_watts_per_vcpu: Watts | None = None
    max_watts_per_vcpu: Watts | None = None
    proxy_of: str | None = None
    note: str = ""

    @property
    def curve(self) -> PowerCurve | None:
        low, high = self.min_watts_per_vcpu, self.max_watts_per_vcpu
        return None if low is None or high is None else PowerCurve(low, high)

    @model_validator(mode="after")
    def _measured_or_proxy(self) -> _Microarch:
        curve, watts = self.curve, (self.min_watts_per_vcpu, self.max_watts_per_vcpu)
        if (self.proxy_of is None) == (curve is None) or (self.proxy_of and watts != (None, None)):
            raise ValueError("give either min/max_watts_per_vcpu or proxy_of, not both or neither")
        if curve is not None and curve.max_watts_per_vcpu < curve.min_watts_per_vcpu:
            raise ValueError("max_watts_per_vcpu is below min_watts_per_vcpu")
        return self

    @field_validator("proxy_of")
    @classmethod
    def _known(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _check_name(value, info, "measured", "a measured micro-architecture")


class _Gpu(_Strict):
    idle_watts: Watts | None = None
    max_watts: Watts | None = None
    proxy_of: str | None = None
    label_tokens: list[Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+$")]] = []
    note: str = ""

    @model_validator(mode="after")
    def _measured_or_proxy(self) -> _Gpu:
        idle, high = self.idle_watts, self.max_watts
        measured = idle is not None and high is not None
        if measured == (self.proxy_of is not None) or (
            self.proxy_of and (idle, high) != (None, None)
        ):
            raise ValueError(
                "give either idle_watts and max_watts or proxy_of, not both or neither"
            )
        if idle is not None and high is not None and high < idle:
            raise ValueError("max_watts is below idle_watts")
        return self

    @field_validator("proxy_of")
    @classmethod
    def _known(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _check_name(value, info, "measured_gpus", "a measured GPU")


class _GpuFallback(_Strict):
    idle_watts: Watts
    max_watts: Watts


class MethodFile(_Strict):
    source: Source
    as_of: AsOf
    memory_kwh_per_gib_hour: Annotated[Decimal, Field(gt=0, le=1)]
    network_kwh_per_gib: Annotated[Decimal, Field(ge=0, le=1)]
    server_lifespan_hours: Annotated[int, Field(gt=0)]
    default_cpu_utilisation: Share
    default_gpu_utilisation: Share
    microarchitectures: dict[str, _Microarch]
    gpus: dict[str, _Gpu]
    gpu_fallback: _GpuFallback


class _Family(_Strict):
    microarch: str | list[str] | None = None
    gpu: str | None = None
    embodied_kg: Annotated[Decimal, Field(ge=0, le=100_000)]
    largest_vcpus: Annotated[int, Field(gt=0)]
    embodied_proxy: str = ""
    note: str = ""

    @field_validator("microarch")
    @classmethod
    def _known_microarch(
        cls, value: str | list[str] | None, info: ValidationInfo
    ) -> str | list[str] | None:
        if isinstance(value, list) and not value:
            raise ValueError("must name at least one micro-architecture")
        names = [value] if isinstance(value, str) else value or []
        for name in names:
            _check_name(name, info, "microarchitectures", "a micro-architecture of method.yaml")
        return value

    @field_validator("gpu")
    @classmethod
    def _known_gpu(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _check_name(value, info, "gpus", "a GPU of method.yaml")


class _Region(_Strict):
    average_g_per_kwh: Intensity
    marginal_g_per_kwh: Intensity | None = None
    note: str = ""


class _UnknownRegion(_Strict):
    average_g_per_kwh: Intensity
    marginal_g_per_kwh: Intensity


class ProviderFile(_Strict):
    provider: Provider
    source: Source
    as_of: AsOf
    pue: Pue
    pue_by_region: dict[str, Pue] = {}
    fallback_power: _Power
    embodied_fallback_kg_per_vcpu: Annotated[Decimal, Field(ge=0, le=1000)]
    families: dict[str, _Family]
    regions: dict[str, _Region]
    unknown_region: _UnknownRegion

    @field_validator("families")
    @classmethod
    def _unique_ignoring_case(cls, value: dict[str, _Family]) -> dict[str, _Family]:
        lowered = [name.lower() for name in value]
        duplicates = sorted({name for name in lowered if lowered.count(name) > 1})
        if duplicates:
            raise ValueError(f"family names must differ ignoring case: {', '.join(duplicates)}")
        return value


class _Profile(_Strict):
    average_g_per_kwh: list[Intensity]
    marginal_g_per_kwh: list[Intensity] | None = None

    @field_validator("average_g_per_kwh", "marginal_g_per_kwh")
    @classmethod
    def _hours(cls, value: list[Decimal] | None) -> list[Decimal] | None:
        if value is not None and len(value) not in _HOURS:
            raise ValueError(
                f"needs 24 values (hours of the day, UTC) or 168 (hours of the week from "
                f"Monday 00:00 UTC), got {len(value)}"
            )
        return value


class ProfilesFile(_Strict):
    source: Source
    as_of: AsOf
    profiles: dict[Provider, dict[str, _Profile]]


def _check_name(value: str | None, info: ValidationInfo, key: str, what: str) -> str | None:
    names = (info.context or {}).get(key)
    if value is not None and names is not None and value not in names:
        raise ValueError(f"{value!r} is not {what} (known: {', '.join(sorted(names))})")
    return value


def _load(path: Path, model: type[M], context: dict[str, Any] | None = None) -> M:
    try:
        return load_yaml_model(path, model, context=context)
    except YamlFileError as err:
        raise CarbonCatalogError(str(err)) from err


def _load_method(path: Path) -> MethodFile:
    try:
        raw = read_yaml(path)
    except YamlFileError as err:
        raise CarbonCatalogError(str(err)) from err
    context = {
        "measured": _measured(raw, "microarchitectures"),
        "measured_gpus": _measured(raw, "gpus"),
    }
    return _load(path, MethodFile, context)


def _measured(raw: Any, section: str) -> set[str]:
    """Names in ``section`` of the raw document that are not proxies (valid proxy targets)."""
    entries = raw.get(section) if isinstance(raw, dict) else None
    if not isinstance(entries, dict):
        return set()
    return {name for name, e in entries.items() if isinstance(e, dict) and "proxy_of" not in e}


def _power_curves(method: MethodFile) -> dict[str, PowerCurve]:
    measured = {name: e.curve for name, e in method.microarchitectures.items()}
    curves = {name: curve for name, curve in measured.items() if curve is not None}
    for name, entry in method.microarchitectures.items():
        if entry.proxy_of is not None:
            borrowed = curves[entry.proxy_of]
            curves[name] = PowerCurve(
                borrowed.min_watts_per_vcpu, borrowed.max_watts_per_vcpu, proxy=True
            )
    return curves


def _gpus(method: MethodFile) -> dict[str, GpuModel]:
    gpus: dict[str, GpuModel] = {}
    for name, e in method.gpus.items():
        if e.idle_watts is not None and e.max_watts is not None:
            gpus[name] = GpuModel(name, e.idle_watts, e.max_watts, frozenset(e.label_tokens))
    for name, e in method.gpus.items():
        if e.proxy_of is not None:
            borrowed = gpus[e.proxy_of]
            tokens = frozenset(e.label_tokens)
            gpus[name] = GpuModel(name, borrowed.idle_watts, borrowed.max_watts, tokens, proxy=True)
    return gpus


def _family_power(family: _Family, curves: dict[str, PowerCurve]) -> PowerCurve | None:
    """One named micro-architecture, or a group's mean (CCF's rule for mixed hosts; the median
    when the group holds Sandy or Ivy Bridge, whose high watts would skew a mean)."""
    if family.microarch is None:
        return None
    names = [family.microarch] if isinstance(family.microarch, str) else family.microarch
    group = [curves[name] for name in names]
    centre = median if _MEDIAN_GROUP_MEMBERS & set(names) else mean
    return PowerCurve(
        centre(c.min_watts_per_vcpu for c in group),
        centre(c.max_watts_per_vcpu for c in group),
        any(c.proxy for c in group),
    )


def _provider(
    parsed: ProviderFile, curves: dict[str, PowerCurve], gpus: dict[str, GpuModel]
) -> ProviderCarbon:
    families = {
        name.lower(): InstanceFamily(
            power=_family_power(f, curves),
            embodied_kg=f.embodied_kg,
            largest_vcpus=f.largest_vcpus,
            gpu=gpus[f.gpu] if f.gpu else None,
            embodied_proxy=bool(f.embodied_proxy),
        )
        for name, f in parsed.families.items()
    }
    fallback = parsed.fallback_power
    return ProviderCarbon(
        pue=parsed.pue,
        fallback_power=PowerCurve(fallback.min_watts_per_vcpu, fallback.max_watts_per_vcpu),
        embodied_fallback_kg_per_vcpu=parsed.embodied_fallback_kg_per_vcpu,
        unknown_region=RegionGrid(
            parsed.unknown_region.average_g_per_kwh, parsed.unknown_region.marginal_g_per_kwh
        ),
        families=families,
        regions={
            name: RegionGrid(r.average_g_per_kwh, r.marginal_g_per_kwh)
            for name, r in parsed.regions.items()
        },
        pue_by_region=dict(parsed.pue_by_region),
    )


def load_profiles(path: Path) -> dict[tuple[Provider, str], HourlyProfile]:
    """Hourly intensity profiles keyed by (provider, region); see the module docstring."""
    parsed = _load(path, ProfilesFile)
    return {
        (provider, region): HourlyProfile(
            tuple(p.average_g_per_kwh),
            None if p.marginal_g_per_kwh is None else tuple(p.marginal_g_per_kwh),
        )
        for provider, regions in parsed.profiles.items()
        for region, p in regions.items()
    }


def load_carbon_catalog(
    directory: Path | None = None, *, profiles_file: Path | None = None
) -> CarbonCoefficients:
    """The carbon coefficients in ``directory`` (default: the packaged ``carbon_data``).

    Needs ``method.yaml`` and one file per provider, ``onprem`` included (the fallback for any
    provider without a file). Raises :class:`CarbonCatalogError` naming file, line and field.
    """
    directory = directory or PACKAGED_CARBON_DATA
    method_path = directory / METHOD_FILE
    if not method_path.is_file():
        raise CarbonCatalogError(f"{method_path}: missing (the CCF method constants)")
    method = _load_method(method_path)
    curves = _power_curves(method)
    gpus = _gpus(method)
    context = {"microarchitectures": set(curves), "gpus": set(gpus)}
    providers: dict[Provider, ProviderCarbon] = {}
    for path in sorted(directory.glob("*.yaml")):
        if path.name == METHOD_FILE:
            continue
        parsed = _load(path, ProviderFile, context)
        if parsed.provider in providers:
            raise CarbonCatalogError(f"{path}:1: provider: {parsed.provider} is defined twice")
        providers[parsed.provider] = _provider(parsed, curves, gpus)
    if Provider.ONPREM not in providers:
        raise CarbonCatalogError(f"{directory}: no carbon file for provider onprem (the fallback)")
    return CarbonCoefficients(
        memory_kwh_per_gib_hour=method.memory_kwh_per_gib_hour,
        network_kwh_per_gib=method.network_kwh_per_gib,
        server_lifespan_hours=method.server_lifespan_hours,
        default_cpu_utilisation=method.default_cpu_utilisation,
        default_gpu_utilisation=method.default_gpu_utilisation,
        gpus=tuple(gpus.values()),
        gpu_fallback=GpuModel(
            "fallback", method.gpu_fallback.idle_watts, method.gpu_fallback.max_watts
        ),
        providers=providers,
        profiles=load_profiles(profiles_file) if profiles_file else {},
    )
