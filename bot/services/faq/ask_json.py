"""The JSON of `hoofdzaak ask --json` (DESIGN.md): one question, the matcher's answer. Kept
apart from answers.py so the command does not import the database layer to answer."""

from __future__ import annotations

import re
from typing import Any

from bot.render import Renderer
from bot.telegram_html import strip as strip_html
from knowledge.matcher import Match, Matcher, Outcome
from knowledge.models import Entry

MAX_QUESTION_CHARS = 1000  # longer messages are cut before matching and logging


def rule_entry(match: Match) -> str | None:
    """The FAQ entry behind a data question that is also about a rule ("hoeveel trajecten
    moet Twente halen?": the figure, and the entry on the ambition): the matcher's answer, or
    its best suggestion when the question has a word of a rule in it. Without one ("hoe staat
    Zuid-Limburg ervoor?") a suggestion is a guess, and no button is offered."""
    if match.outcome is Outcome.ANSWER:
        return match.entry_id
    if (
        match.outcome is Outcome.SUGGEST
        and match.suggestions
        and _RULE_WORDS.search(match.question)
    ):
        return match.suggestions[0]
    return None


# Words that make a data question also one about a rule: what must, may or counts.
_RULE_WORDS = re.compile(
    r"\b(?:moet|moeten|moest|moesten|mag|mogen|telt|tellen|regel\w*|verplicht\w*|afspra\w*|"
    r"must|should|allowed|counts?)\b",
    re.IGNORECASE,
)


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


def rule_json(matcher: Matcher, question: str) -> list[dict[str, Any]]:
    """The FAQ entry on the rule behind a data question, as `ask --json` lists suggestions."""
    rule = rule_entry(matcher.match(question))
    if rule is None:
        return []
    entry = matcher.kb.entry(rule)
    return [{"entry": rule, "refs": list(entry.refs), "title": entry.title}]
