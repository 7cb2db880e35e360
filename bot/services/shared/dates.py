"""Dutch dates and times: reading what people type, and writing them the way people read them.

One parser for every place where someone types a day or a moment: a trajectory's dates
(/registreer, /mijntrajecten) and an announcement's planned moment (/bericht, the CLI). The
callers decide what a date may be (not before 2017, not in the past); this module only reads.

Days: '12-3-2026', '12/3', '12.3.26', '12 maart', '12 mrt 2026', '2026-03-12', 'vandaag',
'gisteren', 'eergisteren', 'morgen', 'overmorgen'. Moments: a day and a time, '5-12 9:00',
'5 december om 14.30 uur', 'morgen 9:00', or only a time ('9:00': today).

Pure functions, no Telegram and no database. A text that cannot be read raises `DateTextError`
with its `kind`; the caller turns that into a Dutch sentence from texts.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.config import TIMEZONE

MONTH_NAMES = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
_ABBREVIATIONS = {
    "jan": 1,
    "feb": 2,
    "mrt": 3,
    "apr": 4,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "sept": 9,
    "okt": 10,
    "nov": 11,
    "dec": 12,
}
MONTHS = {name: i for i, name in enumerate(MONTH_NAMES, start=1)} | _ABBREVIATIONS
WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
WEEKDAYS_SHORT = ("Ma", "Di", "Wo", "Do", "Vr", "Za", "Zo")
# Days counted from today
RELATIVE = {"eergisteren": -2, "gisteren": -1, "vandaag": 0, "morgen": 1, "overmorgen": 2}

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[-/. ](\d{1,2})(?:[-/. ](\d{2}|\d{4}))?$")
_WORDS = re.compile(r"^(\d{1,2})\s+([a-z]+)\.?(?:\s+(\d{4}))?$")
_MOMENT = re.compile(r"^(?P<day>.*?)[\s,]*(?:om\s+)?(?P<h>\d{1,2})[:.](?P<m>\d{2})(?:\s*uur)?$")


class DateProblem(StrEnum):
    UNREADABLE = "unreadable"  # not a date (or moment) we can read
    NO_SUCH_DATE = "no_such_date"  # read, but the day does not exist: 31-2
    NO_SUCH_TIME = "no_such_time"  # read, but the time does not exist: 25:00


class DateTextError(ValueError):
    def __init__(self, kind: DateProblem) -> None:
        super().__init__(kind.value)
        self.kind = kind


@dataclass(frozen=True)
class TypedDay:
    day: date
    year_given: bool  # False: the year was left out and taken from today


def _clean(text: str) -> str:
    return " ".join(text.strip().lower().split())


def read_day(text: str, today: date) -> TypedDay:
    """The day in the text; without a year, this year's."""
    raw = _clean(text)
    if raw in RELATIVE:
        return TypedDay(today + timedelta(days=RELATIVE[raw]), True)
    try:
        if m := _ISO.match(raw):
            return TypedDay(date(int(m[1]), int(m[2]), int(m[3])), True)
        if m := _NUMERIC.match(raw):
            return TypedDay(date(_year(m[3], today), int(m[2]), int(m[1])), m[3] is not None)
        if (m := _WORDS.match(raw)) and m[2] in MONTHS:
            return TypedDay(date(_year(m[3], today), MONTHS[m[2]], int(m[1])), m[3] is not None)
    except ValueError:
        raise DateTextError(DateProblem.NO_SUCH_DATE) from None
    raise DateTextError(DateProblem.UNREADABLE)


def parse_day(text: str, today: date) -> date:
    """The day in the text: '12-3-2026', '12 maart', 'gisteren'; DateTextError if unreadable."""
    return read_day(text, today).day


# A moment moved to next year that lies further ahead than this is asked about (read_moment).
SURPRISING_DAYS = 183


def parse_moment(text: str, now: datetime) -> datetime:
    """A day and a time in Europe/Amsterdam. Without a year, the next such moment (a moment
    earlier this year means next year); without a day, today, or tomorrow when that time has
    passed. Whether it lies in the future is for the caller to check."""
    return read_moment(text, now)[0]


def read_moment(text: str, now: datetime) -> tuple[datetime, bool]:
    """`parse_moment`, and whether the moment was moved forward in a way the person may not
    have meant, because, typed without a year (or without a day), it had already passed:
    '1-12 9:00' on 7 December is 1 December next year, '9:00' at 10:00 is tomorrow. A caller
    asks before it uses such a moment. A day that passed more than half a year ago ('3 jan' in
    December) plainly means the next one: moved, but not flagged."""
    m = _MOMENT.match(_clean(text))
    if m is None:
        raise DateTextError(DateProblem.UNREADABLE)
    hour, minute = int(m["h"]), int(m["m"])
    day_text = m["day"].strip().removesuffix(" om").strip()
    local = now.astimezone(TIMEZONE)
    typed = read_day(day_text, local.date()) if day_text else TypedDay(local.date(), True)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise DateTextError(DateProblem.NO_SUCH_TIME)
    day = typed.day
    when = datetime(day.year, day.month, day.day, hour, minute, tzinfo=TIMEZONE)
    if when > local:
        return when, False
    if not day_text:  # only a time, already past today: tomorrow
        tomorrow = day + timedelta(days=1)
        return datetime(
            tomorrow.year, tomorrow.month, tomorrow.day, hour, minute, tzinfo=TIMEZONE
        ), True
    if not typed.year_given:
        try:
            later = when.replace(year=when.year + 1)
        except ValueError:  # 29 February, next year has none
            raise DateTextError(DateProblem.NO_SUCH_DATE) from None
        return later, later - local > timedelta(days=SURPRISING_DAYS)
    return when, False


def _year(text: str | None, today: date) -> int:
    if text is None:
        return today.year
    year = int(text)
    return 2000 + year if year < 100 else year


def show_day(day: date) -> str:
    """'12-3-2026'."""
    return f"{day.day}-{day.month}-{day.year}"


def show_long_day(day: date) -> str:
    """'7 december 2026' (where a sentence says when: "stand: 7 december 2026")."""
    return f"{day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def show_moment(when: datetime) -> str:
    """'5 december 2026 9:00' (Europe/Amsterdam)."""
    local = when.astimezone(TIMEZONE)
    month = MONTH_NAMES[local.month - 1]
    return f"{local.day} {month} {local.year} {local.hour}:{local.minute:02d}"
