"""Message rendering: escaping and splitting at Telegram's limit."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.render import Renderer
from bot.telegram_html import split as split_message
from bot.telegram_html import strip as strip_html


def _balanced(part: str) -> bool:
    stack: list[str] = []
    for closing, name in re.findall(r"<(/?)([a-z]+)[^>]*>", part):
        if closing:
            if not stack or stack.pop() != name:
                return False
        else:
            stack.append(name)
    return not stack


def test_short_text_is_one_part() -> None:
    assert split_message("<b>kort</b>") == ["<b>kort</b>"]


def test_long_text_splits_at_paragraphs_and_keeps_tags_balanced() -> None:
    text = "\n\n".join(f"<b>Kop {i}</b>\n<i>" + "woord &amp; " * 90 + "</i>" for i in range(12))
    parts = split_message(text, 1000)
    assert len(parts) > 1
    assert all(len(p) <= 1000 and _balanced(p) for p in parts)
    assert "".join(strip_html(p) for p in parts).replace(" ", "").replace("\n", "") == strip_html(
        text
    ).replace(" ", "").replace("\n", "")


def test_a_tag_spanning_a_break_is_closed_and_reopened() -> None:
    text = '<a href="https://example.org">' + "lang " * 400 + "</a>"
    parts = split_message(text, 500)
    assert len(parts) > 1
    assert all(
        p.startswith('<a href="https://example.org">') and p.endswith("</a>") for p in parts
    )


words = st.sampled_from(
    ["woord", "<b>vet</b>", "<i>schuin</i>", "&amp;", "\n", "\n\n", " ", "x" * 250, "é", "🙂"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(words, max_size=400), st.integers(min_value=300, max_value=4096))
def test_split_parts_fit_and_lose_nothing(pieces: list[str], limit: int) -> None:
    text = "".join(pieces)
    parts = split_message(text, limit)
    assert all(len(p) <= limit for p in parts)
    assert all(_balanced(p) for p in parts)

    def squash(s: str) -> str:
        return re.sub(r"\s+", "", strip_html(s))

    assert "".join(squash(p) for p in parts) == squash(text)


def test_templates_escape_user_text() -> None:
    out = Renderer().render("qa/none_of_these.html.j2", question="<b>x</b> & y")
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in out
