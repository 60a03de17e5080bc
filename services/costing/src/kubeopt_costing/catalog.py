"""Loading the pricing catalog and custom price files (validated at start-up).

A file that fails validation stops the service with one line naming file, line and field:
``<file>:<line>: <field.path>: <reason>``.

Catalog files (``pricing_data/<provider>.yaml``) list base-region prices; every other region is
derived from them by the region's ``compute_factor`` / ``storage_factor`` (exact fractions, the
product floored to a nano-USD) unless the region lists its own ``prices``. Custom price files
pin node prices (per instance type, node label or node name; hourly, monthly or per unit),
PV, load balancer and cluster fee prices, and negotiated discounts per cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from importlib.resources import files
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Self, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from kubeopt_common.events import CapacityType, Provider
from kubeopt_common.yamlfile import YamlFileError, load_yaml_model
from kubeopt_costing.domain.money import usd_to_nano
from kubeopt_costing.domain.pricing import (
    HOURS_PER_MONTH,
    CustomUnitPrices,
    Discount,
    InstancePrice,
    NodePricer,
    PriceBook,
    PriceCategory,
    PriceOverride,
    ProviderCatalog,
    SplitRatios,
    StorageOverride,
    StoragePrices,
    UnitPrices,
    per_hour_from_per_month,
)

if TYPE_CHECKING:
    from kubeopt_costing.settings import PricingSettings

Usd = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=9)]
Name = Annotated[str, StringConstraints(min_length=1)]
M = TypeVar("M", bound=BaseModel)
PACKAGED_CATALOG = Path(str(files("kubeopt_costing") / "pricing_data"))


def _no_float(value: object) -> object:
    # YAML floats go through their text so that 1.1 means 11/10, not its binary expansion.
    return str(value) if isinstance(value, float) else value


Ratio = Annotated[Fraction, BeforeValidator(_no_float), Field(gt=0)]


class CatalogError(ValueError):
    pass


def _invalid(loc: tuple[str | int, ...], message: str, value: object = None) -> ValidationError:
    """A validation error located at ``loc`` (relative to the model raising it)."""
    error = PydanticCustomError("invalid", message)
    details = InitErrorDetails(type=error, loc=loc, input=value)
    return ValidationError.from_exception_data("price file", [details])


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Listed(_Strict):
    """List prices of an instance type (USD per hour) and the GPUs they include."""

    on_demand: Usd
    spot: Usd | None = None
    gpus: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _spot_below_on_demand(self) -> Self:
        if self.spot is not None and self.spot >= self.on_demand:
            msg = f"spot {self.spot} must be below on_demand {self.on_demand}"
            raise _invalid(("spot",), msg, self.spot)
        return self


class _Defaults(_Strict):
    cpu_per_vcpu_hour: Usd
    ram_per_gib_hour: Usd
    gpu_per_gpu_hour: Usd
    spot_cpu_per_vcpu_hour: Usd
    spot_ram_per_gib_hour: Usd
    spot_gpu_per_gpu_hour: Usd


class _SplitRatios(_Strict):
    cpu_to_ram: Ratio
    gpu_to_ram: Ratio


class _Region(_Strict):
    compute_factor: Ratio
    storage_factor: Ratio
    load_balancer_hourly: Usd | None = None
    prices: dict[str, _Listed] = {}


class _StorageClass(_Strict):
    per_gib_month: Usd
    storage_class_names: tuple[Name, ...] = ()


class _Storage(_Strict):
    default_class: Name
    classes: dict[str, _StorageClass] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.default_class not in self.classes:
            msg = f"{self.default_class!r} is not one of the classes {sorted(self.classes)}"
            raise _invalid(("default_class",), msg, self.default_class)
        owner: dict[str, str] = {}
        for price_class, spec in self.classes.items():
            for index, name in enumerate((price_class, *spec.storage_class_names)):
                if owner.setdefault(name, price_class) != price_class:
                    loc = ("classes", price_class, "storage_class_names", index - 1)
                    raise _invalid(loc, f"{name!r} already names class {owner[name]!r}", name)
        return self


class _LoadBalancer(_Strict):
    kind: Name
    hourly: Usd


class _ClusterFee(_Strict):
    default_tier: Name
    tiers_hourly: dict[str, Usd] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_tier(self) -> Self:
        if self.default_tier not in self.tiers_hourly:
            msg = f"{self.default_tier!r} is not one of the tiers {sorted(self.tiers_hourly)}"
            raise _invalid(("default_tier",), msg, self.default_tier)
        return self


class _Accelerators(_Strict):
    node_label: Name
    per_gpu: dict[str, _Listed] = Field(min_length=1)


class CatalogFile(_Strict):
    provider: Provider
    source: Annotated[str, StringConstraints(min_length=10)]
    as_of: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    currency: Annotated[str, StringConstraints(pattern=r"^USD$")]
    base_region: str
    split_ratios: _SplitRatios
    defaults: _Defaults
    instances: dict[str, _Listed] = {}
    regions: dict[str, _Region] = {}
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
                raise _invalid(("base_region",), msg, self.base_region)
        elif base.compute_factor != 1 or base.storage_factor != 1:
            msg = "the base region's compute_factor and storage_factor must be 1"
            raise _invalid(("regions", self.base_region), msg)
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


def _load(path: Path, model: type[M]) -> M:
    try:
        return load_yaml_model(path, model)
    except YamlFileError as err:
        raise CatalogError(str(err)) from err


def load_catalog(directory: Path = PACKAGED_CATALOG) -> dict[Provider, ProviderCatalog]:
    """Every ``*.yaml`` catalog in ``directory``; one file per provider, on-prem required."""
    catalogs: dict[Provider, ProviderCatalog] = {}
    for path in sorted(directory.glob("*.yaml")):
        parsed = _load(path, CatalogFile)
        if parsed.provider in catalogs:
            raise CatalogError(f"{path}:1: provider: {parsed.provider} is defined twice")
        catalogs[parsed.provider] = _provider_catalog(parsed)
    if Provider.ONPREM not in catalogs:
        raise CatalogError(f"{directory}: no catalog for provider onprem (the fallback defaults)")
    return catalogs


# --- custom price files ---------------------------------------------------------------------

_UNIT_STEMS = {"cpu": "cpu_per_vcpu", "ram": "ram_per_gib", "gpu": "gpu_per_gpu"}
# Bounds that catch a monthly figure under an hourly name and the reverse (the mistake behind
# OpenCost #3781 / #4020: on-prem nodes priced 730x too low). Cloud list prices sit far inside.
_MAX_USD_PER_HOUR = {"cpu": Decimal(1), "ram": Decimal("0.1"), "gpu": Decimal(50)}
_MIN_USD_PER_MONTH = {"cpu": Decimal("0.5"), "ram": Decimal("0.05"), "gpu": Decimal(5)}
_MAX_NODE_USD_PER_HOUR = Decimal(500)
_MIN_NODE_USD_PER_MONTH = Decimal(1)
_UNIT_HINT = "(a month is 730 hours; OpenCost #3781/#4020 priced nodes 730x too low this way)"


class _UnitPrices(_Strict):
    """Per-unit prices; each resource's unit is in its name, exactly one unit per resource."""

    cpu_per_vcpu_hour: Usd | None = None
    cpu_per_vcpu_month: Usd | None = None
    ram_per_gib_hour: Usd | None = None
    ram_per_gib_month: Usd | None = None
    gpu_per_gpu_hour: Usd | None = None
    gpu_per_gpu_month: Usd | None = None

    @model_validator(mode="before")
    @classmethod
    def _units_named(cls, data: Any) -> Any:
        for key in data if isinstance(data, Mapping) else ():
            if key not in cls.model_fields:
                msg = (
                    f"{key!r} is not a unit price: name resource and unit, e.g. "
                    "cpu_per_vcpu_hour or cpu_per_vcpu_month, ram_per_gib_hour or "
                    "ram_per_gib_month, gpu_per_gpu_hour or gpu_per_gpu_month"
                )
                raise _invalid((key,), msg, data[key])
        return data

    @model_validator(mode="after")
    def _one_plausible_unit_each(self) -> Self:
        for resource, stem in _UNIT_STEMS.items():
            hour, month = self._pair(stem)
            if (hour is None) == (month is None):
                msg = f"give exactly one of {stem}_hour and {stem}_month (0 if unused)"
                raise _invalid((f"{stem}_hour" if hour is not None else f"{stem}_month",), msg)
            if hour is not None and hour > _MAX_USD_PER_HOUR[resource]:
                msg = f"USD {hour} an hour is implausible; a monthly price? use {stem}_month"
                raise _invalid((f"{stem}_hour",), f"{msg} {_UNIT_HINT}", hour)
            if month is not None and 0 < month < _MIN_USD_PER_MONTH[resource]:
                msg = f"USD {month} a month is implausible; an hourly price? use {stem}_hour"
                raise _invalid((f"{stem}_month",), f"{msg} {_UNIT_HINT}", month)
        if not any(self._pair("ram_per_gib")):
            raise _invalid(("ram_per_gib_hour",), "the RAM price must be positive")
        return self

    def _pair(self, stem: str) -> tuple[Decimal | None, Decimal | None]:
        return getattr(self, f"{stem}_hour"), getattr(self, f"{stem}_month")

    def _per_hour(self, stem: str) -> Fraction:
        hour, month = self._pair(stem)
        if hour is not None:
            return Fraction(usd_to_nano(hour))
        return Fraction(usd_to_nano(month or Decimal(0)), HOURS_PER_MONTH)

    def domain(self) -> CustomUnitPrices:
        return CustomUnitPrices(*(self._per_hour(stem) for stem in _UNIT_STEMS.values()))


