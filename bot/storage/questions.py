"""The question log (what was asked, what answered it, 👍/👎) and the check log (verdicts of
the guided checks). The caller commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import CheckLog, QuestionLog, User


@dataclass(frozen=True)
class AskedRow:
    """One logged question that the bot could not answer or whose answer was rejected."""

    text: str
    user_id: int | None
    registered: bool  # the asker has a role (staff)
    asked_at: datetime
    feedback: str | None = None  # "down", "none" or None
    entry_id: str | None = None  # the entry that answered (for a 👎)
    region: str | None = None  # the asker's region, if they have one


class QuestionRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def log(self, row: QuestionLog) -> QuestionLog:
        self.session.add(row)
        await self.session.flush()
        return row

    async def get(self, log_id: int) -> QuestionLog | None:
        return await self.session.get(QuestionLog, log_id)

    async def unanswered(self, since: datetime) -> list[AskedRow]:
        """Questions since `since` the bot could not answer, or whose answer got 👎 or
        "geen van deze", with whether the asker has an account (a role)."""
        q = QuestionLog
        stmt = (
            select(q.text, q.user_id, User.role, q.asked_at, q.feedback, q.entry_id, User.region)
            .outerjoin(User, User.id == q.user_id)
            .where(q.asked_at >= since)
            .where(or_(q.outcome == "unknown", q.feedback.in_(("down", "none"))))
            .order_by(q.asked_at.desc(), q.id.desc())
        )
        return [
            AskedRow(text, user_id, role is not None, asked_at, feedback, entry_id, region)
            for text, user_id, role, asked_at, feedback, entry_id, region in (
                await self.session.execute(stmt)
            ).tuples()
        ]


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
