"""Questions and answers: free text → answer / suggestions / honest 'I don't know'."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import timedelta
from typing import Any

from markupsafe import escape
from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import Flow, build
from bot.services import Services
from bot.services.checks import guided as checks
from bot.services.faq import ask_json, data_answers, learning, review
from bot.services.faq.inbox import SHOWN_MAX, UnansweredGroup, group_unanswered, shorten
from bot.services.people import accounts
from bot.services.people.accounts import caller
from bot.services.people.users import record_seen
from bot.services.shared.inputs import redact_bsn
from bot.services.shared.replies import Button, Notice, Person, Reply
from bot.services.trajectories import followup
from bot.storage.models import QuestionLog
from bot.storage.questions import QuestionRepo
from bot.telegram_html import strip as strip_html
from knowledge.data_questions import DataQuestion
from knowledge.matcher import Match, Outcome

MAX_QUESTION_CHARS = ask_json.MAX_QUESTION_CHARS
DATA_OUTCOME = "data"  # question_log.outcome of a question answered from the database
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


# A trajectory's reference typed anywhere in a message: that trajectory, not an FAQ answer.
REFERENCE = re.compile(r"\bHW-\d{4}-\d{5}\b", re.IGNORECASE)


async def _open_reference(
    services: Services, session: AsyncSession, person: Person, reference: str
) -> Reply:
    """The trajectory's details for whoever may see it; the same "not found" for everyone
    else (no telling whether it exists)."""
    await record_seen(session, person, services.clock(), services.seen)
    await session.commit()
    who = await caller(services, session, person)
    reply = await followup.by_reference(services, session, who, reference)
    if reply is not None:
        return reply
    text = services.renderer.text("trajectory_not_found", reference=reference.upper())
    return Reply(str(escape(text)))


RULE_BUTTON_MAX = 64  # characters of the "Bedoel je de regel? …" button (cut with "…")


def with_rule(services: Services, reply: Reply, entry_id: str | None) -> Reply:
    if entry_id is None:
        return reply
    title = services.kb.entry(entry_id).title
    button = Button(
        shorten(services.renderer.text("data_rule_button", title=title), RULE_BUTTON_MAX),
        build(Flow.QA, "rel", entry_id),
    )
    return dataclasses.replace(reply, buttons=(*reply.buttons, (button,)))


async def _ask_data(
    services: Services,
    session: AsyncSession,
    person: Person,
    question: str,
    chat_type: str,
    dq: DataQuestion,
) -> Reply:
    """A question about the programme's own data: answered from the database, for this
    caller (bot/services/faq/data_answers.py), logged as `data`."""
    now = services.clock()
    user_id = await record_seen(session, person, now, services.seen)
    who = await caller(services, session, person)
    data = await data_answers.answer(services, session, who, dq)
    rule = ask_json.rule_entry(services.matcher.match(question))
    await QuestionRepo(session).log(
        QuestionLog(
            user_id=user_id,
            chat_type=chat_type[:16],
            text=redact_bsn(question),
            outcome=DATA_OUTCOME,
            entry_id=None,
            score=1.0 if data.answered else 0.0,
            suggestions=rule,
            asked_at=now,
        )
    )
    await session.commit()
    return with_rule(services, data.reply, rule)


async def ask(
    services: Services, session: AsyncSession, person: Person, text: str, chat_type: str
) -> Reply:
    """Match a free-text question, log it, and render the reply."""
    question = text.strip()[:MAX_QUESTION_CHARS]
    pending = services.pending.take(person.telegram_id, services.clock())
    if pending is not None and chat_type == "private":
        kind, value = pending
        if kind == review.SEARCH:
            return await review.search(services, session, person, int(value), question)
        if kind == accounts.USER_REGION:
            return await accounts.typed_user_region(services, session, person, value, question)
    reference = REFERENCE.search(question)
    if reference is not None and chat_type == "private":
        return await _open_reference(services, session, person, reference.group(0))
    dq = services.data_questions.parse(question)
    if dq is not None:
        return await _ask_data(services, session, person, question, chat_type, dq)
    match = services.matcher.match(question, services.learned)
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


async def _own_log_for(
    services: Services, session: AsyncSession, person: Person, log_id: int, entry_id: str
) -> QuestionLog | Notice:
    """The asker's own question, for a button that names an entry (which must exist)."""
    log = await _own_log(services, session, person, log_id)
    if isinstance(log, Notice):
        await session.commit()
        return log
    if entry_id not in services.kb.by_id:
        return Notice(services.renderer.text("unknown_entry"))
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


WISHES = 3  # entries offered after a 👎


async def wish_options(
    services: Services, session: AsyncSession, person: Person, log_id: int
) -> Reply | None:
    """After a 👎: "Zocht je een van deze?" with the likely other entries (optional for the
    asker; a pick is a proposal for the programme team)."""
    log = await _own_log(services, session, person, log_id)
    if isinstance(log, Notice) or log.feedback != "down":
        return None
    likely = [
        c.entry_id
        for c in services.matcher.candidates(log.text, limit=WISHES + 1)
        if c.entry_id != log.entry_id
    ][:WISHES]
    if not likely:
        return None
    r, kb = services.renderer, services.kb
    buttons = [Button(kb.entry(e).title, build(Flow.QA, "wish", log_id, e)) for e in likely]
    buttons.append(Button(r.text("none_of_these"), build(Flow.QA, "none", log_id)))
    return Reply.column(html.escape(r.text("wish_question")), buttons)


async def choose_wish(
    services: Services, session: AsyncSession, person: Person, log_id: int, entry_id: str
) -> Reply | Notice:
    """The asker picked what they were looking for after a 👎: its answer, and a proposal
    that the programme team confirms or rejects in /onbeantwoord."""
    log = await _own_log_for(services, session, person, log_id, entry_id)
    if isinstance(log, Notice):
        return log
    await learning.propose(services, session, log, entry_id)
    reply = entry_reply(services, entry_id)
    thanks = html.escape(services.renderer.text("wish_thanks"))
    return dataclasses.replace(reply, text=f"{thanks}\n\n{reply.text}", toast=None)


async def choose_suggestion(
    services: Services, session: AsyncSession, person: Person, log_id: int, entry_id: str
) -> Reply | Notice:
    """The user picked one of the "Bedoel je …?" buttons."""
    log = await _own_log_for(services, session, person, log_id, entry_id)
    if isinstance(log, Notice):
        return log
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


async def data_json(
    services: Services, session: AsyncSession, question: str, dq: DataQuestion
) -> dict[str, Any]:
    """A data question for `hoofdzaak ask --json`: answered as the operator (every region and
    the national figures; not "onze regio" or "mijn trajecten"), `entry` null, `refs`
    ["data:<kind>"], and the FAQ entry on the rule behind it as a suggestion."""
    data = await data_answers.answer(services, session, data_answers.OPERATOR, dq)
    return {
        "question": question,
        "answered": data.answered,
        "entry": None,
        "refs": [data.ref],
        "score": 1.0,
        "answer": strip_html(data.reply.text).strip(),
        "suggestions": ask_json.rule_json(services.matcher, question),
    }


# -- what the programme team sees -----------------------------------------------------------


async def unanswered(
    services: Services, session: AsyncSession, days: int = 30, shown: int = SHOWN_MAX
) -> list[UnansweredGroup]:
    """Unanswered, 'none of these' and 👎 questions, grouped (bot/services/faq/inbox.py); texts
    shortened to `shown` characters."""
    since = services.clock() - timedelta(days=days)
    return group_unanswered(await QuestionRepo(session).unanswered(since), shown)
