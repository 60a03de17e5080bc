"""Optimization runs: scope → per-container rightsizing → per-workload spot and carbon.

A run is executed in steps by the run executor (the edge owns each step's transaction): load a
chunk's inputs, ask costing for prices (outside any transaction), build drafts with the domain,
score them, save them. Progress and stats are written after every step, so ``GET /v1/runs/{id}``
shows how far it is and, per reason, how many targets got no recommendation.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_common.events import Provider, RecommendationKind
from kubeopt_recommender.confidence import ConfidenceModel
from kubeopt_recommender.domain.carbon import CarbonCatalog
from kubeopt_recommender.domain.observations import ContainerKey
from kubeopt_recommender.domain.rightsizing import PolicyProfile, RightsizingPolicy, Skipped
from kubeopt_recommender.models import RunRow
from kubeopt_recommender.prices import PRICED, PriceBook, PriceLookup
from kubeopt_recommender.repository import list_observations
from kubeopt_recommender.repository import runs as runs_repo
from kubeopt_recommender.repository.nodes import StoredNode, get_nodes
from kubeopt_recommender.repository.observations import get_observations
from kubeopt_recommender.repository.profiles import load_profiles
from kubeopt_recommender.repository.workloads import get_workloads
from kubeopt_recommender.service.drafts import (
    ContainerInputs,
    Draft,
    rightsizing_draft,
    with_confidence,
)
from kubeopt_recommender.service.workload_drafts import (
    RegionCandidate,
    Skip,
    WorkloadInputs,
    carbon_region_draft,
    carbon_shift_draft,
    region_candidate,
    spot_draft,
)

ALL_KINDS = tuple(RecommendationKind)
WorkloadRef = tuple[str, str, str, str]
"""(cluster, namespace, kind, name)."""
NOT_APPLICABLE = "not_batch"
"""Carbon shifts and region moves are for batch workloads; others are not counted as skipped."""


class RunState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"


class Trigger(StrEnum):
    API = "api"
    SCHEDULE = "schedule"


class RunNotFoundError(LookupError):
    def __init__(self, run_id: str) -> None:
        super().__init__(f"no run {run_id!r}")


@dataclass(frozen=True, slots=True)
class RunScope:
    cluster: str | None = None
    namespace: str | None = None
    kinds: tuple[RecommendationKind, ...] = ALL_KINDS

    def to_json(self) -> dict[str, Any]:
        return {
            "cluster": self.cluster,
            "namespace": self.namespace,
            "kinds": [k.value for k in self.kinds],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunScope:
        kinds = tuple(
            RecommendationKind(k) for k in data.get("kinds", [k.value for k in ALL_KINDS])
        )
        return cls(data.get("cluster"), data.get("namespace"), kinds)


@dataclass(frozen=True)
class RunContext:
    """Everything a run's steps need besides the database."""

    policy: RightsizingPolicy
    catalog: CarbonCatalog
    model: ConfidenceModel | None
    min_shift_reduction: float
    min_region_reduction: float
    rejected_cooldown: timedelta


def empty_stats() -> dict[str, Any]:
    return {"outcomes": {}, "skipped": {}, "skip_examples": {}, "price_status": PRICED}


async def create_run(
    session: AsyncSession, *, scope: RunScope, policy: str, trigger: Trigger, now: datetime
) -> RunRow:
    row = RunRow(
        id=f"run-{uuid.uuid4().hex[:12]}",
        trigger=trigger.value,
        policy=policy,
        scope=scope.to_json(),
        state=RunState.PENDING.value,
        created_at=now,
        total=0,
        processed=0,
        stats=empty_stats(),
        error="",
    )
    session.add(row)
    await session.flush()
    return row


async def get_run(session: AsyncSession, run_id: str) -> RunRow:
    row = await runs_repo.get(session, run_id)
    if row is None:
        raise RunNotFoundError(run_id)
    return row


@dataclass(frozen=True)
class RunPlan:
    run_id: str
    policy: str
    scope: RunScope
    containers: list[ContainerKey]
    workloads: list[WorkloadRef]


async def start_run(session: AsyncSession, run_id: str, *, now: datetime) -> RunPlan:
    """Mark the run running and list the containers and workloads in its scope."""
    row = await get_run(session, run_id)
    scope = RunScope.from_json(row.scope)
    histories = await list_observations(
        session, limit=None, cluster=scope.cluster, namespace=scope.namespace
    )
    containers = [h.key for h in histories] if RecommendationKind.RIGHTSIZING in scope.kinds else []
    workload_kinds = set(scope.kinds) - {RecommendationKind.RIGHTSIZING}
    workloads = sorted({k[:4] for k in (h.key for h in histories)}) if workload_kinds else []
    row.state = RunState.RUNNING.value
    row.started_at = now
    row.total = len(containers) + len(workloads)
    row.stats = {**empty_stats(), "containers": len(containers), "workloads": len(workloads)}
    return RunPlan(run_id, row.policy, scope, containers, workloads)


