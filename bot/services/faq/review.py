"""/onbeantwoord for the programme team: the overview, then one question at a time with what
to do with it (link it to one of the likely entries, search another, keep it as a new topic,
ignore it), and the proposals users made after a 👎. Callback data `un:…` (bot/callbacks.py).
The work itself is in learning.py."""

from __future__ import annotations

import html
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import Flow, build, parse
from bot.domain import LearnedStatus, Role, Triage
from bot.services import Services
from bot.services.faq import learning
from bot.services.faq.inbox import SHOWN_MAX, UnansweredGroup, group_unanswered, shorten
from bot.services.people.accounts import Caller, caller
from bot.services.shared.replies import Button, Notice, Person, Reply
from bot.storage.models import LearnedPhrasing
from bot.storage.questions import LearnedRepo, QuestionRepo

LIKELY = 3  # entries offered for a question
FOUND = 6  # entries offered after a search
LISTED = 30  # questions in the overview
SEARCH = "inbox_search"  # what a pending typed text is (services.pending)


async def _groups(services: Services, session: AsyncSession, days: int) -> list[UnansweredGroup]:
    since = services.clock() - timedelta(days=days)
    return group_unanswered(await QuestionRepo(session).unanswered(since), SHOWN_MAX)


async def _proposals(session: AsyncSession) -> list[LearnedPhrasing]:
    return await LearnedRepo(session).with_status(LearnedStatus.PROPOSED)


async def overview(services: Services, session: AsyncSession, days: int) -> Reply:
    """The list of unhandled questions, with buttons to handle them and the proposals."""
    r = services.renderer
    groups = await _groups(services, session, days)
    proposals = await _proposals(session)
    candidates = await learning.new_topic_candidates(services, session)
    text = r.render(
        "admin/unanswered.html.j2",
        groups=groups[:LISTED],
        title=lambda g: services.kb.title_of(g.entry_id),
        days=days,
        total=sum(g.count for g in groups),
        proposals=len(proposals),
        learned=len(services.learned),
    )
    buttons = []
    if groups:
        buttons.append(Button(r.text("inbox_start"), build(Flow.INBOX, "n", 0)))
    if proposals:
        buttons.append(
            Button(r.text("inbox_proposals", n=len(proposals)), build(Flow.INBOX, "p", 0))
        )
    if candidates:
        buttons.append(
            Button(r.text("inbox_candidates", n=len(candidates)), build(Flow.INBOX, "c"))
        )
    return Reply.column(text, buttons)


def _link(services: Services, log_id: int, entry_id: str) -> Button:
    """ "➜ <title>": link the question to this entry."""
    title = services.kb.entry(entry_id).title
    return Button(
        services.renderer.text("inbox_link", title=title)[:64],
        build(Flow.INBOX, "l", log_id, entry_id),
    )


def _likely(services: Services, text: str, limit: int) -> list[str]:
    return [c.entry_id for c in services.matcher.candidates(text, limit=limit)][:limit]


async def card(
    services: Services, session: AsyncSession, position: int, note: str | None = None
) -> Reply:
    """One unhandled question with what to do with it; `note`: what was just done."""
    r = services.renderer
    groups = await _groups(services, session, learning.INBOX_DAYS)
    if not groups:
        return Reply(r.render("admin/inbox_done.html.j2", note=note, proposals=False))
    position = min(max(position, 0), len(groups) - 1)
    g = groups[position]
    buttons = [_link(services, g.log_id, e) for e in _likely(services, g.text, LIKELY)]
    buttons.append(Button(r.text("inbox_search"), build(Flow.INBOX, "s", g.log_id)))
    rows: list[tuple[Button, ...]] = [(b,) for b in buttons]
    rows.append(
        (
            Button(r.text("inbox_new_topic"), build(Flow.INBOX, "t", g.log_id)),
            Button(r.text("inbox_ignore"), build(Flow.INBOX, "i", g.log_id)),
        )
    )
    if position + 1 < len(groups):
        rows.append((Button(r.text("inbox_next"), build(Flow.INBOX, "n", position + 1)),))
    text = r.render(
        "admin/inbox_card.html.j2",
        g=g,
        position=position + 1,
        total=len(groups),
        title=services.kb.title_of(g.entry_id),
        note=note,
    )
    return Reply(text, tuple(rows))


