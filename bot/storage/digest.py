"""Queries for the weekly digest: a handful of bulk reads per run, and the exactly-once insert.

A digest run reads everything it needs for all its recipients at once (trajectories of the
coaches, counts per region, the unanswered questions, the announcements of the week and who
received them), so rendering thousands of personal digests costs a few queries, not a few per
person. Writing is `insert … on conflict do nothing` on the unique (announcement, user) pair of
`deliveries`, on SQLite and PostgreSQL alike: a repeated or concurrent run never adds a second
row for anyone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import AnnouncementKind, AnnouncementStatus, DeliveryStatus, TrajectoryStatus
from bot.storage.models import (
    Announcement,
    Base,
    Delivery,
    Trajectory,
    User,
    table_of,
)
from bot.storage.questions import AskedRow, QuestionRepo

IN_LIST_MAX = 500  # more coaches than this: read all and filter (no huge IN lists)


@dataclass(frozen=True)
class TrajectoryRow:
    """What a coach's digest shows of one trajectory (no candidate data beyond the pseudonym)."""

    id: int
    coach_id: int
    reference: str
    pseudonym: str | None
    status: str
    placement_date: date | None
    end_date: date | None
    updated_at: datetime


@dataclass(frozen=True)
class AnnouncementRow:
    id: int
    text: str
    finished_at: datetime


@dataclass(frozen=True)
class RegionWeek:
    """What happened in one region in the week: registered, placed, ended."""

    new: int = 0
    placed: int = 0
    ended: int = 0


