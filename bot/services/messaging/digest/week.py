"""The ISO week of a digest, and 09:00 Amsterdam on a user's weekday."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.config import TIMEZONE

HOUR = 9  # the digest arrives at 09:00 Europe/Amsterdam
_WEEK = re.compile(r"(\d{4})-?W(\d{1,2})", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Week:
    year: int
    number: int

    @classmethod
    def of(cls, moment: datetime) -> Week:
        """The ISO week of a moment, in Amsterdam."""
        year, number, _ = moment.astimezone(TIMEZONE).isocalendar()
        return cls(year, number)

    @classmethod
    def parse(cls, text: str) -> Week:
        """`2026-W48` (or `2026W48`); ValueError with a clear message otherwise."""
        m = _WEEK.fullmatch(text.strip())
        if m is None:
            raise ValueError(f"week {text!r}: write it as YYYY-Www, e.g. 2026-W48")
        year, number = int(m.group(1)), int(m.group(2))
        try:
            date.fromisocalendar(year, number, 1)
        except ValueError:
            raise ValueError(f"week {text!r}: {year} has no ISO week {number}") from None
        return cls(year, number)

    @property
    def label(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def key(self) -> str:
        return f"digest:{self.label}"

    def day(self, weekday: int) -> date:
        return date.fromisocalendar(self.year, self.number, weekday + 1)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.day(0), time(0), TIMEZONE)

    @property
    def end(self) -> datetime:
        """Monday 00:00 of the next week."""
        return datetime.combine(self.day(0) + timedelta(days=7), time(0), TIMEZONE)

    def due(self, weekday: int) -> datetime:
        """09:00 Amsterdam on that weekday of this week (DST-correct: 07:00 or 08:00 UTC)."""
        return datetime.combine(self.day(weekday), time(HOUR), TIMEZONE)


def window(week: Week, now: datetime) -> tuple[datetime, datetime]:
    """The 7 days up to now, or up to the end of the week for a week that is over."""
    until = min(now.astimezone(TIMEZONE), week.end)
    return until - timedelta(days=7), until
