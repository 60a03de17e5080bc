"""Background work of the recommender: executing runs, scheduling them, verifying outcomes.

These are edges, like the bus handlers: each step is its own unit of work, and the events a step
returns are published after it commits. Prices are asked for between transactions, never while
rows are locked.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from sqlalchemy.exc import SQLAlchemyError

from kubeopt_common.db.database import Database
from kubeopt_common.db.session import unit_of_work
from kubeopt_common.events import Event
from kubeopt_common.telemetry.logging import get_logger
from kubeopt_recommender.confidence import ConfidenceModel
from kubeopt_recommender.domain.rightsizing import PolicyProfile
from kubeopt_recommender.prices import PRICED, PriceBook, PriceLookup
from kubeopt_recommender.repository import runs as runs_repo
from kubeopt_recommender.service import confidence_models, runs, verification
from kubeopt_recommender.service.drafts import Draft
from kubeopt_recommender.service.recommendations import save_drafts
from kubeopt_recommender.service.runs import RunContext, RunPlan, RunScope, Trigger

log = get_logger(__name__)
Publish = Callable[[Sequence[Event]], Awaitable[object]]


class ModelCache:
    """The active confidence model, reloaded when the active version changes."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._model: ConfidenceModel | None = None

    async def current(self) -> ConfidenceModel | None:
        async with unit_of_work(self._db.sessions) as session:
            version = await confidence_models.active_version(session)
            if version is None:
                self._model = None
            elif self._model is None or self._model.version != version:
                self._model = await confidence_models.load_active(session)
        return self._model


@dataclass(frozen=True)
class RunDefaults:
    context: RunContext
    chunk_size: int


class RunExecutor:
    """Executes runs as background tasks, one step (chunk) per transaction."""

    def __init__(
        self,
        db: Database,
        prices: PriceBook,
        models: ModelCache,
        defaults: RunDefaults,
        publish: Publish,
    ) -> None:
        self._db = db
        self._prices = prices
        self._models = models
        self._defaults = defaults
        self._publish = publish
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, run_id: str) -> None:
        task = asyncio.create_task(self.execute(run_id), name=f"recommender-run-{run_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def create_and_submit(
        self, scope: RunScope, *, policy: PolicyProfile, trigger: Trigger
    ) -> str:
        async with unit_of_work(self._db.sessions) as session:
            row = await runs.create_run(
                session, scope=scope, policy=policy.value, trigger=trigger, now=datetime.now(UTC)
            )
            run_id = row.id
        self.submit(run_id)
        return run_id

    async def execute(self, run_id: str) -> None:
        try:
            await self._execute(run_id)
        except Exception as err:
            log.exception("recommender.run_failed", run_id=run_id)
            async with unit_of_work(self._db.sessions) as session:
                await runs.finish_run(session, run_id, now=datetime.now(UTC), error=repr(err))

    async def _execute(self, run_id: str) -> None:
        async with unit_of_work(self._db.sessions) as session:
            plan = await runs.start_run(session, run_id, now=datetime.now(UTC))
        ctx = replace(
            runs.with_policy(self._defaults.context, plan.policy),
            model=await self._models.current(),
        )
        for chunk in runs.chunks(plan.containers, self._defaults.chunk_size):
            await self._rightsizing_step(plan, ctx, chunk)
        for chunk in runs.chunks(plan.workloads, self._defaults.chunk_size):
            await self._workload_step(plan, ctx, chunk)
        async with unit_of_work(self._db.sessions) as session:
            row = await runs.finish_run(session, run_id, now=datetime.now(UTC))
            log.info("recommender.run_completed", run_id=run_id, stats=row.stats)

    async def _rightsizing_step(
        self, plan: RunPlan, ctx: RunContext, chunk: Sequence[tuple[str, str, str, str, str]]
    ) -> None:
        async with unit_of_work(self._db.sessions) as session:
            inputs = await runs.load_container_inputs(session, chunk)
        prices = await runs.price_nodes(self._prices, [i.node for i in inputs if i.node])
        step = runs.rightsizing_step(inputs, prices, ctx)
        status = next((p.status for p in prices.values() if not p.priced), PRICED)
        await self._save(plan, ctx, step, processed=len(chunk), price_status=status)

    async def _workload_step(
        self, plan: RunPlan, ctx: RunContext, chunk: Sequence[tuple[str, str, str, str]]
    ) -> None:
        async with unit_of_work(self._db.sessions) as session:
            workloads = await runs.load_workload_inputs(session, chunk, plan.containers)
        nodes = [n for w in workloads for n in w.running_nodes()]
        prices = await runs.price_nodes(self._prices, nodes)
        step, candidates = runs.workload_step(workloads, prices, ctx, plan.scope.kinds)
        there = await runs.price_candidates(self._prices, candidates)
        step.drafts += runs.region_drafts(candidates, prices, there, ctx)
        status = next((p.status for p in prices.values() if not p.priced), PRICED)
        await self._save(plan, ctx, step, processed=len(chunk), price_status=status)

    async def _save(
        self,
        plan: RunPlan,
        ctx: RunContext,
        step: runs.StepResult,
        *,
        processed: int,
        price_status: str,
    ) -> None:
        by_cluster: dict[str, list[Draft]] = {}
        for draft in step.drafts:
            by_cluster.setdefault(draft.cluster, []).append(draft)
        events: list[Event] = []
        outcomes: Counter[str] = Counter()
        async with unit_of_work(self._db.sessions) as session:
            for cluster, drafts in sorted(by_cluster.items()):
                saved = await save_drafts(
                    session,
                    cluster,
                    drafts,
                    run_id=plan.run_id,
                    policy=plan.policy,
                    now=datetime.now(UTC),
                    rejected_cooldown=ctx.rejected_cooldown,
                )
                events += saved.events
                outcomes += saved.stats
            await runs.record_step(
                session,
                plan.run_id,
                processed=processed,
                outcomes=outcomes,
                skips=step.skips,
                examples=step.examples,
                price_status=price_status,
            )
        if events:
            await self._publish(events)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