def _count_if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def insert_for(dialect: str, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
    """An INSERT that can say ON CONFLICT DO NOTHING, for the database in use."""
    if dialect == "postgresql":
        return postgresql.insert(table_of(model))
    if dialect == "sqlite":
        return sqlite.insert(table_of(model))
    raise RuntimeError(f"the digest needs SQLite or PostgreSQL, not {dialect!r}")


def delivery_insert(dialect: str) -> Any:
    """Pending delivery rows; an existing (announcement, user) row is left alone, and only
    the users.id of the rows really inserted come back."""
    return (
        insert_for(dialect, Delivery)
        .on_conflict_do_nothing(index_elements=["announcement_id", "user_id"])
        .returning(table_of(Delivery).c.user_id)
    )


class DigestRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    # -- who -------------------------------------------------------------------------------

    async def staff(self, admins: Collection[int]) -> Sequence[User]:
        """Everyone with a role, and the admins (HOOFDZAAK_ADMINS) who have a users row."""
        condition: ColumnElement[bool] = User.role.is_not(None)
        if admins:
            condition = or_(condition, User.telegram_id.in_(list(admins)))
        stmt = select(User).where(condition).order_by(User.id)
        return (await self.session.execute(stmt)).scalars().all()

    # -- what ------------------------------------------------------------------------------

    async def coach_trajectories(
        self, coach_ids: Collection[int], first: date, last: date
    ) -> dict[int, list[TrajectoryRow]]:
        """Per coach: the trajectories that have not ended, and those placed or ended between
        `first` and `last` (inclusive)."""
        if not coach_ids:
            return {}
        t = Trajectory
        stmt = select(
            t.id,
            t.coach_id,
            t.reference,
            t.pseudonym,
            t.status,
            t.placement_date,
            t.end_date,
            t.updated_at,
        ).where(
            t.coach_id.is_not(None),
            or_(
                t.status != TrajectoryStatus.ENDED,
                t.placement_date.between(first, last),
                t.end_date.between(first, last),
            ),
        )
        if len(coach_ids) <= IN_LIST_MAX:  # a few coaches: let the database pick them
            stmt = stmt.where(t.coach_id.in_(list(coach_ids)))
        wanted = set(coach_ids)
        out: dict[int, list[TrajectoryRow]] = defaultdict(list)
        for tid, coach, ref, pseudonym, status, placed, ended, updated in (
            await self.session.execute(stmt)
        ).tuples():
            if coach in wanted:
                out[coach].append(
                    TrajectoryRow(tid, coach, ref, pseudonym, status, placed, ended, updated)
                )
        return out

    async def region_weeks(self, since: datetime, until: datetime) -> dict[str, RegionWeek]:
        """Per region: registered (created_at), placed and ended in [since, until]."""
        t = Trajectory
        first, last = since.date(), until.date()
        dates_in = and_(t.placement_date >= first, t.placement_date < last)
        ended_in = and_(t.end_date >= first, t.end_date < last)
        stmt = (
            select(
                t.region,
                _count_if(and_(t.created_at >= since, t.created_at <= until)),
                _count_if(dates_in),
                _count_if(ended_in),
            )
            .where(
                or_(
                    and_(t.created_at >= since, t.created_at <= until),
                    dates_in,
                    ended_in,
                )
            )
            .group_by(t.region)
        )
        return {
            row[0]: RegionWeek(int(row[1]), int(row[2]), int(row[3]))
            for row in (await self.session.execute(stmt)).all()
        }

    async def unanswered(self, since: datetime, until: datetime) -> list[AskedRow]:
        """Questions in [since, until] the bot could not answer, or whose answer got 👎 or
        "geen van deze", not yet handled (the same rule as /onbeantwoord)."""
        return await QuestionRepo(self.session).unanswered(since, until=until)

    async def new_users(self, since: datetime, until: datetime) -> dict[str, int]:
        """Staff (not demo) first seen in [since, until], per role."""
        stmt = (
            select(User.role, func.count(User.id))
            .where(
                User.role.is_not(None),
                User.demo.is_(False),
                User.first_seen >= since,
                User.first_seen <= until,
            )
            .group_by(User.role)
        )
        return {str(role): int(n) for role, n in (await self.session.execute(stmt)).all()}

    async def announcements(self, since: datetime, until: datetime) -> list[AnnouncementRow]:
        """Announcements (not digests) that finished sending in [since, until], oldest first."""
        a = Announcement
        stmt = (
            select(a.id, a.text, a.finished_at)
            .where(
                a.kind == AnnouncementKind.ANNOUNCEMENT,
                a.status == AnnouncementStatus.DONE,
                a.finished_at >= since,
                a.finished_at <= until,
            )
            .order_by(a.finished_at, a.id)
        )
        return [
            AnnouncementRow(row[0], row[1], row[2])
            for row in (await self.session.execute(stmt)).tuples()
            if row[2] is not None
        ]

    async def received(self, announcement_ids: Collection[int]) -> dict[int, set[int]]:
        """users.id → the ids among `announcement_ids` they had a `sent` delivery of."""
        if not announcement_ids:
            return {}
        stmt = select(Delivery.user_id, Delivery.announcement_id).where(
            Delivery.announcement_id.in_(list(announcement_ids)),
            Delivery.status == DeliveryStatus.SENT,
        )
        out: dict[int, set[int]] = defaultdict(set)
        for user_id, announcement_id in (await self.session.execute(stmt)).tuples():
            out[user_id].add(announcement_id)
        return out

    # -- the week's announcement and its deliveries ------------------------------------------

    def _insert(self, model: type[Base]) -> postgresql.Insert | sqlite.Insert:
        bind = self.session.bind
        return insert_for(bind.dialect.name if bind is not None else "", model)

    async def week_announcement(self, key: str) -> Announcement | None:
        stmt = select(Announcement).where(Announcement.key == key)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def ensure_week_announcement(self, key: str, label: str, now: datetime) -> Announcement:
        """The digest row of one week: created once, even by two runs at the same moment."""
        row = await self.week_announcement(key)
        if row is not None:
            return row
        stmt = self._insert(Announcement).values(
            kind=AnnouncementKind.DIGEST,
            key=key,
            text="",
            audience="{}",
            audience_label=label,
            status=AnnouncementStatus.DRAFT,
            created_at=now,
        )
        await self.session.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))
        row = await self.week_announcement(key)
        assert row is not None
        return row

    async def reopen_stranded(self) -> int:
        """Digest weeks marked `done` that still have pending deliveries go back to `sending`
        (a run that queued late recipients just as the sender closed the week); how many."""
        a, d = Announcement, Delivery
        pending = (
            select(d.id)
            .where(d.announcement_id == a.id, d.status == DeliveryStatus.PENDING)
            .exists()
        )
        result = await self.session.execute(
            update(a)
            .where(a.kind == AnnouncementKind.DIGEST, a.status == AnnouncementStatus.DONE, pending)
            .values(status=AnnouncementStatus.SENDING, finished_at=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def had_digest(self, announcement_id: int) -> set[int]:
        """users.id of everyone who already has a delivery row of this digest."""
        stmt = select(Delivery.user_id).where(Delivery.announcement_id == announcement_id)
        return set((await self.session.execute(stmt)).scalars().all())

    async def start_sending(self, announcement_id: int, started_at: datetime) -> None:
        """Hand the week to the sender (again, when rows were added to a finished week)."""
        await self.session.execute(
            update(Announcement)
            .where(Announcement.id == announcement_id)
            .values(status=AnnouncementStatus.SENDING, started_at=started_at, finished_at=None)
        )

    async def add_deliveries(self, rows: Sequence[dict[str, Any]]) -> set[int]:
        """Insert pending delivery rows; those that already exist are left alone. Returns the
        users.id of the rows this call inserted."""
        if not rows:
            return set()
        bind = self.session.bind
        stmt = delivery_insert(bind.dialect.name if bind is not None else "")
        result = await self.session.execute(stmt, list(rows))
        return set(result.scalars().all())
