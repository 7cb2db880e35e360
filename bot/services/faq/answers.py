"""Questions and answers: free text → answer / suggestions / honest 'I don't know'."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from markupsafe import escape
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import Flow, build
from bot.render import Renderer
from bot.services import Services
from bot.services.checks import guided as checks
from bot.services.faq.inbox import SHOWN_MAX, UnansweredGroup, group_unanswered
from bot.services.people.users import record_seen
from bot.services.shared.inputs import redact_bsn
from bot.services.shared.replies import Button, Notice, Person, Reply
from bot.storage.models import QuestionLog
from bot.storage.questions import QuestionRepo
from bot.telegram_html import strip as strip_html
from knowledge.matcher import Match, Matcher, Outcome
from knowledge.models import Entry

MAX_QUESTION_CHARS = 1000  # longer messages are cut before matching and logging
RELATED_MAX = 3


# -- rendering entries ----------------------------------------------------------------------


def entry_reply(
    services: Services, entry_id: str, log_id: int | None = None, back: bool = False
) -> Reply:
    """An entry's answer with its source line and buttons (feedback, more, related)."""
    kb, r = services.kb, services.renderer
    entry = kb.entry(entry_id)
    text = r.render("qa/answer.html.j2", entry=entry, source=kb.source_label(entry))
    rows: list[tuple[Button, ...]] = []
    if log_id is not None:
        rows.append(
            (
                Button(r.text("thumbs_up"), build(Flow.QA, "up", log_id)),
                Button(r.text("thumbs_down"), build(Flow.QA, "down", log_id)),
            )
        )
    if entry.more:
        rows.append((Button(r.text("more"), build(Flow.QA, "more", entry.id)),))
    for rel in entry.related[:RELATED_MAX]:
        if rel in kb.by_id:
            rows.append((Button(kb.by_id[rel].title, build(Flow.QA, "rel", rel)),))
    rows += [(b,) for b in checks.suggestions_for_entry(services, entry.id)]
    if back:
        section = kb.section_of[entry.id]
        title = kb.sources.section_titles.get(section) or r.text("faq_programme_section")
        rows.append(
            (Button(r.text("back_to_section", section=title), build(Flow.FAQ, "sec", section)),)
        )
    return Reply(text, tuple(rows))


def more_reply(services: Services, entry_id: str) -> Reply:
    kb = services.kb
    entry = kb.entry(entry_id)
    if not entry.more:
        return entry_reply(services, entry_id)
    text = services.renderer.render("qa/more.html.j2", entry=entry, source=kb.source_label(entry))
    rows = tuple(
        (Button(kb.by_id[rel].title, build(Flow.QA, "rel", rel)),)
        for rel in entry.related[:RELATED_MAX]
        if rel in kb.by_id
    )
    return Reply(text, rows)


def _suggest_reply(services: Services, match: Match, log_id: int) -> Reply:
    r, kb = services.renderer, services.kb
    buttons = [
        Button(kb.entry(e).title, build(Flow.QA, "pick", log_id, e)) for e in match.suggestions
    ]
    buttons.append(Button(r.text("none_of_these"), build(Flow.QA, "none", log_id)))
    return Reply.column(r.render("qa/suggest.html.j2"), buttons)


# -- asking ---------------------------------------------------------------------------------


async def ask(
    services: Services, session: AsyncSession, person: Person, text: str, chat_type: str
) -> Reply:
    """Match a free-text question, log it, and render the reply."""
    question = text.strip()[:MAX_QUESTION_CHARS]
    match = services.matcher.match(question)
    now = services.clock()
    user_id = await record_seen(session, person, now, services.seen)
    if match.outcome is Outcome.SMALLTALK and match.smalltalk:
        await session.commit()
        return Reply(str(escape(services.matcher.smalltalk_reply(match.smalltalk))))
    log = await QuestionRepo(session).log(
        QuestionLog(
            user_id=user_id,
            chat_type=chat_type[:16],
            text=redact_bsn(question),
            outcome=match.outcome.value,
            entry_id=match.entry_id,
            score=round(match.score, 4),
            suggestions=",".join(match.suggestions) or None,
            asked_at=now,
        )
    )
    await session.commit()
    if match.outcome is Outcome.ANSWER and match.entry_id:
        reply = entry_reply(services, match.entry_id, log_id=log.id)
    elif match.outcome is Outcome.SUGGEST and match.suggestions:
        reply = _suggest_reply(services, match, log.id)
    else:
        reply = Reply(services.renderer.render("qa/unknown.html.j2"))
    if match.english:  # one English line: the answers are Dutch, as the sources are
        note = services.renderer.render(
            "qa/english_note.html.j2", note=services.renderer.text("english_note")
        )
        reply = dataclasses.replace(reply, text=f"{note}\n\n{reply.text}")
    return reply


