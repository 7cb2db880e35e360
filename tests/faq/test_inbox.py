"""The team's inbox of unanswered questions: grouped, repeats collapsed, strangers capped."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config import TIMEZONE
from bot.services.faq.inbox import UNREGISTERED_PER_DAY, group_unanswered
from bot.storage.questions import AskedRow

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=TIMEZONE)


def _row(text: str, user: int, registered: bool, minutes: int = 0) -> AskedRow:
    return AskedRow(text, user, registered, T0 + timedelta(minutes=minutes))


def test_people_without_an_account_count_a_few_times_a_day() -> None:
    rows = [_row(f"vraag {i}", 1, False, i) for i in range(10)]
    rows += [_row(f"vraag {i}", 1, False, 24 * 60 + i) for i in range(10)]  # the next day
    groups = group_unanswered(rows)
    assert sum(g.count for g in groups) == 2 * UNREGISTERED_PER_DAY
    assert {g.text for g in groups} == {"vraag 0", "vraag 1", "vraag 2"}


def test_staff_are_never_capped_and_many_askers_rank_first() -> None:
    rows = [_row("hoe vraag ik WIA aan?", 2, True, i) for i in range(6)]  # one person, 6×
    rows += [_row("Wat is loonwaarde", u, True, u) for u in (3, 4, 5)]  # three people
    first, second = group_unanswered(rows)
    assert (first.text, first.count, first.askers) == ("Wat is loonwaarde", 3, 3)
    assert (second.count, second.askers) == (6, 1)


def test_long_texts_are_shortened() -> None:
    (group,) = group_unanswered([_row("lang " * 200, 1, True)], limit=50)
    assert len(group.text) == 50 and group.text.endswith("…")
