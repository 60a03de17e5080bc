"""Spot candidacy: a score with a reason per check."""

from __future__ import annotations

from typing import Any

import pytest

from kubeopt_recommender.domain.spot import CheckStatus, SpotInputs, assess
from kubeopt_recommender.domain.workloads import WorkloadFacts


def facts(**overrides: object) -> WorkloadFacts:
    base: dict[str, object] = {
        "kind": "Deployment",
        "replicas": 4,
        "pdb_max_unavailable": 1,
        "spec_seen": True,
        "termination_grace_period_s": 30,
        "max_surge_pct": 25,
    }
    return WorkloadFacts(**{**base, **overrides})  # type: ignore[arg-type]


def test_a_replicated_stateless_deployment_is_a_candidate() -> None:
    result = assess(SpotInputs(facts(), "aws", zones=3))
    assert result.candidate
    assert result.score == 1.0
    assert all(c.status is CheckStatus.PASS for c in result.checks)


@pytest.mark.parametrize(
    ("overrides", "check"),
    [
        ({"kind": "StatefulSet"}, "controller"),
        ({"kind": "Pod"}, "controller"),
        ({"volume_kinds": frozenset({"host_path"})}, "storage"),
        ({"volume_kinds": frozenset({"local_pv"})}, "storage"),
    ],
)
def test_blockers(overrides: dict[str, Any], check: str) -> None:
    result = assess(SpotInputs(facts(**overrides), "aws", zones=3))
    assert result.score == 0.0
    assert not result.candidate
    assert [c.name for c in result.blockers] == [check]


def test_a_single_replica_is_not_a_candidate() -> None:
    result = assess(SpotInputs(facts(replicas=1), "aws", zones=1))
    assert not result.candidate
    assert any("outage" in r for r in result.reasons())


def test_grace_period_is_judged_against_the_providers_notice() -> None:
    slow = facts(termination_grace_period_s=60)
    aws = {c.name: c for c in assess(SpotInputs(slow, "aws", zones=3)).checks}
    gcp = {c.name: c for c in assess(SpotInputs(slow, "gcp", zones=3)).checks}
    assert aws["grace_period"].status is CheckStatus.PASS  # 60 + 10 <= 120 s
    assert gcp["grace_period"].status is CheckStatus.WARN  # 60 + 10 > 30 s
    assert "30 s interruption notice" in gcp["grace_period"].detail


def test_warnings_multiply() -> None:
    risky = facts(pdb_max_unavailable=None, volume_kinds=frozenset({"empty_dir"}))
    result = assess(SpotInputs(risky, "aws", zones=1))
    assert result.score == pytest.approx(0.8 * 0.7 * 0.8)
    assert not result.candidate  # 0.448 < 0.5: three warnings together are too many


def test_long_batch_runs_are_penalised() -> None:
    job = facts(kind="CronJob", replicas=1, schedule="0 2 * * *")
    short = assess(SpotInputs(job, "aws", zones=1, job_duration_s=600))
    long = assess(SpotInputs(job, "aws", zones=1, job_duration_s=3 * 3600))
    assert short.score > long.score