async def _own_log(
    services: Services, session: AsyncSession, person: Person, log_id: int
) -> QuestionLog | Notice:
    log = await QuestionRepo(session).get(log_id)
    if log is None:
        return Notice(services.renderer.text("stale_button"))
    user_id = await record_seen(session, person, services.clock(), services.seen)
    if log.user_id != user_id:
        return Notice(services.renderer.text("not_yours"))
    return log


async def feedback(
    services: Services, session: AsyncSession, person: Person, log_id: int, value: str
) -> Notice:
    """👍 / 👎 on an answer. Only the person who asked can rate it, once."""
    r = services.renderer
    log = await _own_log(services, session, person, log_id)
    if isinstance(log, Notice):
        await session.commit()
        return log
    if log.feedback in ("up", "down"):
        return Notice(r.text("feedback_already"))
    log.feedback = "up" if value == "up" else "down"
    await session.commit()
    return Notice(r.text("feedback_thanks_up" if value == "up" else "feedback_thanks_down"))


async def choose_suggestion(
    services: Services, session: AsyncSession, person: Person, log_id: int, entry_id: str
) -> Reply | Notice:
    """The user picked one of the "Bedoel je …?" buttons."""
    log = await _own_log(services, session, person, log_id)
    if isinstance(log, Notice):
        await session.commit()
        return log
    if entry_id not in services.kb.by_id:
        return Notice(services.renderer.text("unknown_entry"))
    log.entry_id = entry_id
    await session.commit()
    return entry_reply(services, entry_id, log_id=log_id)


async def none_of_these(
    services: Services, session: AsyncSession, person: Person, log_id: int
) -> Reply | Notice:
    """ "Geen van deze": record the question as unanswered for the programme team."""
    log = await _own_log(services, session, person, log_id)
    if isinstance(log, Notice):
        await session.commit()
        return log
    log.feedback = "none"
    log.entry_id = None
    await session.commit()
    return Reply(services.renderer.render("qa/none_of_these.html.j2", question=log.text))


# -- the JSON contract of `hoofdzaak ask` ----------------------------------------------------


def answer_json(matcher: Matcher, question: str) -> dict[str, Any]:
    """One question → the object DESIGN.md specifies for `hoofdzaak ask --json`."""
    kb = matcher.kb
    match = matcher.match(question[:MAX_QUESTION_CHARS])
    entry: Entry | None = kb.by_id.get(match.entry_id) if match.entry_id else None
    answered = match.outcome is Outcome.ANSWER and entry is not None
    answer = strip_html(entry.answer) if answered and entry else None
    if answer is not None and match.english:
        answer = f"{Renderer.shared().text('english_note')}\n\n{answer}"
    return {
        "question": question,
        "answered": answered,
        "entry": entry.id if answered and entry else None,
        "refs": list(entry.refs) if answered and entry else [],
        "score": round(match.score, 4),
        "answer": answer,
        "suggestions": [
            {"entry": e, "refs": list(kb.entry(e).refs), "title": kb.entry(e).title}
            for e in match.suggestions
        ],
    }


# -- what the programme team sees -----------------------------------------------------------


async def unanswered(
    services: Services, session: AsyncSession, days: int = 30, shown: int = SHOWN_MAX
) -> list[UnansweredGroup]:
    """Unanswered, 'none of these' and 👎 questions, grouped (bot/services/faq/inbox.py); texts
    shortened to `shown` characters."""
    since = services.clock() - timedelta(days=days)
    return group_unanswered(await QuestionRepo(session).unanswered(since), shown)


def entry_title(services: Services, entry_id: str | None) -> str | None:
    entry = services.kb.by_id.get(entry_id) if entry_id else None
    return entry.title if entry is not None else None


async def unanswered_reply(services: Services, session: AsyncSession, days: int = 30) -> Reply:
    groups = await unanswered(services, session, days)
    text = services.renderer.render(
        "admin/unanswered.html.j2",
        groups=groups[:30],
        title=lambda g: entry_title(services, g.entry_id),
        days=days,
        total=sum(g.count for g in groups),
    )
    return Reply(text)
