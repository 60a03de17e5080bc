"""Loading network transfer prices (``network_data/*.yaml``, one file per provider).

Validated at start-up: a file that fails stops the service with one line
``<file>:<line>: <field>: <reason>`` (a :class:`~kubeopt_costing.catalog.CatalogError`, the
same error the node price catalog raises). Prices are USD per the file's ``billing_unit``
(``GB`` = 10^9 bytes, ``GiB`` = 2^30 bytes), converted exactly to integer nano-USD.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from kubeopt_common.events import Provider
from kubeopt_common.yamlfile import YamlFileError, load_yaml_model
from kubeopt_costing.domain.money import usd_to_nano
from kubeopt_costing.domain.network import (
    ANY_GEOGRAPHY,
    GB,
    GIB,
    InternetTier,
    NetworkPrices,
    ProviderNetworkPrices,
)
from kubeopt_costing.price_files import CatalogError, Usd

PACKAGED_NETWORK_PRICES = Path(str(files("kubeopt_costing") / "network_data"))
UNIT_BYTES = {"GB": GB, "GiB": GIB}

Key = Annotated[str, StringConstraints(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _known(field: str, *, wildcard: bool = False) -> AfterValidator:
    """A reference to a name defined by an earlier field (``schedules`` or ``geographies``)."""

    def check(value: str, info: ValidationInfo) -> str:
        if field not in info.data or (wildcard and value == ANY_GEOGRAPHY):
            return value  # that field failed on its own and is reported first
        defined = info.data[field]
        names = set(defined.values()) if field == "geographies" else set(defined)
        if value not in names:
            msg = f"{value!r} is not defined in {field} (defined: {', '.join(sorted(names))})"
            raise ValueError(msg)
        return value

    return AfterValidator(check)


class _Tier(_Strict):
    up_to_units: int | None = Field(default=None, gt=0)
    per_unit: Usd


def _check_tiers(tiers: list[_Tier]) -> list[_Tier]:
    """Ascending upper bounds, the last tier open-ended."""
    if not tiers:
        raise ValueError("a schedule needs at least one tier")
    previous = 0
    for index, tier in enumerate(tiers):
        last = index == len(tiers) - 1
        if last and tier.up_to_units is not None:
            msg = f"the last tier ({index}) must be open-ended (no up_to_units)"
            raise ValueError(msg)
        if not last and (tier.up_to_units is None or tier.up_to_units <= previous):
            msg = f"tier {index}: up_to_units must be greater than {previous}"
            raise ValueError(msg)
        previous = tier.up_to_units or previous
    return tiers


class _CrossZone(_Strict):
    sender_per_unit: Usd
    receiver_per_unit: Usd


class _CrossRegion(_Strict):
    default_per_unit: Usd
    geographies: dict[Key, Key] = {}
    rates: dict[
        Annotated[str, _known("geographies")],
        dict[Annotated[str, _known("geographies", wildcard=True)], Usd],
    ] = {}
    pairs: dict[Key, dict[Key, Usd]] = {}

    @field_validator("pairs")
    @classmethod
    def _no_self_pair(cls, pairs: dict[str, dict[str, Usd]]) -> dict[str, dict[str, Usd]]:
        for src, targets in pairs.items():
            if src in targets:
                msg = f"{src} -> {src}: a region is not cross-region to itself"
                raise ValueError(msg)
        return pairs


class _InternetEgress(_Strict):
    schedules: dict[Key, Annotated[list[_Tier], AfterValidator(_check_tiers)]]
    regions: dict[Key, Annotated[str, _known("schedules")]] = {}
    default_schedule: Annotated[str, _known("schedules")]


class _Nat(_Strict):
    default_per_unit: Usd
    regions: dict[Key, Usd] = {}


class NetworkFile(_Strict):
    provider: Provider
    source: Annotated[str, StringConstraints(min_length=10)]
    as_of: Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}$")]
    currency: Annotated[str, StringConstraints(pattern=r"^USD$")]
    billing_unit: Literal["GB", "GiB"]
    cross_zone: _CrossZone
    cross_region: _CrossRegion
    internet_egress: _InternetEgress
    nat_gateway: _Nat


def _tiers(tiers: list[_Tier], unit_bytes: int) -> tuple[InternetTier, ...]:
    return tuple(
        InternetTier(
            None if t.up_to_units is None else t.up_to_units * unit_bytes,
            usd_to_nano(t.per_unit),
        )
        for t in tiers
    )


def _provider_prices(f: NetworkFile) -> ProviderNetworkPrices:
    unit = UNIT_BYTES[f.billing_unit]
    schedules = {name: _tiers(tiers, unit) for name, tiers in f.internet_egress.schedules.items()}
    region = f.cross_region
    return ProviderNetworkPrices(
        provider=f.provider,
        source=f.source,
        as_of=f.as_of,
        unit_bytes=unit,
        cross_zone_sender_nano_usd_per_unit=usd_to_nano(f.cross_zone.sender_per_unit),
        cross_zone_receiver_nano_usd_per_unit=usd_to_nano(f.cross_zone.receiver_per_unit),
        cross_region_default_nano_usd_per_unit=usd_to_nano(region.default_per_unit),
        geographies=dict(region.geographies),
        geography_rates={
            (src, dst): usd_to_nano(usd)
            for src, targets in region.rates.items()
            for dst, usd in targets.items()
        },
        pair_rates={
            (src, dst): usd_to_nano(usd)
            for src, targets in region.pairs.items()
            for dst, usd in targets.items()
        },
        internet_tiers={r: schedules[s] for r, s in f.internet_egress.regions.items()},
        internet_default_tiers=schedules[f.internet_egress.default_schedule],
        nat_default_nano_usd_per_unit=usd_to_nano(f.nat_gateway.default_per_unit),
        nat_by_region={r: usd_to_nano(usd) for r, usd in f.nat_gateway.regions.items()},
    )


def _provider_line(path: Path) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next((i for i, text in enumerate(lines, 1) if text.startswith("provider:")), 1)


def load_network_prices(directory: Path | None = None) -> NetworkPrices:
    """Every ``*.yaml`` in ``directory`` (default: the packaged ``network_data``).

    One file per provider, and every provider (on-prem included) must have one, so that a
    missing table fails at start-up rather than on the first flow.
    """
    directory = directory or PACKAGED_NETWORK_PRICES
    tables: dict[Provider, ProviderNetworkPrices] = {}
    for path in sorted(directory.glob("*.yaml")):
        try:
            parsed = load_yaml_model(path, NetworkFile)
        except YamlFileError as err:
            raise CatalogError(str(err)) from err
        if parsed.provider in tables:
            msg = f"{path}:{_provider_line(path)}: provider: {parsed.provider} is defined twice"
            raise CatalogError(msg)
        tables[parsed.provider] = _provider_prices(parsed)
    missing = [str(p) for p in Provider if p not in tables]
    if missing:
        msg = f"{directory}: no network prices for provider {', '.join(missing)}"
        raise CatalogError(msg)
    return NetworkPrices(tables)
