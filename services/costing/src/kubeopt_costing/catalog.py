"""Loading the pricing catalog (validated at start-up) and building the built-in cost model.

Catalog files (``pricing_data/<provider>.yaml``) list base-region prices; every other region is
derived from them by the region's ``compute_factor`` / ``storage_factor`` (exact fractions, the
product floored to a nano-USD) unless the region lists its own ``prices``. Custom price files
(:mod:`kubeopt_costing.custom_prices`) are applied on top.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from fractions import Fraction
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Self

from pydantic import (
    Field,
    StringConstraints,
    model_validator,
)

from kubeopt_common.events import Provider
from kubeopt_costing.custom_prices import CustomPrices, load_custom_prices
from kubeopt_costing.domain.money import usd_to_nano
from kubeopt_costing.domain.price_book import PriceBook
from kubeopt_costing.domain.pricing import (
    InstancePrice,
    NodePricer,
    ProviderCatalog,
    SplitRatios,
    StoragePrices,
    UnitPrices,
)
from kubeopt_costing.price_files import (
    CatalogError,
    Name,
    Ratio,
    StrictModel,
    Usd,
    invalid,
    load_price_file,
)

if TYPE_CHECKING:
    from kubeopt_costing.settings import PricingSettings

PACKAGED_CATALOG = Path(str(files("kubeopt_costing") / "pricing_data"))


class _Listed(StrictModel):
    """List prices of an instance type (USD per hour) and the GPUs they include."""

    on_demand: Usd
    spot: Usd | None = None
    gpus: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _spot_below_on_demand(self) -> Self:
        if self.spot is not None and self.spot >= self.on_demand:
            msg = f"spot {self.spot} must be below on_demand {self.on_demand}"
            raise invalid(("spot",), msg, self.spot)
        return self


class _Defaults(StrictModel):
    cpu_per_vcpu_hour: Usd
    ram_per_gib_hour: Usd
    gpu_per_gpu_hour: Usd
    spot_cpu_per_vcpu_hour: Usd
    spot_ram_per_gib_hour: Usd
    spot_gpu_per_gpu_hour: Usd


class _SplitRatios(StrictModel):
    cpu_to_ram: Ratio
    gpu_to_ram: Ratio


class _Region(StrictModel):
    compute_factor: Ratio
    storage_factor: Ratio
    load_balancer_hourly: Usd | None = None
    prices: dict[str, _Listed] = Field(default_factory=dict)


class _StorageClass(StrictModel):
    per_gib_month: Usd
    storage_class_names: tuple[Name, ...] = ()


class _Storage(StrictModel):
    default_class: Name
    classes: dict[str, _StorageClass] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.default_class not in self.classes:
            msg = f"{self.default_class!r} is not one of the classes {sorted(self.classes)}"
            raise invalid(("default_class",), msg, self.default_class)
        owner: dict[str, str] = {}
        for price_class, spec in self.classes.items():
            for index, name in enumerate((price_class, *spec.storage_class_names)):
                if owner.setdefault(name, price_class) != price_class:
                    loc = ("classes", price_class, "storage_class_names", index - 1)
                    raise invalid(loc, f"{name!r} already names class {owner[name]!r}", name)
        return self


class _LoadBalancer(StrictModel):
    kind: Name
    hourly: Usd


class _ClusterFee(StrictModel):
    default_tier: Name
    tiers_hourly: dict[str, Usd] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_tier(self) -> Self:
        if self.default_tier not in self.tiers_hourly:
            msg = f"{self.default_tier!r} is not one of the tiers {sorted(self.tiers_hourly)}"
            raise invalid(("default_tier",), msg, self.default_tier)
        return self


class _Accelerators(StrictModel):
    node_label: Name
    per_gpu: dict[str, _Listed] = Field(min_length=1)


class CatalogFile(StrictModel):
    provider: Provider
    source: Annotated[str, StringConstraints(min_length=10)]
    as_of: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    currency: Annotated[str, StringConstraints(pattern=r"^USD$")]
    base_region: str
    split_ratios: _SplitRatios
    defaults: _Defaults
    instances: dict[str, _Listed] = Field(default_factory=dict)
    regions: dict[str, _Region] = Field(default_factory=dict)
    storage: _Storage
    load_balancer: _LoadBalancer
    cluster_fee: _ClusterFee
    accelerators: _Accelerators | None = None

    @model_validator(mode="after")
    def _base_region_is_listed(self) -> Self:
        base = self.regions.get(self.base_region)
        if base is None:
            if self.instances or self.regions:
                msg = f"{self.base_region!r} must be one of the regions {sorted(self.regions)}"
                raise invalid(("base_region",), msg, self.base_region)
        elif base.compute_factor != 1 or base.storage_factor != 1:
            msg = "the base region's compute_factor and storage_factor must be 1"
            raise invalid(("regions", self.base_region), msg)
        return self


def _scaled(usd: Decimal, factor: Fraction) -> int:
    """A base-region price in another region: exact product, floored to a nano-USD."""
    return int(usd_to_nano(usd) * factor)


def _instance(listed: _Listed, factor: Fraction = Fraction(1)) -> InstancePrice:
    spot = None if listed.spot is None else _scaled(listed.spot, factor)
    return InstancePrice(_scaled(listed.on_demand, factor), spot, listed.gpus)


def _regions(f: CatalogFile) -> Mapping[str, _Region]:
    # On-prem has no regions: its prices live under the empty base region.
    one = _Region(compute_factor=Fraction(1), storage_factor=Fraction(1))
    return f.regions or {f.base_region: one}


def _instances(f: CatalogFile) -> dict[tuple[str, str], InstancePrice]:
    table: dict[tuple[str, str], InstancePrice] = {}
    for region, spec in _regions(f).items():
        for itype, listed in f.instances.items():
            table[region, itype] = _instance(listed, spec.compute_factor)
        for itype, listed in spec.prices.items():
            table[region, itype] = _instance(listed)
    return table


def _storage(f: CatalogFile) -> StoragePrices:
    classes = f.storage.classes
    return StoragePrices(
        f.storage.default_class,
        {
            (region, name): _scaled(spec.per_gib_month, r.storage_factor)
            for region, r in _regions(f).items()
            for name, spec in classes.items()
        },
        {
            alias: name
            for name, spec in classes.items()
            for alias in (name, *spec.storage_class_names)
        },
    )


def _provider_catalog(f: CatalogFile) -> ProviderCatalog:
    d = f.defaults
    units = UnitPrices(
        *map(usd_to_nano, (d.cpu_per_vcpu_hour, d.ram_per_gib_hour, d.gpu_per_gpu_hour)),
        *map(
            usd_to_nano,
            (d.spot_cpu_per_vcpu_hour, d.spot_ram_per_gib_hour, d.spot_gpu_per_gpu_hour),
        ),
    )
    lb_base = f.load_balancer.hourly
    accelerators = f.accelerators
    return ProviderCatalog(
        f.provider,
        units,
        _instances(f),
        ratios=SplitRatios(f.split_ratios.cpu_to_ram, f.split_ratios.gpu_to_ram),
        base_region=f.base_region,
        storage=_storage(f),
        load_balancer_nano_usd_per_hour={
            region: usd_to_nano(
                lb_base if r.load_balancer_hourly is None else r.load_balancer_hourly
            )
            for region, r in _regions(f).items()
        },
        cluster_fee_nano_usd_per_hour=usd_to_nano(
            f.cluster_fee.tiers_hourly[f.cluster_fee.default_tier]
        ),
        accelerator_label=accelerators.node_label if accelerators else "",
        accelerators={
            model: _instance(p)
            for model, p in (accelerators.per_gpu if accelerators else {}).items()
        },
    )


def load_catalog(directory: Path = PACKAGED_CATALOG) -> dict[Provider, ProviderCatalog]:
    """Every ``*.yaml`` catalog in ``directory``; one file per provider, on-prem required."""
    catalogs: dict[Provider, ProviderCatalog] = {}
    for path in sorted(directory.glob("*.yaml")):
        parsed = load_price_file(path, CatalogFile)
        if parsed.provider in catalogs:
            raise CatalogError(f"{path}:1: provider: {parsed.provider} is defined twice")
        catalogs[parsed.provider] = _provider_catalog(parsed)
    if Provider.ONPREM not in catalogs:
        raise CatalogError(f"{directory}: no catalog for provider onprem (the fallback defaults)")
    return catalogs


def load_price_book(*, catalog_dir: Path | None, overrides_file: Path | None) -> PriceBook:
    catalogs = load_catalog(catalog_dir or PACKAGED_CATALOG)
    custom = load_custom_prices(overrides_file) if overrides_file else CustomPrices()
    return PriceBook(
        catalogs,
        custom.overrides,
        discounts=custom.discounts,
        storage_overrides=custom.storage,
        load_balancer_overrides=custom.load_balancers,
        cluster_fee_overrides=custom.cluster_fees,
    )


def catalog_cost_model(settings: PricingSettings) -> NodePricer:
    """The built-in ``catalog`` cost model (entry point ``kubeopt.cost_models:catalog``)."""
    return load_price_book(catalog_dir=settings.catalog_dir, overrides_file=settings.overrides_file)
