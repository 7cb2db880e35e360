"""Rendering the digest without a database: any text people typed (pseudonyms, questions,
announcements) is escaped, and the message always fits in one Telegram message."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from bot.config import Settings
from bot.render import Renderer
from bot.services import Services
from bot.services.messaging.digest import compose
from bot.services.messaging.digest.week import Week
from bot.services.progress import figures as st
from bot.storage.db import Database
from bot.storage.digest import AnnouncementRow, RegionWeek, TrajectoryRow
from bot.storage.questions import AskedRow
from bot.storage.stats import Counts
from knowledge.kb import KnowledgeBase
from knowledge.matcher import Matcher

UNTIL = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
OUR_TAGS = re.compile(r"</?(b|i)>")


@pytest.fixture(scope="module")
def services(kb: KnowledgeBase, matcher: Matcher) -> Services:
    return Services(
        settings=Settings(DATABASE_URL="sqlite+aiosqlite:///:memory:"),
        db=Database("sqlite+aiosqlite:///:memory:"),
        make_kb=lambda: kb,
        make_matcher=lambda: matcher,
        renderer=Renderer(),
    )


def _data(
    pseudonyms: list[str], questions: list[str], announcements: list[str]
) -> compose.WeekData:
    when = st.period(2026, UNTIL.date())
    regions = [
        st.RegionFigures("AM18", "Groot Amsterdam", None, 100, when, Counts(started=20)),
        st.RegionFigures("AM05", "Twente", None, 50, when, Counts(started=49)),
    ]
    total = st.GroupTotal(None, 2, 0, 150, when, Counts(started=69))
    rows = [
        TrajectoryRow(
            i + 1,
            1,
            f"HW-2026-{i + 1:05d}",
            p,
            "lopend",
            None,
            None,
            UNTIL - timedelta(days=61 + i),
        )
        for i, p in enumerate(pseudonyms)
    ]
    return compose.WeekData(
        week=Week(2026, 49),
        since=UNTIL - timedelta(days=7),
        until=UNTIL,
        trajectories={1: rows},
        regions={"AM18": RegionWeek(2, 1, 0)},
        national=st.National(when, regions, [], total),
        questions=[
            AskedRow(q, 100 + i, True, UNTIL - timedelta(hours=i + 1), region="AM18")
            for i, q in enumerate(questions)
        ],
        new_users={"coach": 2},
        announcements=[
            AnnouncementRow(i + 1, a, UNTIL - timedelta(hours=i + 1))
            for i, a in enumerate(announcements)
        ],
        received={1: set(range(1, len(announcements) + 1))},
    )


def _check(text: str, limit: int = 4096) -> None:
    assert len(text) <= limit
    assert "<" not in OUR_TAGS.sub("", text)  # every other < is escaped


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    pseudonyms=hs.lists(hs.text(max_size=40), max_size=40),
    questions=hs.lists(hs.text(min_size=1, max_size=400), max_size=30),
    announcements=hs.lists(hs.text(max_size=600), max_size=30),
)
def test_any_typed_text_is_escaped_and_fits(
    services: Services, pseudonyms: list[str], questions: list[str], announcements: list[str]
) -> None:
    data = _data(pseudonyms, questions, announcements)
    for role, region in (("coach", "AM18"), ("regio", "AM18"), ("programma", None)):
        who = compose.Recipient(1, 1, role, region, "<Sanne>", 0)
        d = compose.render(services, data, who)
        _check(d.text)
        assert "&lt;Sanne&gt;" in d.text
        assert len(d.buttons) <= compose.SHOW
        for row in d.buttons:
            for button in row:
                assert re.fullmatch(r"mt:d:\d+", button.data)


def test_announcement_titles_are_one_short_plain_line() -> None:
    assert compose.announcement_title("<b>Nieuw</b> &amp; <i>goed</i>\nmeer") == "Nieuw & goed"
    assert compose.announcement_title("\n\n  <b></b>\n Tweede regel") == "Tweede regel"
    assert compose.announcement_title("<b></b>") == "Mededeling"
    long = compose.announcement_title("woord " * 50)
    assert len(long) == compose.TITLE_MAX and long.endswith("…")


def test_the_furthest_behind_come_first(services: Services) -> None:
    data = _data([], [], [])
    who = compose.Recipient(1, 1, "programma", None, None, 0)
    text = compose.render(services, data, who).text
    # AM18: 20 of 100, pro rata about 91: far behind; AM05: 49 of 50 is on schedule
    assert "AM18 Groot Amsterdam: 20 van 100" in text and "AM05" not in text
