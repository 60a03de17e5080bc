"""Splitting an amount over bases with floors, the rest to idle (shared by cost and carbon)."""

from __future__ import annotations

from collections.abc import Sequence


def allocate(total_nano_usd: int, bases: Sequence[int], capacity: int) -> tuple[list[int], int]:
    """Split ``total_nano_usd`` (the cost of ``capacity`` units) over ``bases``.

    Returns (cost per basis, idle). Each share is ``total × basis / max(capacity, Σ bases)``
    floored, so over-committed nodes are scaled down and Σ shares + idle == total, idle ≥ 0.
    A node with no capacity of a resource (e.g. no GPU) allocates nothing.
    """
    denominator = max(capacity, sum(bases))
    if denominator <= 0 or total_nano_usd <= 0:
        return [0] * len(bases), max(total_nano_usd, 0)
    shares = [total_nano_usd * basis // denominator for basis in bases]
    return shares, total_nano_usd - sum(shares)


def scaled(basis: int, capacity: int, total_basis: int) -> int:
    """The basis after scaling an over-committed node down to its capacity."""
    return basis if total_basis <= capacity else basis * capacity // total_basis
