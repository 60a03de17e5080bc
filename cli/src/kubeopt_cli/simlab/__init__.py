"""Simulated outcomes of recommendations: the confidence bootstrap and the quality benchmark.

A *lab* is a generated simulator fleet (seed + profile mix) with usage levels in absolute units,
so changing a container's requests and limits changes nothing but what limits do (OOM kills,
throttling) and where an HPA settles. The lab replays history into the recommender's own usage
profiles and observations (the same domain code the service runs), applies recommendations by
rewriting the scenario, and simulates forward to see what happened: OOM kills, throttled time,
and slack (request above the day's P95 usage).

The simulator is imported here (the CLI is the composition root), never by the recommender.
"""

from kubeopt_cli.simlab.fleets import HELD_OUT_MIX, TRAINING_MIXES, Mix, scenario_document
from kubeopt_cli.simlab.lab import (
    START,
    Lab,
    Target,
    TargetHistory,
    TargetOutcome,
    applied,
    summarize,
)
from kubeopt_cli.simlab.outcomes import bootstrap_rows, holds, our_drafts, outcome_rows

__all__ = [
    "HELD_OUT_MIX",
    "START",
    "TRAINING_MIXES",
    "Lab",
    "Mix",
    "Target",
    "TargetHistory",
    "TargetOutcome",
    "applied",
    "bootstrap_rows",
    "holds",
    "our_drafts",
    "outcome_rows",
    "scenario_document",
    "summarize",
]