async def proposal_card(
    services: Services, session: AsyncSession, position: int, note: str | None = None
) -> Reply:
    r = services.renderer
    proposals = [p for p in await _proposals(session) if p.entry_id in services.kb.by_id]
    if not proposals:
        return Reply(r.render("admin/inbox_done.html.j2", note=note, proposals=True))
    position = min(max(position, 0), len(proposals) - 1)
    p = proposals[position]
    rows: list[tuple[Button, ...]] = [
        (
            Button(r.text("inbox_confirm"), build(Flow.INBOX, "y", p.id)),
            Button(r.text("inbox_reject"), build(Flow.INBOX, "x", p.id)),
        )
    ]
    if position + 1 < len(proposals):
        rows.append((Button(r.text("inbox_next"), build(Flow.INBOX, "p", position + 1)),))
    text = r.render(
        "admin/inbox_proposal.html.j2",
        question=shorten(p.text),
        title=services.kb.entry(p.entry_id).title,
        position=position + 1,
        total=len(proposals),
        note=note,
    )
    return Reply(text, tuple(rows))


async def search(
    services: Services, session: AsyncSession, person: Person, log_id: int, words: str
) -> Reply:
    """The words typed after "Zoek een vraag…": the entries they find, to link."""
    r = services.renderer
    who = await caller(services, session, person)
    if not who.can(Role.PROGRAMME):
        return Reply(r.text("not_admin"))
    found = _likely(services, words, FOUND)
    rows: list[tuple[Button, ...]] = [(_link(services, log_id, e),) for e in found]
    rows.append(
        (
            Button(r.text("inbox_search_again"), build(Flow.INBOX, "s", log_id)),
            Button(r.text("inbox_back"), build(Flow.INBOX, "n", 0)),
        )
    )
    key = "inbox_found" if found else "inbox_found_nothing"
    return Reply(r.text(key, words=html.escape(shorten(words, 80))), tuple(rows))


async def _programme(services: Services, session: AsyncSession, person: Person) -> Caller | None:
    """The programme team member pressing (with a users row: links say who made them)."""
    who = await caller(services, session, person, record=True)
    return who if who.can(Role.PROGRAMME) else None


async def press(
    services: Services, session: AsyncSession, person: Person, data: str
) -> Reply | Notice:
    """An `un:` button. The role is checked again: button data can be forged."""
    r = services.renderer
    who = await _programme(services, session, person)
    if who is None:
        return Notice(r.text("not_admin"), alert=True)
    pressed = parse(data)
    if pressed is None or pressed.flow is not Flow.INBOX:
        return Notice(r.text("stale_button"))
    action, number = pressed.action, pressed.number(0)
    if action == "c":
        candidates = await learning.new_topic_candidates(services, session)
        back = Button(r.text("inbox_back"), build(Flow.INBOX, "n", 0))
        return Reply.column(r.render("admin/inbox_candidates.html.j2", items=candidates), [back])
    if number is None:
        return Notice(r.text("stale_button"))
    if action == "n":
        return await card(services, session, number)
    if action == "p":
        return await proposal_card(services, session, number)
    if action == "l":
        learned = await learning.link(services, session, who.user_id, number, pressed.arg(1))
        if learned is None:
            return Notice(r.text("stale_button"))
        note = r.text(
            "inbox_linked",
            question=html.escape(shorten(learned.text, 120)),
            title=html.escape(services.kb.entry(learned.entry_id).title),
        )
        return await card(services, session, 0, note)
    if action == "s":
        if await QuestionRepo(session).get(number) is None:
            return Notice(r.text("stale_button"))
        services.pending.expect(person.telegram_id, SEARCH, str(number), services.clock())
        return Reply(r.text("inbox_search_prompt"))
    if action in ("t", "i"):
        how = Triage.NEW_TOPIC if action == "t" else Triage.IGNORED
        row = await learning.triage(services, session, number, how)
        if row is None:
            return Notice(r.text("stale_button"))
        key = "inbox_kept_new_topic" if action == "t" else "inbox_ignored"
        note = r.text(key, question=html.escape(shorten(row.text, 120)))
        return await card(services, session, 0, note)
    if action == "y":
        confirmed = await learning.confirm(services, session, who.user_id, number)
        note = r.text("inbox_confirmed") if confirmed else r.text("inbox_proposal_gone")
        return await proposal_card(services, session, 0, note)
    if action == "x":
        done = await learning.reject(services, session, number)
        note = r.text("inbox_rejected") if done else r.text("inbox_proposal_gone")
        return await proposal_card(services, session, 0, note)
    return Notice(r.text("stale_button"))
