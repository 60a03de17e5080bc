"""Custom price files: pinned node prices (per instance type, node label or node name; hourly,
monthly or per unit), PV, load balancer and cluster fee prices, negotiated discounts per cluster.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Self

from pydantic import (
    BeforeValidator,
    Field,
    model_validator,
)

from kubeopt_common.events import CapacityType
from kubeopt_costing.domain.money import usd_to_nano
from kubeopt_costing.domain.pricing import (
    HOURS_PER_MONTH,
    CustomUnitPrices,
    Discount,
    PriceCategory,
    PriceOverride,
    StorageOverride,
    per_hour_from_per_month,
)
from kubeopt_costing.price_files import (
    Name,
    StrictModel,
    Usd,
    invalid,
    load_price_file,
    no_float,
)

if TYPE_CHECKING:
    pass

_UNIT_STEMS = {"cpu": "cpu_per_vcpu", "ram": "ram_per_gib", "gpu": "gpu_per_gpu"}
# Bounds that catch a monthly figure under an hourly name and the reverse (the mistake behind
# OpenCost #3781 / #4020: on-prem nodes priced 730x too low). Cloud list prices sit far inside.
_MAX_USD_PER_HOUR = {"cpu": Decimal(1), "ram": Decimal("0.1"), "gpu": Decimal(50)}
_MIN_USD_PER_MONTH = {"cpu": Decimal("0.5"), "ram": Decimal("0.05"), "gpu": Decimal(5)}
_MAX_NODE_USD_PER_HOUR = Decimal(500)
_MIN_NODE_USD_PER_MONTH = Decimal(1)
_UNIT_HINT = "(a month is 730 hours; OpenCost #3781/#4020 priced nodes 730x too low this way)"


class _UnitPrices(StrictModel):
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
                raise invalid((key,), msg, data[key])
        return data

    @model_validator(mode="after")
    def _one_plausible_unit_each(self) -> Self:
        for resource, stem in _UNIT_STEMS.items():
            hour, month = self._pair(stem)
            if (hour is None) == (month is None):
                msg = f"give exactly one of {stem}_hour and {stem}_month (0 if unused)"
                raise invalid((f"{stem}_hour" if hour is not None else f"{stem}_month",), msg)
            if hour is not None and hour > _MAX_USD_PER_HOUR[resource]:
                msg = f"USD {hour} an hour is implausible; a monthly price? use {stem}_month"
                raise invalid((f"{stem}_hour",), f"{msg} {_UNIT_HINT}", hour)
            if month is not None and 0 < month < _MIN_USD_PER_MONTH[resource]:
                msg = f"USD {month} a month is implausible; an hourly price? use {stem}_hour"
                raise invalid((f"{stem}_month",), f"{msg} {_UNIT_HINT}", month)
        if not any(self._pair("ram_per_gib")):
            raise invalid(("ram_per_gib_hour",), "the RAM price must be positive")
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


class _Override(StrictModel):
    """A pinned node price: ``hourly_usd``, ``monthly_usd`` or ``unit_prices`` (exactly one)."""

    hourly_usd: Usd | None = None
    monthly_usd: Usd | None = None
    unit_prices: _UnitPrices | None = None
    instance_type: str = ""
    capacity_type: CapacityType | None = None
    cluster: str = ""
    node: str = ""
    node_label: dict[Name, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_plausible_price(self) -> Self:
        names = ("hourly_usd", "monthly_usd", "unit_prices")
        given = [name for name in names if getattr(self, name) is not None]
        if len(given) != 1:
            msg = "give exactly one of hourly_usd, monthly_usd or unit_prices"
            raise invalid((given[1] if given else "hourly_usd",), msg)
        if self.hourly_usd is not None and self.hourly_usd > _MAX_NODE_USD_PER_HOUR:
            msg = f"USD {self.hourly_usd} an hour is implausible; a monthly price? use monthly_usd"
            raise invalid(("hourly_usd",), f"{msg} {_UNIT_HINT}", self.hourly_usd)
        if self.monthly_usd is not None and 0 < self.monthly_usd < _MIN_NODE_USD_PER_MONTH:
            msg = f"USD {self.monthly_usd} a month is implausible; an hourly price? use hourly_usd"
            raise invalid(("monthly_usd",), f"{msg} {_UNIT_HINT}", self.monthly_usd)
        if "node_label" in self.model_fields_set and not self.node_label:
            raise invalid(("node_label",), "name at least one label (key: value)")
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


class _Discount(StrictModel):
    """``percent`` off list prices of ``applies_to`` in ``cluster`` (``"*"``: every other)."""

    cluster: Name
    percent: Annotated[Decimal, BeforeValidator(no_float), Field(gt=0, lt=100, decimal_places=2)]
    applies_to: tuple[PriceCategory, ...] = Field(min_length=1)


class _StoragePrice(StrictModel):
    storage_class: Name
    per_gib_month_usd: Usd
    cluster: str = ""


class _ClusterHourly(StrictModel):
    hourly_usd: Usd
    cluster: str = ""


class OverridesFile(StrictModel):
    source: str = ""
    overrides: list[_Override] = Field(default_factory=list)
    discounts: list[_Discount] = Field(default_factory=list)
    storage: list[_StoragePrice] = Field(default_factory=list)
    load_balancers: list[_ClusterHourly] = Field(default_factory=list)
    cluster_fees: list[_ClusterHourly] = Field(default_factory=list)

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
                    raise invalid(("discounts", index, "applies_to"), msg, str(category))
        return self


def _unique(section: str, keys: list[object], what: str) -> None:
    first: dict[object, int] = {}
    for index, key in enumerate(keys):
        seen = first.setdefault(key, index)
        if seen != index:
            raise invalid((section, index), f"{what} {section}.{seen}")


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
    return _custom_prices(load_price_file(path, OverridesFile))


def load_overrides(path: Path) -> list[PriceOverride]:
    """Only the node price overrides of a custom price file."""
    return list(load_custom_prices(path).overrides)
