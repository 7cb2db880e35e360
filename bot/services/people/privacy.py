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

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.storage.privacy import ForgetRepo, RetentionRepo

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
    repo = RetentionRepo(session, ANONYMISED)
    asked_before = now - timedelta(days=policy.question_days)
    ended_before = (now - timedelta(days=policy.pseudonym_days)).date()
    sent_before = now - timedelta(days=policy.message_days)
    report = RetentionReport(*await repo.counts(asked_before, ended_before, sent_before))
    if dry_run:
        return report
    await repo.apply(asked_before, ended_before, sent_before)
    await session.commit()
    return report


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
    repo = ForgetRepo(session, ANONYMISED)
    user = await repo.user(telegram_id)
    if user is None:
        raise UnknownUser(telegram_id)
    placeholder = -user.id
    questions = await repo.questions(user.id)
    pseudonyms = await repo.pseudonyms(user.id)
    messages = await repo.messages(user.id, placeholder)
    # Announcements they wrote: the progress message went to their chat; it no longer does.
    # The texts stay (docs/privacy.md): messages of the programme to others, who have them.
    await repo.progress_chats(telegram_id)
    forms = await repo.forms(telegram_id)
    user.telegram_id = placeholder
    user.first_name = user.last_name = user.username = None
    user.role = None
    user.active = False
    user.digest = False
    await session.commit()
    return ForgetReport(user.id, questions, pseudonyms, messages, forms)


def policy_from(settings: Settings) -> RetentionPolicy:
    return RetentionPolicy(
        question_days=settings.retention_question_days,
        pseudonym_days=settings.retention_pseudonym_days,
        message_days=settings.retention_message_days,
    )