class RunScheduler:
    """Starts a run every ``interval_s`` unless one was scheduled recently (by any replica)."""

    def __init__(
        self,
        db: Database,
        executor: RunExecutor,
        *,
        interval_s: float,
        policy: PolicyProfile,
        scope: RunScope | None = None,
    ) -> None:
        self._db = db
        self._executor = executor
        self._interval_s = interval_s
        self._policy = policy
        self._scope = scope or RunScope()

    async def tick(self) -> str | None:
        now = datetime.now(UTC)
        async with unit_of_work(self._db.sessions) as session:
            last = await runs_repo.latest_created_at(session, trigger=Trigger.SCHEDULE.value)
        if last is not None and (now - last).total_seconds() < self._interval_s / 2:
            return None
        return await self._executor.create_and_submit(
            self._scope, policy=self._policy, trigger=Trigger.SCHEDULE
        )

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self._interval_s)
            try:
                run_id = await self.tick()
            except SQLAlchemyError as err:
                log.warning("recommender.schedule_failed", error=repr(err))
            else:
                if run_id:
                    log.info("recommender.run_scheduled", run_id=run_id)


class Verifier:
    """Detects applied recommendations, verifies them after their window, ends snoozes."""

    def __init__(
        self,
        db: Database,
        prices: PriceBook,
        publish: Publish,
        *,
        policy: verification.VerificationPolicy,
        interval_s: float,
    ) -> None:
        self._db = db
        self._prices = prices
        self._publish = publish
        self._policy = policy
        self._interval_s = interval_s

    async def tick(self) -> int:
        """One round; returns how many recommendations changed state."""
        now = datetime.now(UTC)
        async with unit_of_work(self._db.sessions) as session:
            events: list[Event] = list(
                await verification.detect(session, policy=self._policy, now=now)
            )
            due = await verification.due(session, now=now)
        for item in due:
            prices = await runs.price_nodes(self._prices, item.nodes)
            async with unit_of_work(self._db.sessions) as session:
                event = await verification.verify(
                    session,
                    item,
                    prices.get(item.cluster, PriceLookup()),
                    policy=self._policy,
                    now=now,
                )
            if event is not None:
                events.append(event)
        if events:
            await self._publish(events)
        return len(events)

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except SQLAlchemyError as err:
                log.warning("recommender.verification_failed", error=repr(err))
            await asyncio.sleep(self._interval_s)
