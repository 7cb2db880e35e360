"""The question log (what was asked, what answered it, 👍/👎) and the check log (verdicts of
the guided checks). The caller commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import CheckLog, LearnedPhrasing, QuestionLog, User


@dataclass(frozen=True)
class AskedRow:
    """One logged question that the bot could not answer, whose answer was rejected, or that
    got "Bedoel je …?" buttons of which the asker picked none."""

    text: str
    user_id: int | None
    registered: bool  # the asker has a role (staff)
    asked_at: datetime
    feedback: str | None = None  # "down", "none" or None
    entry_id: str | None = None  # the entry that answered (for a 👎)
    region: str | None = None  # the asker's region, if they have one
    id: int = 0  # question_log.id
    unpicked: bool = False  # got buttons, pressed none of them (nor "Geen van deze")


class QuestionRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def log(self, row: QuestionLog) -> QuestionLog:
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, log_id: int) -> QuestionLog | None:
        return await self.session.get(QuestionLog, log_id)

    async def unanswered(
        self, since: datetime, triage: str | None = None, until: datetime | None = None
    ) -> list[AskedRow]:
        """Questions since `since` the bot could not answer, whose answer got 👎 or "geen
        van deze", or that got "Bedoel je …?" buttons of which none was pressed (a press later
        takes it off), with whether the asker has an account (a role): those nobody handled
        yet in /onbeantwoord, or (`triage`) those handled that way."""
        q = QuestionLog
        unpicked = and_(q.outcome == "suggest", q.entry_id.is_(None), q.feedback.is_(None))
        stmt = (
            select(
                q.text,
                q.user_id,
                User.role,
                q.asked_at,
                q.feedback,
                q.entry_id,
                User.region,
                q.id,
                unpicked.label("unpicked"),
            )
            .outerjoin(User, User.id == q.user_id)
            .where(q.asked_at >= since)
            .where(or_(q.outcome == "unknown", q.feedback.in_(("down", "none")), unpicked))
            .where(q.triage.is_(None) if triage is None else q.triage == triage)
            .where(q.asked_at <= until if until is not None else true())
            .order_by(q.asked_at.desc(), q.id.desc())
        )
        return [
            AskedRow(
                text,
                user_id,
                role is not None,
                asked_at,
                feedback,
                entry_id,
                region,
                i,
                unpicked=bool(picked_none),
            )
            for text, user_id, role, asked_at, feedback, entry_id, region, i, picked_none in (
                await self.session.execute(stmt)
            ).tuples()
        ]

    async def set_triage(self, log_ids: Sequence[int], triage: str, now: datetime) -> None:
        """Mark questions as handled in /onbeantwoord (bot.domain.Triage)."""
        if log_ids:
            await self.session.execute(
                update(QuestionLog)
                .where(QuestionLog.id.in_(list(log_ids)))
                .values(triage=triage, triaged_at=now)
            )


class LearnedRepo:
    """Learned phrasings (questions linked to an entry in the chat). The caller commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: LearnedPhrasing) -> LearnedPhrasing:
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, learned_id: int) -> LearnedPhrasing | None:
        return await self.session.get(LearnedPhrasing, learned_id)

    async def with_status(self, *statuses: str) -> list[LearnedPhrasing]:
        rows = await self.session.execute(
            select(LearnedPhrasing)
            .where(LearnedPhrasing.status.in_(statuses))
            .order_by(LearnedPhrasing.id)
        )
        return list(rows.scalars())

    async def proposal_for(self, question_id: int) -> LearnedPhrasing | None:
        rows = await self.session.execute(
            select(LearnedPhrasing).where(LearnedPhrasing.question_id == question_id).limit(1)
        )
        return rows.scalars().first()

    async def delete(self, learned_ids: Sequence[int]) -> int:
        if not learned_ids:
            return 0
        result = await self.session.execute(
            delete(LearnedPhrasing).where(LearnedPhrasing.id.in_(list(learned_ids)))
        )
        return int(getattr(result, "rowcount", 0) or 0)

    async def set_status(self, learned_ids: Sequence[int], status: str) -> None:
        if learned_ids:
            await self.session.execute(
                update(LearnedPhrasing)
                .where(LearnedPhrasing.id.in_(list(learned_ids)))
                .values(status=status)
            )


class CheckLogRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def add(self, row: CheckLog) -> None:
        self.session.add(row)

    async def outcome_counts(self, since: datetime) -> list[tuple[str, str, int]]:
        """(check, outcome, how often) since a moment."""
        rows = await self.session.execute(
            select(CheckLog.check_id, CheckLog.outcome, func.count(CheckLog.id))
            .where(CheckLog.finished_at >= since)
            .group_by(CheckLog.check_id, CheckLog.outcome)
        )
        return [(str(c), str(o), int(n)) for c, o, n in rows.tuples()]
