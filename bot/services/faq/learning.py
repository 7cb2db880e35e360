"""Misses become knowledge: questions the bot could not answer, linked to an entry by the
programme team in /onbeantwoord, are answered from then on (docs/learning.md).

- **Linking** (programme team): the question becomes a confirmed learned phrasing
  (`learned_phrasings`), the running bot's `LearnedIndex` takes it in at once, and every
  unhandled question with the same words is marked handled.
- **Proposals** (anyone, after a 👎): the entry the asker was looking for is stored as a
  *proposal*; it is used only when the programme team confirms it, so one person cannot teach
  the bot a wrong answer.
- **New topic / ignore**: the question is marked handled; new topics stay listed as
  candidates for new entries.
- **Sync**: the index follows the table (at start-up and every minute, so a change made by
  another process, `hoofdzaak kb learned remove`, is picked up); a phrasing that a release has
  taken into the knowledge base's YAML is removed from the table then.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain import LearnedStatus, Triage
from bot.services import Services
from bot.services.faq.inbox import group_unanswered, question_key
from bot.storage.models import LearnedPhrasing, QuestionLog
from bot.storage.questions import LearnedRepo, QuestionRepo
from knowledge.alternatives import phrasing_keys
from knowledge.kb import KnowledgeBase
from knowledge.learned import Learned
from knowledge.text import canonical_text

log = logging.getLogger(__name__)

INBOX_DAYS = 30  # /onbeantwoord looks this far back


@dataclass(frozen=True)
class SyncResult:
    active: int  # phrasings the bot now uses
    added: int
    removed: int
    released: int  # deleted from the table: the knowledge base has them now
    ms: float  # time spent updating the index


def released(kb: KnowledgeBase, row: LearnedPhrasing) -> bool:
    """The knowledge base now has this phrasing for this entry (exported and released)."""
    entry = kb.by_id.get(row.entry_id)
    if entry is None:
        return False
    return canonical_text(row.text) in phrasing_keys(entry)


async def sync(services: Services, session: AsyncSession) -> SyncResult:
    """Bring the running bot's learned phrasings in step with the table; commits."""
    repo = LearnedRepo(session)
    rows = await repo.with_status(LearnedStatus.CONFIRMED, LearnedStatus.EXPORTED)
    gone = {r.id for r in rows if released(services.kb, r)}
    if gone:
        await repo.delete(sorted(gone))
        await session.commit()
        log.info("learned phrasings: %d now in the knowledge base, removed", len(gone))
    keep = [Learned(r.id, r.text, r.entry_id) for r in rows if r.id not in gone]
    added, removed = services.learned.sync(keep)
    return SyncResult(
        len(services.learned), added, removed, len(gone), services.learned.last_rebuild_ms
    )


async def sync_now(services: Services) -> SyncResult:
    async with services.db.session() as session:
        return await sync(services, session)


async def _handled(
    session: AsyncSession, log_row: QuestionLog, how: Triage, now: datetime
) -> None:
    """Mark a question and the unhandled ones with the same words (its group in the inbox)
    as handled this way."""
    key = question_key(log_row.text)
    rows = await QuestionRepo(session).unanswered(now - timedelta(days=INBOX_DAYS))
    ids = [r.id for r in rows if question_key(r.text) == key]
    await QuestionRepo(session).set_triage(
        ids if log_row.id in ids else [*ids, log_row.id], how, now
    )


async def link(
    services: Services, session: AsyncSession, user_id: int | None, log_id: int, entry_id: str
) -> LearnedPhrasing | None:
    """The programme team links a question to an entry: from now on the bot answers it.
    None when the question or the entry no longer exists. Commits."""
    row = await QuestionRepo(session).get(log_id)
    if row is None or entry_id not in services.kb.by_id:
        return None
    now = services.clock()
    learned = await LearnedRepo(session).add(
        LearnedPhrasing(
            text=row.text,
            entry_id=entry_id,
            status=LearnedStatus.CONFIRMED,
            proposed_by=user_id,
            confirmed_by=user_id,
            question_id=row.id,
            created_at=now,
            confirmed_at=now,
        )
    )
    await _handled(session, row, Triage.LINKED, now)
    await session.commit()
    services.learned.add(Learned(learned.id, learned.text, learned.entry_id))
    return learned


async def triage(
    services: Services, session: AsyncSession, log_id: int, how: Triage
) -> QuestionLog | None:
    """ "Nieuw onderwerp" or "Negeren" for a question (and the same ones); commits."""
    row = await QuestionRepo(session).get(log_id)
    if row is None:
        return None
    now = services.clock()
    await _handled(session, row, how, now)
    await session.commit()
    return row


async def propose(
    services: Services, session: AsyncSession, row: QuestionLog, entry_id: str
) -> LearnedPhrasing:
    """After a 👎 the asker picks what they were looking for: a proposal (not used until the
    programme team confirms it). One per question; a second pick replaces the first."""
    repo = LearnedRepo(session)
    existing = await repo.proposal_for(row.id)
    if existing is not None and existing.status == LearnedStatus.PROPOSED:
        existing.entry_id = entry_id
        await session.commit()
        return existing
    if existing is not None:  # already confirmed by the team: leave it
        return existing
    proposal = await repo.add(
        LearnedPhrasing(
            text=row.text,
            entry_id=entry_id,
            status=LearnedStatus.PROPOSED,
            proposed_by=row.user_id,
            question_id=row.id,
            created_at=services.clock(),
        )
    )
    await session.commit()
    return proposal


async def confirm(
    services: Services, session: AsyncSession, user_id: int | None, learned_id: int
) -> LearnedPhrasing | None:
    """The programme team confirms a proposal: the bot uses it from now on. Commits."""
    repo = LearnedRepo(session)
    row = await repo.get(learned_id)
    if row is None or row.status != LearnedStatus.PROPOSED:
        return None
    if row.entry_id not in services.kb.by_id:
        return None
    now = services.clock()
    row.status, row.confirmed_by, row.confirmed_at = LearnedStatus.CONFIRMED, user_id, now
    if row.question_id is not None:
        question = await QuestionRepo(session).get(row.question_id)
        if question is not None:
            await _handled(session, question, Triage.LINKED, now)
    await session.commit()
    services.learned.add(Learned(row.id, row.text, row.entry_id))
    return row


async def reject(services: Services, session: AsyncSession, learned_id: int) -> bool:
    """The programme team rejects a proposal: it is deleted. Commits."""
    repo = LearnedRepo(session)
    row = await repo.get(learned_id)
    if row is None or row.status != LearnedStatus.PROPOSED:
        return False
    await repo.delete([row.id])
    await session.commit()
    return True


async def new_topic_candidates(services: Services, session: AsyncSession) -> list[str]:
    """Questions kept as candidates for a new entry (last 90 days), grouped, most asked first."""
    since = services.clock() - timedelta(days=90)
    rows = await QuestionRepo(session).unanswered(since, triage=Triage.NEW_TOPIC)
    return [g.text for g in group_unanswered(rows)]