class _Override(_Strict):
    """A pinned node price: ``hourly_usd``, ``monthly_usd`` or ``unit_prices`` (exactly one)."""

    hourly_usd: Usd | None = None
    monthly_usd: Usd | None = None
    unit_prices: _UnitPrices | None = None
    instance_type: str = ""
    capacity_type: CapacityType | None = None
    cluster: str = ""
    node: str = ""
    node_label: dict[Name, str] = {}

    @model_validator(mode="after")
    def _one_plausible_price(self) -> Self:
        names = ("hourly_usd", "monthly_usd", "unit_prices")
        given = [name for name in names if getattr(self, name) is not None]
        if len(given) != 1:
            msg = "give exactly one of hourly_usd, monthly_usd or unit_prices"
            raise _invalid((given[1] if given else "hourly_usd",), msg)
        if self.hourly_usd is not None and self.hourly_usd > _MAX_NODE_USD_PER_HOUR:
            msg = f"USD {self.hourly_usd} an hour is implausible; a monthly price? use monthly_usd"
            raise _invalid(("hourly_usd",), f"{msg} {_UNIT_HINT}", self.hourly_usd)
        if self.monthly_usd is not None and 0 < self.monthly_usd < _MIN_NODE_USD_PER_MONTH:
            msg = f"USD {self.monthly_usd} a month is implausible; an hourly price? use hourly_usd"
            raise _invalid(("monthly_usd",), f"{msg} {_UNIT_HINT}", self.monthly_usd)
        if "node_label" in self.model_fields_set and not self.node_label:
            raise _invalid(("node_label",), "name at least one label (key: value)")
        return self

    @property
    def match_key(self) -> tuple[object, ...]:
        labels = frozenset(self.node_label.items())
        return self.instance_type, self.capacity_type, self.cluster, self.node, labels

    def domain(self) -> PriceOverride:
        hourly = None
        if self.hourly_usd is not None:
            hourly = usd_to_nano(self.hourly_usd)
        elif self.monthly_usd is not None:
            hourly = per_hour_from_per_month(usd_to_nano(self.monthly_usd))
        return PriceOverride(
            hourly,
            instance_type=self.instance_type,
            capacity_type=self.capacity_type,
            cluster=self.cluster,
            node=self.node,
            node_labels=tuple(sorted(self.node_label.items())),
            unit_prices=None if self.unit_prices is None else self.unit_prices.domain(),
        )


