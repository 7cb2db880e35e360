"""What coaches type when they register a trajectory: Dutch dates and pseudonyms."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import TIMEZONE
from bot.services.messaging.announcements import parse_when
from bot.services.shared.dates import (
    MONTH_NAMES,
    DateProblem,
    DateTextError,
    parse_moment,
    show_day,
    show_moment,
)
from bot.services.shared.inputs import (
    BSN_REDACTED,
    InputError,
    check_pseudonym,
    check_start_date,
    elfproef,
    parse_dutch_date,
    redact_bsn,
)

TODAY = date(2026, 11, 23)
SHORT = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12-3-2026", date(2026, 3, 12)),
        ("12/3/26", date(2026, 3, 12)),
        ("1.11.2025", date(2025, 11, 1)),
        ("12-3", date(2026, 3, 12)),
        ("12 maart", date(2026, 3, 12)),
        ("12 Maart 2025", date(2025, 3, 12)),
        ("3 okt", date(2026, 10, 3)),
        ("2026-03-12", date(2026, 3, 12)),
        ("vandaag", TODAY),
        (" Gisteren ", date(2026, 11, 22)),
        ("eergisteren", date(2026, 11, 21)),
    ],
)
def test_dutch_dates(text: str, expected: date) -> None:
    assert parse_dutch_date(text, TODAY) == expected


@pytest.mark.parametrize("text", ["31-2-2026", "morgenochtend", "12 maartje", "", "2026"])
def test_unusable_dates_explain_in_dutch(text: str) -> None:
    with pytest.raises(InputError, match="datum"):
        parse_dutch_date(text, TODAY)


@given(st.dates(min_value=date(2026, 11, 24), max_value=date(2027, 11, 22)))
def test_one_parser_reads_a_day_the_same_for_a_trajectory_and_an_announcement(day: date) -> None:
    """Whatever way of writing a day /registreer understands, /bericht understands too (with a
    time after it), and both read the same day."""
    now = datetime(2026, 11, 23, 12, 0, tzinfo=TIMEZONE)
    month = MONTH_NAMES[day.month - 1]
    for text in (
        f"{day.day}-{day.month}-{day.year}",
        f"{day.day}/{day.month}/{day.year % 100}",
        f"{day.day}.{day.month}.{day.year}",
        f"{day.day} {month} {day.year}",
        f"{day.day} {SHORT[day.month - 1]}. {day.year}",
        day.isoformat(),
    ):
        assert parse_dutch_date(text, TODAY) == day, text
        assert parse_when(f"{text} om 9:30", now) == datetime.combine(
            day, time(9, 30), TIMEZONE
        ), text


def test_dates_are_written_the_dutch_way() -> None:
    assert show_day(date(2026, 3, 5)) == "5-3-2026"
    # stored in UTC, shown in Amsterdam time (CET in winter)
    assert show_moment(datetime(2026, 12, 5, 8, 5, tzinfo=UTC)) == "5 december 2026 9:05"


def test_a_moment_without_a_year_is_the_next_one_even_around_29_february() -> None:
    now = datetime(2028, 3, 1, 12, 0, tzinfo=TIMEZONE)  # 29 February 2028 has passed
    assert parse_moment("1 maart 9:00", now) == datetime(2029, 3, 1, 9, 0, tzinfo=TIMEZONE)
    with pytest.raises(DateTextError) as refused:  # 2029 has no 29 February
        parse_moment("29 feb 9:00", now)
    assert refused.value.kind is DateProblem.NO_SUCH_DATE
    with pytest.raises(InputError, match="bestaat niet"):
        parse_when("29 feb 9:00", now)


def test_start_date_limits() -> None:
    assert check_start_date(date(2017, 1, 1), TODAY) == date(2017, 1, 1)
    with pytest.raises(InputError, match="2017"):
        check_start_date(date(2016, 12, 31), TODAY)
    with pytest.raises(InputError, match="maand"):
        check_start_date(date(2027, 1, 1), TODAY)


def test_elfproef() -> None:
    assert elfproef("111222333")  # a well-known test BSN
    assert elfproef("123456782")
    assert not elfproef("123456789")
    assert not elfproef("12345678")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("111222333", "BSN"),
        ("1112.22.333", "BSN"),
        ("bsn 123456782", "BSN"),
        ("jan.jansen@gemeente.nl", "e-mailadres"),
        ("06-12345678", "telefoonnummer"),
        ("+31 6 12345678", "telefoonnummer"),
        ("x", "tekens"),
        ("a" * 41, "tekens"),
    ],
)
def test_pseudonyms_that_could_identify_someone_are_refused(text: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason):
        check_pseudonym(text)


@pytest.mark.parametrize(
    "text",
    [
        "KL1-123456782",  # a BSN after another digit
        "123456782-2",  # … or before one
        "KL 111222333 en 123456782",  # two in one field
        "10000008",  # an old 8-digit BSN (010000008)
        "1000 0008",
        "¹²³⁴⁵⁶⁷⁸²",  # superscript digits
        "①②③④⑤⑥⑦⑧②",  # circled digits
        "１２３４５６７８２",  # fullwidth (already refused: kept)
        "١٢٣٤٥٦٧٨٢",  # Arabic-Indic (already refused: kept)
        "1234\u200b56782",  # split by a zero-width space (already refused: kept)
        "KL\u2060123456782",  # a word joiner
        "123456789",  # nine digits that fail the 11-proef: a mistyped BSN is still a BSN
        "KL 123.456.789",
    ],
)
def test_a_bsn_anywhere_in_a_pseudonym_is_refused(text: str) -> None:
    with pytest.raises(InputError, match="BSN"):
        check_pseudonym(text)


@pytest.mark.parametrize(
    "text", ["Jan Jansen", "jan jansen", "J. Jansen", "Jansen, Jan", "Piet van der Berg"]
)
def test_names_in_any_form_are_refused(text: str) -> None:
    with pytest.raises(InputError, match="naam"):
        check_pseudonym(text)


@pytest.mark.parametrize(
    "text", ["wat is een wsp?", "hoe werkt dit", "dit is mijn kandidaat", "KL-07 of KL-08?"]
)
def test_sentences_and_questions_are_refused(text: str) -> None:
    with pytest.raises(InputError, match="zin of een vraag"):
        check_pseudonym(text)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("KL\u200b-07", "KL-07"),  # zero-width space: would dodge the duplicate warning
        ("\u202eKL-07", "KL-07"),  # right-to-left override: would reverse the list button
        ("ＫＬ－０７", "KL-07"),  # fullwidth letters
        ("KL\u00a0 07", "KL 07"),
    ],
)
def test_pseudonyms_are_stored_without_invisible_or_wide_characters(
    typed: str, stored: str
) -> None:
    assert check_pseudonym(typed) == stored


@pytest.mark.parametrize("text", ["KL-07", "coach12 cl 3", "AB 2026-14", "KL AB", "12345678"])
def test_own_codes_are_fine(text: str) -> None:
    assert check_pseudonym(text) == " ".join(text.split())


def test_a_bsn_in_a_question_is_not_kept() -> None:
    kept = redact_bsn("mag mijn cliënt 1112.22.333 meedoen?")
    assert "333" not in kept and BSN_REDACTED in kept
    assert redact_bsn("wie betaalt de eerste 8 gesprekken?") == (
        "wie betaalt de eerste 8 gesprekken?"
    )
    assert redact_bsn("hoeveel kost het in 2026?") == "hoeveel kost het in 2026?"


@given(st.text(max_size=80))
def test_any_text_is_accepted_or_explained(text: str) -> None:
    for check in (lambda t: parse_dutch_date(t, TODAY), check_pseudonym):
        try:
            check(text)
        except InputError as exc:
            assert str(exc)  # a Dutch explanation, never a crash
