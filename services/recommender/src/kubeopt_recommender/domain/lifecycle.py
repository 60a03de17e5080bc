"""The recommendation lifecycle: which state may follow which (pure).

``open → approved | rejected | snoozed → applied → verified | regressed``, with ``expired``
reachable from every live state (the workload vanished, or a newer run superseded it). A
snoozed recommendation comes back to ``open``; ``applied`` may also be reached straight from
``open`` or ``snoozed`` when the inventory shows the change was made without an approval here.
"""

from __future__ import annotations

from kubeopt_common.events import RecommendationState as S

ALLOWED: dict[S, frozenset[S]] = {
    S.OPEN: frozenset({S.APPROVED, S.REJECTED, S.SNOOZED, S.APPLIED, S.EXPIRED}),
    S.APPROVED: frozenset({S.APPLIED, S.REJECTED, S.EXPIRED}),
    S.SNOOZED: frozenset({S.OPEN, S.APPROVED, S.REJECTED, S.APPLIED, S.EXPIRED}),
    S.REJECTED: frozenset({S.OPEN}),
    S.APPLIED: frozenset({S.VERIFIED, S.REGRESSED, S.EXPIRED}),
    S.VERIFIED: frozenset(),
    S.REGRESSED: frozenset(),
    S.EXPIRED: frozenset(),
}
ACTIVE = frozenset({S.OPEN, S.APPROVED, S.SNOOZED})
"""States a re-run may still act on: the recommendation has not been applied or closed."""
LIVE = ACTIVE | {S.APPLIED}
"""States that expire when the workload vanishes."""


class IllegalTransitionError(ValueError):
    """``current → target`` is not allowed; the message names both states."""

    def __init__(self, recommendation_id: str, current: S, target: S) -> None:
        self.recommendation_id = recommendation_id
        self.current = current
        self.target = target
        allowed = ", ".join(sorted(s.value for s in ALLOWED[current])) or "none (final state)"
        super().__init__(
            f"recommendation {recommendation_id} is {current.value}; it cannot become "
            f"{target.value} (allowed from {current.value}: {allowed})"
        )


def check_transition(recommendation_id: str, current: S, target: S) -> None:
    """Raise :class:`IllegalTransitionError` unless ``current → target`` is allowed."""
    if target not in ALLOWED[current]:
        raise IllegalTransitionError(recommendation_id, current, target)