class _Discount(_Strict):
    """``percent`` off list prices of ``applies_to`` in ``cluster`` (``"*"``: every other)."""

    cluster: Name
    percent: Annotated[Decimal, BeforeValidator(_no_float), Field(gt=0, lt=100, decimal_places=2)]
    applies_to: tuple[PriceCategory, ...] = Field(min_length=1)


class _StoragePrice(_Strict):
    storage_class: Name
    per_gib_month_usd: Usd
    cluster: str = ""


class _ClusterHourly(_Strict):
    hourly_usd: Usd
    cluster: str = ""


class OverridesFile(_Strict):
    source: str = ""
    overrides: list[_Override] = []
    discounts: list[_Discount] = []
    storage: list[_StoragePrice] = []
    load_balancers: list[_ClusterHourly] = []
    cluster_fees: list[_ClusterHourly] = []

    @model_validator(mode="after")
    def _no_duplicates(self) -> Self:
        _unique("overrides", [o.match_key for o in self.overrides], "matches the same nodes as")
        _unique("storage", [(s.cluster, s.storage_class) for s in self.storage], "repeats")
        _unique("load_balancers", [b.cluster for b in self.load_balancers], "repeats")
        _unique("cluster_fees", [f.cluster for f in self.cluster_fees], "repeats")
        first: dict[tuple[str, PriceCategory], int] = {}
        for index, discount in enumerate(self.discounts):
            for category in discount.applies_to:
                seen = first.setdefault((discount.cluster, category), index)
                if seen != index:
                    msg = (
                        f"cluster {discount.cluster!r} already has a {category} discount in "
                        f"discounts.{seen}; give one combined percent per cluster and category"
                    )
                    raise _invalid(("discounts", index, "applies_to"), msg, str(category))
        return self


