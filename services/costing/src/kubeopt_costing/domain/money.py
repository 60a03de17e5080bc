"""Exact money: integer nano-USD, converted to Decimal only at the edges."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

NANO_PER_USD: Final = 1_000_000_000


def usd_to_nano(usd: Decimal) -> int:
    """Exact conversion; raises if ``usd`` has more than nine decimal places."""
    nano = usd * NANO_PER_USD
    if nano != nano.to_integral_value():
        msg = f"{usd} USD has more precision than one nano-dollar"
        raise ValueError(msg)
    return int(nano)


def nano_to_usd(nano: int) -> Decimal:
    """The exact decimal USD amount of ``nano`` nano-USD (nine decimal places)."""
    return Decimal(nano).scaleb(-9).quantize(Decimal("0.000000001"))
