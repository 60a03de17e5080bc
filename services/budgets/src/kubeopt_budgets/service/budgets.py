"""Budget definitions: stored rows to validated specs and back, create, replace, delete."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_budgets import repository
from kubeopt_budgets.domain.budget import Basis, BudgetSpec, Threshold
from kubeopt_budgets.domain.periods import PeriodKind, PeriodSpec
from kubeopt_budgets.domain.scope import Scope
from kubeopt_budgets.errors import BudgetNameTakenError, BudgetNotFoundError
from kubeopt_budgets.models import Budget


def to_spec(row: Budget) -> BudgetSpec:
    """The validated budget of a stored row."""
    return BudgetSpec(
        id=row.id,
        name=row.name,
        scope=Scope(
            clusters=tuple(row.clusters),
            namespaces=tuple(row.namespaces),
            namespace_selector=row.namespace_selector,
        ),
        period=PeriodSpec(
            kind=PeriodKind(row.period_kind),
            week_start=row.week_start,
            month_day=row.month_day,
            custom_start=row.custom_start,
            custom_length_days=row.custom_length_days,
        ),
        time_zone=row.time_zone,
        amount_nano_usd=row.amount_nano_usd,
        currency=row.currency,
        thresholds=tuple(
            Threshold(int(str(t["pct"])), Basis(str(t["basis"]))) for t in row.thresholds
        ),
        labels=dict(row.labels),
        created_at=row.created_at,
    )


def _write(row: Budget, spec: BudgetSpec, *, now: datetime) -> None:
    row.name = spec.name
    row.clusters = list(spec.scope.clusters)
    row.namespaces = list(spec.scope.namespaces)
    row.namespace_selector = spec.scope.namespace_selector.strip()
    row.period_kind = spec.period.kind.value
    row.week_start = spec.period.week_start
    row.month_day = spec.period.month_day
    row.custom_start = spec.period.custom_start
    row.custom_length_days = spec.period.custom_length_days
    row.time_zone = spec.time_zone
    row.amount_nano_usd = spec.amount_nano_usd
    row.currency = spec.currency
    row.thresholds = [{"pct": t.pct, "basis": t.basis.value} for t in sorted(spec.thresholds)]
    row.labels = dict(spec.labels)
    row.updated_at = now


async def create_budget(session: AsyncSession, spec: BudgetSpec, *, now: datetime) -> BudgetSpec:
    """Store a new budget; :class:`BudgetNameTakenError` if its name is in use."""
    if await repository.name_taken(session, spec.name):
        raise BudgetNameTakenError(f"a budget named {spec.name!r} exists")
    row = Budget(id=spec.id, created_at=spec.created_at)
    _write(row, spec, now=now)
    await repository.add_budget(session, row)
    return to_spec(row)


async def get_budget(session: AsyncSession, id_or_name: str) -> BudgetSpec:
    row = await repository.find_budget(session, id_or_name)
    if row is None:
        raise BudgetNotFoundError(f"no budget with id or name {id_or_name!r}")
    return to_spec(row)


async def list_budgets(session: AsyncSession) -> list[BudgetSpec]:
    return [to_spec(row) for row in await repository.list_budgets(session)]


async def replace_budget(
    session: AsyncSession, id_or_name: str, spec: BudgetSpec, *, now: datetime
) -> BudgetSpec:
    """Replace a budget's definition, keeping its id and creation time.

    Crossings already emitted stay: they are keyed by period and threshold, so a changed
    period or threshold starts new keys rather than re-alerting old ones.
    """
    row = await repository.find_budget(session, id_or_name)
    if row is None:
        raise BudgetNotFoundError(f"no budget with id or name {id_or_name!r}")
    if await repository.name_taken(session, spec.name, except_id=row.id):
        raise BudgetNameTakenError(f"a budget named {spec.name!r} exists")
    _write(row, spec, now=now)
    await session.flush()
    return to_spec(row)


async def delete_budget(session: AsyncSession, id_or_name: str) -> None:
    row = await repository.find_budget(session, id_or_name)
    if row is None or not await repository.delete_budget(session, row.id):
        raise BudgetNotFoundError(f"no budget with id or name {id_or_name!r}")
