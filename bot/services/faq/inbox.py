"""The programme team's inbox of questions without a good answer (`/onbeantwoord`, the
digest): the same phrasing grouped, repeats collapsed, and a cap on what people without an
account can put in it.

Anyone may ask the bot a question, so anyone could fill the team's inbox: someone without an
account typing 20 long questions every 10 seconds would bury the real ones. So per person
without an account only their first `UNREGISTERED_PER_DAY` such questions of a day count (the
rest is still logged for the figures, just not listed), a group is ranked by how many
different people asked it before how often, and a text is shown shortened.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.storage.questions import AskedRow
from knowledge.text import canonical_text

UNREGISTERED_PER_DAY = 3
SHOWN_MAX = 300  # characters of a question shown in a list


@dataclass(frozen=True)
class UnansweredGroup:
    text: str
    count: int  # how often it was asked (after the cap)
    askers: int  # by how many different people
    downvoted: int
    last_asked: datetime
    entry_id: str | None  # the entry that got the 👎, if any
    log_id: int = 0  # the newest question of the group (question_log.id)
    unpicked: int = 0  # how often it got "Bedoel je …?" buttons and none was pressed


class PendingInput:
    """Who pressed a button after which their next typed text is an answer: "Zoek een
    vraag…" in /onbeantwoord (the search words), "Regio wijzigen" in /gebruikers (a region
    name). Kept in memory for MINUTES; a restart forgets it, and the button works again."""

    MINUTES = 10

    def __init__(self) -> None:
        self._waiting: dict[int, tuple[str, str, datetime]] = {}

    def expect(self, telegram_id: int, kind: str, value: str, now: datetime) -> None:
        self._waiting[telegram_id] = (kind, value, now + timedelta(minutes=self.MINUTES))

    def take(self, telegram_id: int, now: datetime) -> tuple[str, str] | None:
        """(kind, value) of what the person's text answers, once; None if nothing waits."""
        found = self._waiting.pop(telegram_id, None)
        if found is None or found[2] < now:
            return None
        return found[0], found[1]


def capped(rows: Iterable[AskedRow]) -> list[AskedRow]:
    """The rows that count: all of staff, the first few per day of everyone else."""
    kept: list[AskedRow] = []
    per_day: dict[tuple[int | None, date], int] = defaultdict(int)
    for row in sorted(rows, key=lambda r: r.asked_at):
        if not row.registered:
            key = (row.user_id, row.asked_at.date())
            per_day[key] += 1
            if per_day[key] > UNREGISTERED_PER_DAY:
                continue
        kept.append(row)
    return kept


def question_key(text: str) -> str:
    """What makes two questions "the same" in the inbox: the same words after folding."""
    return canonical_text(text) or text


def shorten(text: str, limit: int = SHOWN_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def group_unanswered(rows: Iterable[AskedRow], limit: int = SHOWN_MAX) -> list[UnansweredGroup]:
    """Group by the normalised text; most different askers first, then most asked, newest."""
    groups: dict[str, list[AskedRow]] = defaultdict(list)
    for row in capped(rows):
        groups[question_key(row.text)].append(row)
    out = []
    for logs in groups.values():
        newest = max(logs, key=lambda r: r.asked_at)
        downvoted = [r for r in logs if r.feedback == "down" and r.entry_id]
        out.append(
            UnansweredGroup(
                text=shorten(newest.text, limit),
                count=len(logs),
                askers=len({r.user_id for r in logs}),
                downvoted=sum(r.feedback == "down" for r in logs),
                last_asked=newest.asked_at,
                entry_id=downvoted[0].entry_id if downvoted else None,
                log_id=newest.id,
                unpicked=sum(r.unpicked for r in logs),
            )
        )
    out.sort(key=lambda g: (-g.askers, -g.count, -g.last_asked.timestamp(), g.text))
    return out