def _unique(section: str, keys: list[object], what: str) -> None:
    first: dict[object, int] = {}
    for index, key in enumerate(keys):
        seen = first.setdefault(key, index)
        if seen != index:
            raise _invalid((section, index), f"{what} {section}.{seen}")


@dataclass(frozen=True, slots=True)
class CustomPrices:
    """The content of a custom price file, in domain terms (nano-USD)."""

    overrides: tuple[PriceOverride, ...] = ()
    discounts: tuple[Discount, ...] = ()
    storage: tuple[StorageOverride, ...] = ()
    load_balancers: Mapping[str, int] = field(default_factory=dict)
    cluster_fees: Mapping[str, int] = field(default_factory=dict)


def _custom_prices(f: OverridesFile) -> CustomPrices:
    return CustomPrices(
        tuple(o.domain() for o in f.overrides),
        tuple(
            Discount(d.cluster, int(d.percent * 100), frozenset(d.applies_to)) for d in f.discounts
        ),
        tuple(
            StorageOverride(s.storage_class, usd_to_nano(s.per_gib_month_usd), s.cluster)
            for s in f.storage
        ),
        {b.cluster: usd_to_nano(b.hourly_usd) for b in f.load_balancers},
        {c.cluster: usd_to_nano(c.hourly_usd) for c in f.cluster_fees},
    )


def load_custom_prices(path: Path) -> CustomPrices:
    """A custom price file: node overrides, discounts, PV / load balancer / cluster fee prices."""
    return _custom_prices(_load(path, OverridesFile))


def load_overrides(path: Path) -> list[PriceOverride]:
    """Only the node price overrides of a custom price file."""
    return list(load_custom_prices(path).overrides)


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