def _merge_stats(
    stats: dict[str, Any],
    outcomes: Counter[str],
    skips: Counter[str],
    examples: dict[str, str],
    price_status: str,
) -> dict[str, Any]:
    """``stats`` plus one step's counts; the first example of each skip reason is kept."""
    merged = {**stats}
    merged["outcomes"] = dict(Counter(stats.get("outcomes", {})) + outcomes)
    merged["skipped"] = dict(Counter(stats.get("skipped", {})) + skips)
    known = dict(stats.get("skip_examples", {}))
    for reason, example in examples.items():
        known.setdefault(reason, example)
    merged["skip_examples"] = known
    if price_status != PRICED:
        merged["price_status"] = price_status
    return merged


async def record_step(
    session: AsyncSession,
    run_id: str,
    *,
    processed: int,
    outcomes: Counter[str],
    skips: Counter[str],
    examples: dict[str, str],
    price_status: str,
) -> None:
    row = await get_run(session, run_id)
    row.processed += processed
    row.stats = _merge_stats(row.stats, outcomes, skips, examples, price_status)


async def finish_run(
    session: AsyncSession, run_id: str, *, now: datetime, error: str = ""
) -> RunRow:
    row = await get_run(session, run_id)
    row.state = (RunState.FAILED if error else RunState.COMPLETED).value
    row.error = error
    row.finished_at = now
    return row


# ----------------------------------------------------------------------------- inputs


async def _nodes_by_cluster(
    session: AsyncSession, names: dict[str, set[str]]
) -> dict[str, dict[str, StoredNode]]:
    return {cluster: await get_nodes(session, cluster, n) for cluster, n in names.items()}


async def load_container_inputs(
    session: AsyncSession, keys: Sequence[ContainerKey]
) -> list[ContainerInputs]:
    histories = await get_observations(session, keys)
    profiles = await load_profiles(session, keys)
    by_cluster: dict[str, set[tuple[str, str, str]]] = defaultdict(set)
    node_names: dict[str, set[str]] = defaultdict(set)
    for h in histories.values():
        by_cluster[h.key[0]].add(h.key[1:4])
        node_names[h.key[0]].add(h.node)
    facts = {c: await get_workloads(session, c, ks) for c, ks in by_cluster.items()}
    nodes = await _nodes_by_cluster(session, node_names)
    out = []
    for key in keys:
        found = histories.get(key)
        if found is None:
            continue
        stored = facts[key[0]].get(key[1:4])
        out.append(
            ContainerInputs(
                history=found,
                profile=profiles.get(key),
                facts=stored.facts if stored and stored.vanished_at is None else None,
                node=nodes[key[0]].get(found.node),
            )
        )
    return out


async def price_nodes(book: PriceBook, nodes: Iterable[StoredNode]) -> dict[str, PriceLookup]:
    """One lookup per cluster for the distinct ``nodes`` (as they run now)."""
    grouped: dict[tuple[str, Provider, str], dict[str, StoredNode]] = defaultdict(dict)
    for n in nodes:
        grouped[(n.cluster, n.provider, n.region)][n.node.name] = n
    out: dict[str, PriceLookup] = {}
    for (cluster, provider, region), found in sorted(grouped.items()):
        lookup = await book.quotes(
            cluster=cluster,
            provider=provider,
            region=region,
            nodes=[found[name].node for name in sorted(found)],
        )
        merged = out.setdefault(cluster, PriceLookup())
        merged.quotes.update(lookup.quotes)
        if not lookup.priced:
            merged.status = lookup.status
    return out


@dataclass
class StepResult:
    drafts: list[Draft] = field(default_factory=list)
    skips: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def skip(self, reason: str, target: str, detail: str) -> None:
        self.skips[reason] += 1
        if reason not in self.examples:
            self.examples[reason] = f"{target}: {detail}" if detail else target


