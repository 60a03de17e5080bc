"""Loading the packaged carbon data (``carbon_data/grid.yaml``) and optional hourly profiles.

Both files are validated up front; a bad one is a one-line ``<file>:<line>: <field>: <reason>``
error (:class:`~kubeopt_common.yamlfile.YamlFileError`), raised at start-up.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from kubeopt_common.yamlfile import load_yaml_model
from kubeopt_recommender.domain.carbon import CarbonCatalog, ProviderCoefficients, RegionIntensity

GRID_FILE = Path(__file__).parent / "carbon_data" / "grid.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Provider(_Strict):
    min_watts_per_vcpu: float = Field(gt=0)
    max_watts_per_vcpu: float = Field(gt=0)
    pue: float = Field(ge=1.0)


class _Region(_Strict):
    g: float = Field(ge=0, description="gCO2e per kWh")
    src: str = Field(min_length=1)
    geo: str = ""


class _GridFile(_Strict):
    source: str
    as_of: str
    providers: dict[str, _Provider]
    unknown_region: dict[str, float]
    regions: dict[str, dict[str, _Region]]


class _HourlyFile(_Strict):
    source: str = Field(min_length=1, description="Where the profiles come from")
    profiles: dict[str, dict[str, list[float]]]


def load_catalog(hourly_file: Path | None = None, *, grid_file: Path = GRID_FILE) -> CarbonCatalog:
    """The packaged grid data, plus the hourly profiles in ``hourly_file`` when given."""
    grid = load_yaml_model(grid_file, _GridFile)
    hourly: dict[tuple[str, str], tuple[float, ...]] = {}
    if hourly_file is not None:
        profiles = load_yaml_model(hourly_file, _HourlyFile)
        for provider, regions in profiles.profiles.items():
            for region, values in regions.items():
                if len(values) != 24 or any(v < 0 for v in values):
                    msg = (
                        f"{hourly_file}: profiles.{provider}.{region}: needs 24 non-negative "
                        f"gCO2e/kWh values (UTC hours 0-23), got {len(values)}"
                    )
                    raise ValueError(msg)
                hourly[(provider, region)] = tuple(values)
    return CarbonCatalog(
        source=grid.source,
        as_of=grid.as_of,
        providers={
            name: ProviderCoefficients(p.min_watts_per_vcpu, p.max_watts_per_vcpu, p.pue)
            for name, p in grid.providers.items()
        },
        regions={
            (provider, name): RegionIntensity(provider, name, r.g, r.src, r.geo)
            for provider, regions in grid.regions.items()
            for name, r in regions.items()
        },
        unknown_grams_per_kwh=dict(grid.unknown_region),
        hourly=hourly,
    )
