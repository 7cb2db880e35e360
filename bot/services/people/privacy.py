"""Privacy (AVG): retention of what is personal, and forgetting one person on request.

What is personal here: staff's Telegram ids and names, the texts they type (questions),
the coach's pseudonyms of candidates (and the audit trail's copies of them), personal
message texts (digests mention pseudonyms) and half-finished forms. What is kept: the
figures — trajectories with their region, dates, method and outcome, which FAQ entry
answered, the counts of deliveries — so progress reports stay right.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.storage.models import (
    Announcement,
    BotState,
    Delivery,
    QuestionLog,
    Trajectory,
    TrajectoryEvent,
    User,
)

# What an anonymised question's text becomes: the row stays for the counts.
ANONYMISED = "[geanonimiseerd]"


class UnknownUser(Exception):
    """No user with that Telegram id."""


@dataclass(frozen=True)
class RetentionPolicy:
    question_days: int  # question texts are anonymised this many days after they were asked
    pseudonym_days: int  # pseudonyms go this many days after the trajectory ended
    message_days: int  # personal message texts (digests) are cleared this many days after


@dataclass
class RetentionReport:
    questions: int = 0
    pseudonyms: int = 0
    events: int = 0
    messages: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


async def apply_retention(
    session: AsyncSession, policy: RetentionPolicy, now: datetime, dry_run: bool = False
) -> RetentionReport:
    """Anonymise and remove what is older than the policy allows; figures stay. Idempotent."""
    report = RetentionReport()
    asked_before = now - timedelta(days=policy.question_days)
    questions = and_(QuestionLog.asked_at < asked_before, QuestionLog.text != ANONYMISED)
    ended_before = (now - timedelta(days=policy.pseudonym_days)).date()
    expired = and_(
        Trajectory.end_date.is_not(None),
        Trajectory.end_date < ended_before,
        Trajectory.pseudonym.is_not(None),
    )
    expired_ids = select(Trajectory.id).where(expired)
    events = and_(
        TrajectoryEvent.trajectory_id.in_(
            select(Trajectory.id).where(Trajectory.end_date < ended_before)
        ),
        TrajectoryEvent.field == "pseudonym",
        or_(TrajectoryEvent.old.is_not(None), TrajectoryEvent.new.is_not(None)),
    )
    sent_before = now - timedelta(days=policy.message_days)
    messages = and_(
        Delivery.text.is_not(None),
        Delivery.updated_at < sent_before,
        Delivery.status != "pending",  # not yet sent: the text is still needed
    )

    report.questions = await _count(session, QuestionLog.id, questions)
    report.pseudonyms = await _count(session, Trajectory.id, expired)
    report.events = await _count(session, TrajectoryEvent.id, events)
    report.messages = await _count(session, Delivery.id, messages)
    if dry_run:
        return report
    await session.execute(update(QuestionLog).where(questions).values(text=ANONYMISED))
    await session.execute(update(TrajectoryEvent).where(events).values(old=None, new=None))
    await session.execute(
        update(Trajectory)
        .where(Trajectory.id.in_(expired_ids))
        .values(pseudonym=None)
        .execution_options(synchronize_session=False)
    )
    await session.execute(update(Delivery).where(messages).values(text=None, reply_markup=None))
    await session.commit()
    return report


async def _count(session: AsyncSession, column: Any, where: Any) -> int:
    return int(await session.scalar(select(func.count(column)).where(where)) or 0)


@dataclass
class ForgetReport:
    user_id: int
    questions: int
    pseudonyms: int
    messages: int
    forms: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


async def forget_user(session: AsyncSession, telegram_id: int) -> ForgetReport:
    """Remove one person's personal data; keep the figures they are part of.

    The user row stays (trajectories, deliveries and the question log point at it, and the
    counts must not change) but holds nothing personal any more: no names, no Telegram id
    (a negative placeholder instead), no role; their question texts are anonymised, the
    pseudonyms of the trajectories they coach removed, personal message texts cleared and
    half-finished forms dropped. If they write to the bot again, they start as someone new.
    """
    user = (
        await session.execute(select(User).where(User.telegram_id == telegram_id))
    ).scalar_one_or_none()
    if user is None:
        raise UnknownUser(telegram_id)
    questions = await _count(
        session,
        QuestionLog.id,
        and_(QuestionLog.user_id == user.id, QuestionLog.text != ANONYMISED),
    )
    await session.execute(
        update(QuestionLog).where(QuestionLog.user_id == user.id).values(text=ANONYMISED)
    )
    coached = select(Trajectory.id).where(Trajectory.coach_id == user.id)
    pseudonyms = await _count(
        session,
        Trajectory.id,
        and_(Trajectory.coach_id == user.id, Trajectory.pseudonym.is_not(None)),
    )
    await session.execute(
        update(TrajectoryEvent)
        .where(TrajectoryEvent.trajectory_id.in_(coached), TrajectoryEvent.field == "pseudonym")
        .values(old=None, new=None)
    )
    await session.execute(
        update(Trajectory)
        .where(Trajectory.coach_id == user.id)
        .values(pseudonym=None)
        .execution_options(synchronize_session=False)
    )
    messages = await _count(
        session, Delivery.id, and_(Delivery.user_id == user.id, Delivery.text.is_not(None))
    )
    placeholder = -user.id
    await session.execute(
        update(Delivery)
        .where(Delivery.user_id == user.id)
        .values(text=None, reply_markup=None, chat_id=placeholder)
    )
    # Announcements they wrote: the progress message went to their chat; it no longer does.
    # The texts stay (docs/privacy.md): messages of the programme to others, who have them.
    await session.execute(
        update(Announcement)
        .where(Announcement.progress_chat_id == telegram_id)
        .values(progress_chat_id=None, progress_message_id=None)
    )
    forms = await _count(session, BotState.key, _state_of(telegram_id))
    await session.execute(delete(BotState).where(_state_of(telegram_id)))
    user.telegram_id = placeholder
    user.first_name = user.last_name = user.username = None
    user.role = None
    user.active = False
    user.digest = False
    await session.commit()
    return ForgetReport(user.id, questions, pseudonyms, messages, forms)


def _state_of(telegram_id: int) -> Any:
    """Their per-user data and their conversations (keys `<chat>:<user>`)."""
    return or_(
        and_(BotState.kind == "user", BotState.key == str(telegram_id)),
        and_(BotState.kind.like("conversation:%"), BotState.key.like(f"%:{telegram_id}")),
    )


def policy_from(settings: Settings) -> RetentionPolicy:
    return RetentionPolicy(
        question_days=settings.retention_question_days,
        pseudonym_days=settings.retention_pseudonym_days,
        message_days=settings.retention_message_days,
    )
