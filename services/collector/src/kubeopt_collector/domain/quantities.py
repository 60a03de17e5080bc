"""Kubernetes resource quantities (``250m``, ``1.5``, ``512Mi``, ``1G``, ``1e3``) as integers.

CPU becomes millicores and memory becomes bytes. Both round *up* to the next whole unit, as
Kubernetes does (``resource.Quantity.MilliValue``/``Value``): ``0.0001`` CPU is 1 millicore.
Quantities are parsed once, at the collector edge; everything downstream is integers.

Grammar (``k8s.io/apimachinery/pkg/api/resource``)::

    quantity := number [suffix]
    number   := digits | digits "." [digits] | "." digits
    suffix   := binarySI (Ki Mi Gi Ti Pi Ei) | decimalSI (n u m "" k M G T P E)
              | decimalExponent (e|E [+-] digits)

A sign is accepted by Kubernetes but a request, limit or usage can never be negative, so a
negative quantity is rejected here.
"""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, Decimal

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {
    "n": Decimal("1e-9"),
    "u": Decimal("1e-6"),
    "m": Decimal("1e-3"),
    "": Decimal(1),
    "k": Decimal("1e3"),
    "M": Decimal("1e6"),
    "G": Decimal("1e9"),
    "T": Decimal("1e12"),
    "P": Decimal("1e15"),
    "E": Decimal("1e18"),
}
_QUANTITY_RE = re.compile(
    r"^(?P<sign>[+-]?)(?P<number>[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?:(?P<exp>[eE][+-]?[0-9]+)|(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$"
)
# Larger than any real node (2**80 bytes, 2**50 cores); stops "1e999999" from hanging Decimal.
_MAX_EXPONENT = 30

QuantityInput = str | int | float


def _as_text(value: QuantityInput, *, what: str) -> str:
    if isinstance(value, bool):
        msg = f"invalid {what} {value!r}: a boolean is not a quantity"
        raise ValueError(msg)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # repr() round-trips the float exactly as written in YAML (0.1 -> "0.1").
        return repr(value)
    return value.strip()


def parse_quantity(value: QuantityInput, *, what: str = "quantity") -> Decimal:
    """The exact value of a Kubernetes quantity in base units (cores or bytes).

    Raises ``ValueError`` naming ``value`` (as ``invalid <what> ...``) when it is not a valid,
    non-negative quantity.
    """
    text = _as_text(value, what=what)
    match = _QUANTITY_RE.match(text)
    if match is None:
        msg = (
            f"invalid {what} {text!r}: expected a number with an optional suffix "
            "(m, k, M, G, T, Ki, Mi, Gi, Ti, e.g. '250m', '0.5', '512Mi', '1G')"
        )
        raise ValueError(msg)
    if match["sign"] == "-" and Decimal(match["number"]) != 0:
        msg = f"invalid {what} {text!r}: must not be negative"
        raise ValueError(msg)
    number = Decimal(match["number"])
    if match["exp"] is not None:
        exponent = int(match["exp"][1:])
        if abs(exponent) > _MAX_EXPONENT:
            msg = f"invalid {what} {text!r}: exponent {exponent} is out of range"
            raise ValueError(msg)
        return number.scaleb(exponent)
    suffix = match["suffix"] or ""
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    return number * _DECIMAL[suffix]


def _ceil_int(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def parse_cpu_millicores(value: QuantityInput) -> int:
    """CPU quantity → millicores, rounded up (``"250m"`` → 250, ``"1"`` → 1000, ``0.5`` → 500)."""
    return _ceil_int(parse_quantity(value, what="cpu quantity") * 1000)


def parse_memory_bytes(value: QuantityInput) -> int:
    """Memory quantity → bytes, rounded up (``"512Mi"`` → 536870912, ``"1G"`` → 10**9)."""
    return _ceil_int(parse_quantity(value, what="memory quantity"))


def format_cpu(millicores: int) -> str:
    """Canonical CPU quantity: whole cores as ``"2"``, otherwise ``"250m"``."""
    if millicores % 1000 == 0:
        return str(millicores // 1000)
    return f"{millicores}m"


def format_memory(memory_bytes: int) -> str:
    """Canonical memory quantity with the largest exact binary suffix (``"512Mi"``, ``"3Gi"``)."""
    for suffix, factor in sorted(_BINARY.items(), key=lambda item: -item[1]):
        if memory_bytes >= factor and memory_bytes % factor == 0:
            return f"{memory_bytes // factor}{suffix}"
    return str(memory_bytes)