def rightsizing_step(
    inputs: Sequence[ContainerInputs], prices: dict[str, PriceLookup], ctx: RunContext
) -> StepResult:
    """Drafts for a chunk of containers, scored by the model when there is one."""
    result = StepResult()
    for item in inputs:
        cluster = item.history.key[0]
        made = rightsizing_draft(
            item,
            policy=ctx.policy,
            prices=prices.get(cluster, PriceLookup()),
            catalog=ctx.catalog,
        )
        if isinstance(made, Skipped):
            result.skip(made.reason.value, "/".join(item.history.key[1:]), made.detail)
        else:
            result.drafts.append(made)
    if ctx.model is not None and result.drafts:
        scores = ctx.model.predict([d.features for d in result.drafts])
        result.drafts = [
            with_confidence(d, p, ctx.model.source)
            for d, p in zip(result.drafts, scores, strict=True)
        ]
    return result


async def load_workload_inputs(
    session: AsyncSession, refs: Sequence[WorkloadRef], containers: Sequence[ContainerKey]
) -> list[WorkloadInputs]:
    """Inputs of each workload: its facts, its containers' inputs, the nodes they run on."""
    wanted = set(refs)
    keys = [k for k in containers if k[:4] in wanted]
    inputs = await load_container_inputs(session, keys)
    by_ref: dict[WorkloadRef, list[ContainerInputs]] = defaultdict(list)
    for item in inputs:
        by_ref[item.history.key[:4]].append(item)
    out: list[WorkloadInputs] = []
    for ref in refs:
        cluster, namespace, kind, name = ref
        items = by_ref.get(ref, [])
        facts = next((i.facts for i in items if i.facts is not None), None)
        if facts is None:
            continue
        names = set(facts.nodes) | {i.history.node for i in items}
        nodes = await get_nodes(session, cluster, names)
        out.append(WorkloadInputs(cluster, namespace, kind, name, facts, items, nodes))
    return out


def _label(w: WorkloadInputs) -> str:
    return f"{w.namespace}/{w.kind}/{w.name}"


def workload_step(
    workloads: Sequence[WorkloadInputs],
    prices: dict[str, PriceLookup],
    ctx: RunContext,
    kinds: Sequence[RecommendationKind],
) -> tuple[StepResult, list[tuple[WorkloadInputs, RegionCandidate]]]:
    """Spot and carbon-shift drafts; region candidates still to be priced in their region."""
    result = StepResult()
    candidates: list[tuple[WorkloadInputs, RegionCandidate]] = []
    for w in workloads:
        made: list[Draft | Skip] = []
        if RecommendationKind.SPOT in kinds:
            made.append(spot_draft(w, prices=prices.get(w.cluster, PriceLookup())))
        if RecommendationKind.CARBON_SHIFT in kinds:
            made.append(
                carbon_shift_draft(w, catalog=ctx.catalog, min_reduction=ctx.min_shift_reduction)
            )
        if RecommendationKind.CARBON_REGION in kinds:
            found = region_candidate(w, catalog=ctx.catalog, min_reduction=ctx.min_region_reduction)
            if isinstance(found, Skip):
                made.append(found)
            else:
                candidates.append((w, found))
        for item in made:
            if isinstance(item, Skip):
                if item.reason != NOT_APPLICABLE:
                    result.skip(item.reason, _label(w), item.detail)
            else:
                result.drafts.append(item)
    return result, candidates


async def price_candidates(
    book: PriceBook, candidates: Sequence[tuple[WorkloadInputs, RegionCandidate]]
) -> dict[tuple[str, str, str], PriceLookup]:
    """Quotes of each candidate's node as if it ran in the candidate region."""
    out: dict[tuple[str, str, str], PriceLookup] = {}
    for w, c in candidates:
        key = (w.cluster, c.region, c.node.node.name)
        if key not in out:
            out[key] = await book.quotes(
                cluster=w.cluster, provider=c.node.provider, region=c.region, nodes=[c.node.node]
            )
    return out


def region_drafts(
    candidates: Sequence[tuple[WorkloadInputs, RegionCandidate]],
    here: dict[str, PriceLookup],
    there: dict[tuple[str, str, str], PriceLookup],
    ctx: RunContext,
) -> list[Draft]:
    out = []
    for w, c in candidates:
        elsewhere = there.get((w.cluster, c.region, c.node.node.name), PriceLookup())
        out.append(
            carbon_region_draft(
                w, c, here=here.get(w.cluster, PriceLookup()), there=elsewhere, catalog=ctx.catalog
            )
        )
    return out


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def with_policy(ctx: RunContext, profile: str) -> RunContext:
    """``ctx`` with the run's own rightsizing profile."""
    return replace(ctx, policy=replace(ctx.policy, profile=PolicyProfile(profile)))
