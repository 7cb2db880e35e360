"""Checking what people type when they register a trajectory: dates and pseudonyms.

Pure functions (no Telegram, no database). Errors carry a short Dutch message for the user.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, timedelta

from bot.render import Renderer
from bot.services.shared.dates import DateTextError, parse_day

EARLIEST_START = date(2017, 1, 1)  # the programme's first regional projects started end 2017
PSEUDONYM_MIN, PSEUDONYM_MAX = 2, 40

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.IGNORECASE)


class InputError(ValueError):
    """Input we cannot use; `str(error)` is the Dutch explanation for the user."""

    @classmethod
    def say(cls, key: str, **values: object) -> InputError:
        """The error with the Dutch sentence `key` of texts.yaml (section: typed input)."""
        return cls(Renderer.shared().text(key, **values))


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """What a person typed, without control characters (line breaks and tabs stay). They are
    invisible, mean nothing in a question, a pseudonym or an announcement, and PostgreSQL
    refuses a NUL in text."""
    return _CONTROL.sub("", text)


def normalize_typed(text: str) -> str:
    """Typed text as the checks and the database see it: compatibility forms folded (NFKC:
    fullwidth `ＫＬ`, superscript `¹²³` and circled `①` become KL, 123 and 1), invisible format
    characters dropped (zero-width spaces and joiners, direction marks and overrides such as
    RLO, which would reverse a list button), every decimal digit written as 0-9 (Arabic-Indic
    and others), control characters dropped, spaces collapsed."""
    folded = unicodedata.normalize("NFKC", clean_text(text))
    out = []
    for ch in folded:
        category = unicodedata.category(ch)
        if category == "Cf":
            continue
        if category == "Nd":
            out.append(str(unicodedata.decimal(ch)))
        else:
            out.append(ch)
    return " ".join("".join(out).split())


# A run of digits in which separators may stand between the digits (1112.22.333, 1112 22 333).
_DIGIT_RUN = re.compile(r"\d(?:[\s.,_/\\-]*\d)*")


def contains_bsn(text: str) -> bool:
    """Whether any 8 or 9 digits in a row (separators allowed) pass the 11-proef, anywhere in
    the text: 'KL1-123456782', '123456782-2', two BSNs in one field, an old 8-digit BSN
    (10000008 is 010000008). Call on normalized text (`normalize_typed`)."""
    for run in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"\D", "", run.group(0))
        for size in (9, 8):
            for start in range(len(digits) - size + 1):
                window = digits[start : start + size]
                if elfproef(window.rjust(9, "0")):
                    return True
    return False


BSN_REDACTED = "[BSN weggelaten]"


def redact_bsn(text: str) -> str:
    """The text with every run of digits that holds a BSN replaced (what is kept of a typed
    question: a BSN must never be stored)."""
    normalized = normalize_typed(text)
    if not contains_bsn(normalized):
        return text
    return _DIGIT_RUN.sub(
        lambda run: BSN_REDACTED if contains_bsn(run.group(0)) else run.group(0), normalized
    )


def as_number(text: str) -> int | None:
    """A number in callback data (an id, a page, a year): plain digits that fit in a database
    integer, else None. Forged data must not crash: '²'.isdigit() is true but int('²') fails,
    and SQLite and PostgreSQL refuse integers beyond 64 bits."""
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        return None
    return int(text)


def parse_dutch_date(text: str, today: date) -> date:
    """'12-3-2026', '12/3', '12 maart', '12 mrt 2026', '2026-03-12', 'vandaag', 'gisteren'."""
    try:
        return parse_day(text, today)
    except DateTextError as error:
        raise InputError.say(f"date_{error.kind}") from None


def check_start_date(day: date, today: date) -> date:
    """A trajectory starts from 2017 on and at most a month ahead."""
    if day < EARLIEST_START:
        raise InputError.say("start_before_programme")
    if day > today + timedelta(days=31):
        raise InputError.say("start_too_far_ahead")
    return day


def elfproef(digits: str) -> bool:
    """The Dutch BSN check ('11-proef'): 9 digits, weights 9…2 and -1, sum divisible by 11."""
    if len(digits) != 9 or not digits.isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    total -= int(digits[8])
    return total % 11 == 0 and digits != "000000000"


TUSSENVOEGSELS = {
    "van",
    "de",
    "der",
    "den",
    "het",
    "ter",
    "ten",
    "te",
    "in",
    "'t",
    "op",
    "la",
    "le",
}


_INITIAL = re.compile(r"^[^\W\d_]\.?$")


def _looks_like_name(value: str) -> bool:
    """'Jan Jansen', 'jan jansen', 'J. Jansen', 'Jansen, Jan', 'Fatima el Amrani', 'Piet van der
    Berg': two to five words of letters (or initials), no digits, one of them a word of three
    letters or more. Short codes of letters only ('KL AB') are not names."""
    if any(ch.isdigit() for ch in value):
        return False
    words = value.replace(",", " ").replace("-", " ").split()
    if not 2 <= len(words) <= 5:
        return False
    core = [w for w in words if w.lower() not in TUSSENVOEGSELS and w.lower() not in ("el", "al")]
    if len(core) < 2:
        return False
    initials = [w for w in core if _INITIAL.match(w)]
    names = [w for w in core if w not in initials]
    if not names or not all(w.replace("'", "").isalpha() for w in names):
        return False
    return any(len(w) >= 3 for w in names) and (len(names) >= 2 or bool(initials))


# Nine digits, separators between them allowed: a BSN, or a mistyped one (still a BSN).
_NINE_DIGITS = re.compile(r"(?<!\d)\d(?:[\s.\-/]?\d){8}(?!\d)")
# Words of a sentence that no code or name has (tussenvoegsels like "van", "de" are left out).
_FUNCTION_WORDS = frozenset(
    [
        "wat",
        "wie",
        "hoe",
        "waarom",
        "wanneer",
        "waar",
        "welke",
        "is",
        "zijn",
        "een",
        "ik",
        "je",
        "jij",
        "mag",
        "kan",
        "moet",
        "er",
        "dat",
        "dit",
        "voor",
        "met",
        "bij",
        "werkt",
        "heeft",
    ]
)


def _reads_as_sentence(value: str) -> bool:
    """'wat is een wsp?', 'dit is mijn kandidaat': a question or a sentence, not a code."""
    if "?" in value or "!" in value:
        return True
    words = re.findall(r"[^\W\d_]+", value.lower())
    return len(words) >= 2 and any(w in _FUNCTION_WORDS for w in words)


def check_pseudonym(text: str) -> str:
    """The coach's own code for a candidate: never a BSN (nor any nine digits: a mistyped
    BSN is still one), e-mail address, phone number, name, or a sentence or question.
    Returns it normalized (`normalize_typed`), as it is stored and compared."""
    value = normalize_typed(text)
    if not PSEUDONYM_MIN <= len(value) <= PSEUDONYM_MAX:
        raise InputError.say("pseudonym_length", low=PSEUDONYM_MIN, high=PSEUDONYM_MAX)
    if _EMAIL.search(value):
        raise InputError.say("pseudonym_email")
    if _reads_as_sentence(value):
        raise InputError.say("pseudonym_sentence")
    if _looks_like_name(value):
        raise InputError.say("pseudonym_name")
    compact = re.sub(r"[\s().-]", "", value)
    if re.fullmatch(r"(\+31|0031|0)[1-9]\d{8}", compact):
        raise InputError.say("pseudonym_phone")
    if contains_bsn(value) or _NINE_DIGITS.search(value):
        raise InputError.say("pseudonym_bsn")
    return value
