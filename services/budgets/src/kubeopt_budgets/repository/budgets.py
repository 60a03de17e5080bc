"""SQL of budget definitions. Never commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from kubeopt_budgets.models import Budget


async def add_budget(session: AsyncSession, budget: Budget) -> None:
    session.add(budget)
    await session.flush()


async def find_budget(session: AsyncSession, id_or_name: str) -> Budget | None:
    """The budget whose id, else whose name, is ``id_or_name``."""
    result = await session.execute(
        select(Budget).where(or_(Budget.id == id_or_name, Budget.name == id_or_name))
    )
    found = {b.id: b for b in result.scalars().all()}
    return found.get(id_or_name) or next(iter(found.values()), None)


async def name_taken(session: AsyncSession, name: str, *, except_id: str | None = None) -> bool:
    stmt = select(Budget.id).where(Budget.name == name)
    if except_id is not None:
        stmt = stmt.where(Budget.id != except_id)
    return (await session.execute(stmt.limit(1))).first() is not None


async def list_budgets(session: AsyncSession) -> Sequence[Budget]:
    """Every budget, by name."""
    return (await session.execute(select(Budget).order_by(Budget.name))).scalars().all()


async def lock_budgets(session: AsyncSession, ids: Sequence[str]) -> set[str]:
    """Lock the budgets ``ids`` until the transaction ends (PostgreSQL ``FOR UPDATE``); returns
    the ids that still exist.

    Evaluations of one budget take turns: the later one waits for the earlier commit and then
    reads every spend row committed so far, so two replicas can never both miss a crossing
    that their spend only reaches together. Locks are taken in id order (no deadlock).
    SQLite serialises writers anyway and ignores the clause.
    """
    if not ids:
        return set()
    stmt = select(Budget.id).where(Budget.id.in_(sorted(ids))).order_by(Budget.id).with_for_update()
    return {row[0] for row in (await session.execute(stmt)).all()}


async def delete_budget(session: AsyncSession, budget_id: str) -> bool:
    result = await session.execute(delete(Budget).where(Budget.id == budget_id))
    return bool(getattr(result, "rowcount", 0))
