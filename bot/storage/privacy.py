"""The queries of retention and of forgetting a person (docs/privacy.md): each counts what
it will change, then changes it; the figures (rows, dates, outcomes) stay."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import DeliveryStatus, LearnedStatus
from bot.storage.models import (
    Announcement,
    BotState,
    Delivery,
    LearnedPhrasing,
    QuestionLog,
    Trajectory,
    TrajectoryEvent,
    User,
)


async def _count(session: AsyncSession, column: Any, where: Any) -> int:
    return int(await session.scalar(select(func.count(column)).where(where)) or 0)


class RetentionRepo:
    """What is older than the retention periods allow. The caller commits."""

    def __init__(self, session: AsyncSession, placeholder: str) -> None:
        self.session = session
        self.placeholder = placeholder  # what an anonymised question's text becomes

    def _questions(self, asked_before: datetime) -> Any:
        return and_(QuestionLog.asked_at < asked_before, QuestionLog.text != self.placeholder)

    @staticmethod
    def _pseudonyms(ended_before: date) -> Any:
        return and_(
            Trajectory.end_date.is_not(None),
            Trajectory.end_date < ended_before,
            Trajectory.pseudonym.is_not(None),
        )

    @staticmethod
    def _events(ended_before: date) -> Any:
        return and_(
            TrajectoryEvent.trajectory_id.in_(
                select(Trajectory.id).where(Trajectory.end_date < ended_before)
            ),
            TrajectoryEvent.field == "pseudonym",
            or_(TrajectoryEvent.old.is_not(None), TrajectoryEvent.new.is_not(None)),
        )

    @staticmethod
    def _messages(sent_before: datetime) -> Any:
        return and_(
            Delivery.text.is_not(None),
            Delivery.updated_at < sent_before,
            Delivery.status != DeliveryStatus.PENDING,  # not yet sent: the text is needed
        )

    async def counts(
        self, asked_before: datetime, ended_before: date, sent_before: datetime
    ) -> tuple[int, int, int, int]:
        """(questions, pseudonyms, history entries, message texts) that are due."""
        s = self.session
        return (
            await _count(s, QuestionLog.id, self._questions(asked_before)),
            await _count(s, Trajectory.id, self._pseudonyms(ended_before)),
            await _count(s, TrajectoryEvent.id, self._events(ended_before)),
            await _count(s, Delivery.id, self._messages(sent_before)),
        )

    async def apply(
        self, asked_before: datetime, ended_before: date, sent_before: datetime
    ) -> None:
        s = self.session
        await s.execute(
            update(QuestionLog).where(self._questions(asked_before)).values(text=self.placeholder)
        )
        await s.execute(
            update(TrajectoryEvent).where(self._events(ended_before)).values(old=None, new=None)
        )
        await s.execute(
            update(Trajectory)
            .where(Trajectory.id.in_(select(Trajectory.id).where(self._pseudonyms(ended_before))))
            .values(pseudonym=None)
            .execution_options(synchronize_session=False)
        )
        await s.execute(
            update(Delivery)
            .where(self._messages(sent_before))
            .values(text=None, reply_markup=None)
        )


def _state_of(telegram_id: int) -> Any:
    """Their per-user data and their conversations (keys `<chat>:<user>`)."""
    return or_(
        and_(BotState.kind == "user", BotState.key == str(telegram_id)),
        and_(BotState.kind.like("conversation:%"), BotState.key.like(f"%:{telegram_id}")),
    )


class ForgetRepo:
    """Removing one person's personal data from every table. The caller commits."""

    def __init__(self, session: AsyncSession, placeholder: str) -> None:
        self.session = session
        self.placeholder = placeholder

    async def user(self, telegram_id: int) -> User | None:
        found: User | None = await self.session.scalar(
            select(User).where(User.telegram_id == telegram_id)
        )
        return found

    async def questions(self, user_id: int) -> int:
        """Anonymise their question texts; how many were not yet. Their proposals after a 👎
        (their question, not yet confirmed by the programme team) are dropped; a phrasing the
        team confirmed is the programme's knowledge now and stays, without their name."""
        n = await _count(
            self.session,
            QuestionLog.id,
            and_(QuestionLog.user_id == user_id, QuestionLog.text != self.placeholder),
        )
        await self.session.execute(
            update(QuestionLog).where(QuestionLog.user_id == user_id).values(text=self.placeholder)
        )
        await self.session.execute(
            delete(LearnedPhrasing).where(
                LearnedPhrasing.proposed_by == user_id,
                LearnedPhrasing.status == LearnedStatus.PROPOSED,
            )
        )
        await self.session.execute(
            update(LearnedPhrasing)
            .where(LearnedPhrasing.proposed_by == user_id)
            .values(proposed_by=None)
        )
        return n

    async def pseudonyms(self, user_id: int) -> int:
        """Remove the pseudonyms of the trajectories they coach (and from the history)."""
        n = await _count(
            self.session,
            Trajectory.id,
            and_(Trajectory.coach_id == user_id, Trajectory.pseudonym.is_not(None)),
        )
        coached = select(Trajectory.id).where(Trajectory.coach_id == user_id)
        await self.session.execute(
            update(TrajectoryEvent)
            .where(
                TrajectoryEvent.trajectory_id.in_(coached), TrajectoryEvent.field == "pseudonym"
            )
            .values(old=None, new=None)
        )
        await self.session.execute(
            update(Trajectory)
            .where(Trajectory.coach_id == user_id)
            .values(pseudonym=None)
            .execution_options(synchronize_session=False)
        )
        return n

    async def messages(self, user_id: int, placeholder_chat: int) -> int:
        """Clear the texts and their chat id on their delivery rows."""
        n = await _count(
            self.session,
            Delivery.id,
            and_(Delivery.user_id == user_id, Delivery.text.is_not(None)),
        )
        await self.session.execute(
            update(Delivery)
            .where(Delivery.user_id == user_id)
            .values(text=None, reply_markup=None, chat_id=placeholder_chat)
        )
        return n

    async def progress_chats(self, telegram_id: int) -> None:
        """Announcements they wrote no longer point at their chat."""
        await self.session.execute(
            update(Announcement)
            .where(Announcement.progress_chat_id == telegram_id)
            .values(progress_chat_id=None, progress_message_id=None)
        )

    async def forms(self, telegram_id: int) -> int:
        """Drop their half-finished forms and conversation state."""
        n = await _count(self.session, BotState.key, _state_of(telegram_id))
        await self.session.execute(delete(BotState).where(_state_of(telegram_id)))
        return n
