"""Guided checks in the chat: one question at a time, then the verdict with its reasons.

The state of a check lives in its buttons: callback data `chk:<code>:<user>:<path>` carry the
check, the person who started it and the answers so far (option positions, see
`knowledge.decisions.encode`). Nothing is kept on the server between presses, so a check
survives a restart of the bot, and an old button simply continues from where it was.
`chk:<code>:0:` starts a check for whoever presses it (buttons under /start and answers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import Flow, build, parse
from bot.services import Services
from bot.services.shared.replies import Button, Notice, Reply
from bot.storage.models import CheckLog
from bot.storage.questions import CheckLogRepo
from bot.storage.users import UserRepo
from knowledge.decisions import Check, CheckInputError, Evaluation, decode, encode, evaluate

HELP_ACTION = "?"
FOLLOW_UPS = 5  # FAQ answers offered under a verdict


@dataclass(frozen=True)
class Press:
    """Parsed callback data of a check button."""

    code: str
    owner: int  # Telegram id of the person whose check it is; 0 = whoever presses
    path: str
    action: str = ""

    @classmethod
    def parse(cls, data: str) -> Press | None:
        """chk:<check code>:<owner>:<path>[:?] (the path: the options chosen so far)."""
        pressed = parse(data)
        if pressed is None or pressed.flow is not Flow.CHECK:
            return None
        owner, path, action = pressed.number(0), pressed.arg(1), pressed.arg(2)
        answered = path.isascii() and path.isdigit()  # option positions, or "" at the start
        if owner is None or action not in ("", HELP_ACTION) or not (answered or not path):
            return None
        return cls(pressed.action, owner, path, action)


def data(check: Check, owner: int, path: str, action: str = "") -> str:
    return build(Flow.CHECK, check.code, owner, path, *((action,) if action else ()))


def by_code(services: Services, code: str) -> Check | None:
    return next((c for c in services.kb.checks.values() if c.code == code), None)


def by_command(services: Services, command: str) -> Check | None:
    return next((c for c in services.kb.checks.values() if c.command == command), None)


def start_button(services: Services, check: Check) -> Button:
    return Button(services.renderer.text("check_suggest", title=check.title), data(check, 0, ""))


def suggestions_for_entry(services: Services, entry_id: str) -> list[Button]:
    """ "Doe de check" buttons for an FAQ answer about eligibility."""
    return [
        start_button(services, c) for c in services.kb.checks.values() if entry_id in c.suggest_for
    ]


def _answers(services: Services, evaluation: Evaluation) -> list[tuple[str, str]]:
    facts = services.kb.facts.facts
    return [(facts[s.fact].short, facts[s.fact].options[s.value]) for s in evaluation.steps]


def _nav(services: Services, check: Check, owner: int, path: str) -> tuple[Button, ...]:
    r = services.renderer
    row = []
    if path:
        row.append(Button(r.text("check_back"), data(check, owner, path[:-1])))
    if len(path) > 1:
        row.append(Button(r.text("check_restart"), data(check, owner, "")))
    return tuple(row)


def render(services: Services, check: Check, owner: int, path: str) -> Reply:
    """The message for a check at `path`: the next question, or the verdict."""
    vocab = services.kb.facts
    evaluation = evaluate(check, vocab, decode(check, vocab, path))
    r = services.renderer
    if evaluation.outcome is None:
        assert evaluation.next_fact is not None
        fact = vocab.facts[evaluation.next_fact]
        text = r.render(
            "checks/question.html.j2",
            check=check,
            answers=_answers(services, evaluation),
            number=len(evaluation.steps) + 1,
            question=fact.question,
        )
        rows: list[tuple[Button, ...]] = [
            (Button(label, data(check, owner, path + str(i))),)
            for i, label in enumerate(fact.options.values())
        ]
        rows.append(
            (
                *_nav(services, check, owner, path),
                Button(r.text("check_help"), data(check, owner, path, HELP_ACTION)),
            )
        )
        return Reply(text, tuple(rows))
    refs = evaluation.refs
    text = r.render(
        "checks/verdict.html.j2",
        check=check,
        answers=_answers(services, evaluation),
        outcome=evaluation.outcome,
        reasons=evaluation.reasons,
        sources=services.kb.refs_label(refs),
    )
    kb = services.kb
    follow = [f"faq-{ref[4:].replace('.', '-')}" for ref in refs if ref.startswith("faq:")]
    follow += list(evaluation.outcome.related)
    rows = [
        (
            Button(
                f"{kb.entry(e).faq_numbers[0] + ' ' if kb.entry(e).faq_numbers else ''}"
                f"{kb.entry(e).title}",
                build(Flow.QA, "rel", e),
            ),
        )
        for e in [e for e in dict.fromkeys(follow) if e in kb.by_id][:FOLLOW_UPS]
    ]
    rows.append(_nav(services, check, owner, path))
    return Reply(text, tuple(rows))


def start(services: Services, check: Check, owner: int) -> Reply:
    return render(services, check, owner, "")


async def press(
    services: Services, session: AsyncSession, press: Press, presser: int, chat_type: str
) -> Reply | Notice:
    """A check button was pressed: the next message, a help pop-up, or a polite notice."""
    r = services.renderer
    check = by_code(services, press.code)
    if check is None:
        return Notice(r.text("stale_button"))
    if press.owner not in (0, presser):
        return Notice(r.text("check_not_yours", command=check.command), alert=True)
    owner = press.owner or presser
    vocab = services.kb.facts
    try:
        evaluation = evaluate(check, vocab, decode(check, vocab, press.path))
    except CheckInputError:
        return Notice(r.text("check_stale", command=check.command))
    if press.action == HELP_ACTION:
        if evaluation.next_fact is None:
            return Notice(evaluation.outcome.title if evaluation.outcome else check.title)
        return Notice(vocab.facts[evaluation.next_fact].help, alert=True)
    if evaluation.outcome_id is not None and evaluation.outcome is not None:
        user = await UserRepo(session).by_telegram_id(presser)
        CheckLogRepo(session).add(
            CheckLog(
                check_id=check.id,
                outcome=evaluation.outcome_id,
                verdict=evaluation.outcome.verdict,
                region=user.region if user is not None and user.active else None,
                chat_type=chat_type[:16],
                finished_at=services.clock(),
            )
        )
        await session.commit()
    return render(services, check, owner, encode(check, vocab, evaluation))


@dataclass(frozen=True)
class OutcomeCount:
    check_id: str
    check_title: str
    outcome: str
    title: str
    verdict: str
    count: int


async def stats(services: Services, session: AsyncSession, days: int) -> list[OutcomeCount]:
    """How often each outcome of each check occurred in the last `days` days."""
    since = services.clock() - timedelta(days=days)
    out = []
    for check_id, outcome_id, count in await CheckLogRepo(session).outcome_counts(since):
        check = services.kb.checks.get(check_id)
        outcome = check.outcomes.get(outcome_id) if check else None
        out.append(
            OutcomeCount(
                check_id,
                check.title if check else check_id,
                outcome_id,
                outcome.title if outcome else outcome_id,
                outcome.verdict if outcome else "?",
                int(count),
            )
        )
    out.sort(key=lambda c: (c.check_id, -c.count, c.outcome))
    return out


async def stats_reply(services: Services, session: AsyncSession, days: int) -> Reply:
    rows = await stats(services, session, days)
    return Reply(services.renderer.render("checks/stats.html.j2", rows=rows, days=days))
