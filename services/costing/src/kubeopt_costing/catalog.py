"""Loading the pricing catalog and custom price files (validated at start-up).

A file that fails validation stops the service with one line naming file, line and field.
"""

from __future__ import annotations

from decimal import Decimal
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from kubeopt_common.events import CapacityType, Provider
from kubeopt_common.yamlfile import YamlFileError, load_yaml_model
from kubeopt_costing.domain.money import usd_to_nano
from kubeopt_costing.domain.pricing import (
    InstancePrice,
    NodePricer,
    PriceBook,
    PriceOverride,
    ProviderCatalog,
    UnitPrices,
)

if TYPE_CHECKING:
    from kubeopt_costing.settings import PricingSettings

Usd = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=9)]
PACKAGED_CATALOG = Path(str(files("kubeopt_costing") / "pricing_data"))


class CatalogError(ValueError):
    pass


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Listed(_Strict):
    on_demand: Usd
    spot: Usd | None = None


class _Defaults(_Strict):
    cpu_per_vcpu_hour: Usd
    ram_per_gib_hour: Usd
    gpu_per_gpu_hour: Usd
    spot_cpu_per_vcpu_hour: Usd
    spot_ram_per_gib_hour: Usd
    spot_gpu_per_gpu_hour: Usd


class CatalogFile(_Strict):
    provider: Provider
    source: Annotated[str, StringConstraints(min_length=10)]
    as_of: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    currency: Annotated[str, StringConstraints(pattern=r"^USD$")]
    defaults: _Defaults
    regions: dict[str, dict[str, _Listed]]


class _Override(_Strict):
    hourly_usd: Usd
    instance_type: str = ""
    capacity_type: CapacityType | None = None
    cluster: str = ""
    node: str = ""


class OverridesFile(_Strict):
    source: str = ""
    overrides: list[_Override]


def _unit_prices(d: _Defaults) -> UnitPrices:
    return UnitPrices(
        usd_to_nano(d.cpu_per_vcpu_hour),
        usd_to_nano(d.ram_per_gib_hour),
        usd_to_nano(d.gpu_per_gpu_hour),
        usd_to_nano(d.spot_cpu_per_vcpu_hour),
        usd_to_nano(d.spot_ram_per_gib_hour),
        usd_to_nano(d.spot_gpu_per_gpu_hour),
    )


def _provider_catalog(f: CatalogFile) -> ProviderCatalog:
    instances = {
        (region, itype): InstancePrice(
            usd_to_nano(p.on_demand), None if p.spot is None else usd_to_nano(p.spot)
        )
        for region, types in f.regions.items()
        for itype, p in types.items()
    }
    return ProviderCatalog(f.provider, _unit_prices(f.defaults), instances)


def load_catalog(directory: Path = PACKAGED_CATALOG) -> dict[Provider, ProviderCatalog]:
    """Every ``*.yaml`` catalog in ``directory``; one file per provider, on-prem required."""
    catalogs: dict[Provider, ProviderCatalog] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            parsed = load_yaml_model(path, CatalogFile)
        except YamlFileError as err:
            raise CatalogError(str(err)) from err
        if parsed.provider in catalogs:
            raise CatalogError(f"{path}:1: provider: {parsed.provider} is defined twice")
        catalogs[parsed.provider] = _provider_catalog(parsed)
    if Provider.ONPREM not in catalogs:
        raise CatalogError(f"{directory}: no catalog for provider onprem (the fallback defaults)")
    return catalogs


def load_overrides(path: Path) -> list[PriceOverride]:
    try:
        parsed = load_yaml_model(path, OverridesFile)
    except YamlFileError as err:
        raise CatalogError(str(err)) from err
    return [
        PriceOverride(
            usd_to_nano(o.hourly_usd),
            instance_type=o.instance_type,
            capacity_type=o.capacity_type,
            cluster=o.cluster,
            node=o.node,
        )
        for o in parsed.overrides
    ]


def load_price_book(*, catalog_dir: Path | None, overrides_file: Path | None) -> PriceBook:
    catalogs = load_catalog(catalog_dir or PACKAGED_CATALOG)
    overrides = load_overrides(overrides_file) if overrides_file else []
    return PriceBook(catalogs, overrides)


def catalog_cost_model(settings: PricingSettings) -> NodePricer:
    """The built-in ``catalog`` cost model (entry point ``kubeopt.cost_models:catalog``)."""
    return load_price_book(catalog_dir=settings.catalog_dir, overrides_file=settings.overrides_file)
