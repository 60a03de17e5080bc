"""The lifecycle: allowed transitions, and errors that name the current state."""

from __future__ import annotations

import pytest

from kubeopt_common.events import RecommendationState as S
from kubeopt_recommender.domain.lifecycle import IllegalTransitionError, check_transition


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.OPEN, S.APPROVED), (S.OPEN, S.REJECTED), (S.OPEN, S.SNOOZED), (S.APPROVED, S.APPLIED),
        (S.SNOOZED, S.OPEN), (S.APPLIED, S.VERIFIED), (S.APPLIED, S.REGRESSED),
        (S.OPEN, S.EXPIRED), (S.APPLIED, S.EXPIRED), (S.REJECTED, S.OPEN), (S.OPEN, S.APPLIED),
    ],
)  # fmt: skip
def test_allowed(current: S, target: S) -> None:
    check_transition("rec-1", current, target)


@pytest.mark.parametrize(
    ("current", "target"),
    [(S.REJECTED, S.APPLIED), (S.VERIFIED, S.OPEN), (S.EXPIRED, S.APPROVED), (S.OPEN, S.VERIFIED)],
)
def test_not_allowed_names_the_current_state(current: S, target: S) -> None:
    with pytest.raises(IllegalTransitionError) as caught:
        check_transition("rec-1", current, target)
    assert caught.value.current is current
    assert f"rec-1 is {current.value}" in str(caught.value)
    assert f"cannot become {target.value}" in str(caught.value)
