"""Dashboard accounts and the sessions door volunteers are assigned to."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DashboardAccount, DashboardRole, DoorAssignment


async def create(
    db: AsyncSession,
    *,
    username: str,
    role: DashboardRole,
    password_hash: str,
    display_name: str,
    now: datetime,
) -> DashboardAccount:
    account = DashboardAccount(
        username=username,
        role=role,
        password_hash=password_hash,
        display_name=display_name,
        created_at=now,
        updated_at=now,
    )
    db.add(account)
    await db.flush()
    return account


async def by_username(db: AsyncSession, username: str) -> DashboardAccount | None:
    query = select(DashboardAccount).where(DashboardAccount.username == username)
    return (await db.execute(query)).scalar_one_or_none()


async def get(db: AsyncSession, account_id: int) -> DashboardAccount | None:
    return await db.get(DashboardAccount, account_id)


async def listing(db: AsyncSession) -> Sequence[DashboardAccount]:
    query = select(DashboardAccount).order_by(DashboardAccount.username)
    return (await db.execute(query)).scalars().all()


async def assigned_sessions(db: AsyncSession, account_id: int) -> set[int]:
    """Ids of the help sessions this account may check people in at."""
    query = select(DoorAssignment.session_id).where(DoorAssignment.account_id == account_id)
    return {int(i) for i in (await db.execute(query)).scalars().all()}


async def assign(db: AsyncSession, account_id: int, session_id: int) -> bool:
    """Assign; False when it already was."""
    if await db.get(DoorAssignment, (account_id, session_id)) is not None:
        return False
    db.add(DoorAssignment(account_id=account_id, session_id=session_id))
    await db.flush()
    return True


async def unassign(db: AsyncSession, account_id: int, session_id: int) -> bool:
    result = await db.execute(
        delete(DoorAssignment).where(
            DoorAssignment.account_id == account_id, DoorAssignment.session_id == session_id
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
