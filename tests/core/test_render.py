"""Message rendering: escaping and splitting at Telegram's limit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jinja2 import ChainableUndefined

from bot.render import TEMPLATES, Renderer
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


# -- no glued sentences ------------------------------------------------------------------------

# A sentence end (or a label's colon) followed directly by a letter: "bevestigt.Regio".
GLUED = re.compile(r"[a-zà-öø-ÿ0-9)][.!?:][A-Za-zÀ-ÖØ-öø-ÿ]")


class _Value(ChainableUndefined):
    """Every variable a template uses: a sentence ("Zin."), truthy, a list of `width` of
    itself, and anything it is compared with or added to."""

    width = 2

    def __bool__(self) -> bool:
        return True

    def __iter__(self) -> Iterator[Any]:
        return iter([self] * type(self).width)

    def __len__(self) -> int:
        return type(self).width

    def __str__(self) -> str:
        return "Zin."

    def __html__(self) -> str:
        return "Zin."

    def __call__(self, *args: object, **kwargs: object) -> Any:
        return self

    def __getitem__(self, key: object) -> Any:
        return self

    def __add__(self, other: object) -> Any:
        return self

    __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __add__

    # Undefined raises on comparisons; this placeholder answers them.
    def __lt__(self, *args: Any, **kwargs: Any) -> bool:  # type: ignore[override]
        return False

    def __le__(self, *args: Any, **kwargs: Any) -> bool:  # type: ignore[override]
        return False

    def __gt__(self, *args: Any, **kwargs: Any) -> bool:  # type: ignore[override]
        return False

    def __ge__(self, *args: Any, **kwargs: Any) -> bool:  # type: ignore[override]
        return False

    def __eq__(self, other: object) -> bool:
        return False

    def __ne__(self, other: object) -> bool:
        return True

    def __hash__(self) -> int:
        return 1

    def __round__(self, ndigits: int | None = None) -> int:
        return 1

    def __format__(self, spec: str) -> str:
        return "1"


class _Empty(_Value):
    """The same, falsy and empty: the other branch of every {% if %}."""

    def __bool__(self) -> bool:
        return False

    def __iter__(self) -> Iterator[Any]:
        return iter([])

    def __len__(self) -> int:
        return 0


def _render_any(renderer: Renderer, name: str, value: type[_Value]) -> str:
    """Render with every variable a `value`; a loop that unpacks n values gets n-tuples."""
    for _ in range(5):
        try:
            return renderer.render(name)
        except ValueError as exc:
            wanted = re.search(r"expected (\d+)", str(exc))
            if wanted is None:
                raise
            value.width = int(wanted.group(1))
    raise AssertionError(f"{name}: could not render")


# Templates whose loops unpack rows of different widths: rendered with sample values instead,
# once with every {% if %} true and once false.
SAMPLES: dict[str, list[dict[str, Any]]] = {
    "followup/detail.html.j2": [
        {
            "note": "Opgeslagen.",
            "reference": "HW-2026-00001",
            "status": "lopend",
            "rows": [("Regio", "AM18."), ("Start", "1-3-2026.")],
            "days": 3,
            "ips_long": True,
            "history": [("1-3-2026", "Regio", "AM01.", "AM18.", "Sanne.")],
            "read_only": True,
        },
        {
            "note": None,
            "reference": "HW-2026-00001",
            "status": "lopend",
            "rows": [],
            "days": 0,
            "ips_long": False,
            "history": [],
            "read_only": False,
        },
    ],
}


@pytest.mark.parametrize("value", [_Value, _Empty])
def test_no_template_glues_sentences_together(value: type[_Value]) -> None:
    """Every template, with every {% if %} true and then false: no sentence end directly
    followed by a letter (a block tag that ate the line break)."""
    renderer = Renderer()
    renderer.env.undefined = value
    renderer.env.filters["paragraphs"] = str
    glued = []
    for path in sorted(TEMPLATES.rglob("*.j2")):
        name = str(path.relative_to(TEMPLATES))
        value.width = 2
        if name in SAMPLES:
            rendered = Renderer().render(name, **SAMPLES[name][0 if value is _Value else 1])
        else:
            rendered = _render_any(renderer, name, value)
        text = re.sub(r"<[^>]+>", "", rendered)
        glued += [f"{name}: …{text[m.start() - 20 : m.end() + 10]}…" for m in GLUED.finditer(text)]
    assert glued == []


def test_no_text_glues_sentences_together() -> None:
    """The short texts (texts.yaml) and the form questions (fields.yaml) with their values
    filled in as sentences."""
    texts = yaml.safe_load((TEMPLATES / "texts.yaml").read_text(encoding="utf-8"))
    fields = yaml.safe_load((TEMPLATES / "fields.yaml").read_text(encoding="utf-8"))
    strings = [*texts.values(), *_strings(fields)]
    glued = [
        s for s in strings if GLUED.search(re.sub(r"\{\w+\}", "Zin.", s).replace("t.m.", "tm"))
    ]
    assert glued == []


def _strings(data: object) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for v in data.values():
            yield from _strings(v)
    elif isinstance(data, list):
        for v in data:
            yield from _strings(v)


def test_numbers_are_written_one_way() -> None:
    renderer = Renderer()
    text = renderer.render("export/done.html.j2", count=1090, region=None, code=None, year=2026)
    assert text.startswith("<b>Hier is je export:</b> 1.090 trajecten")
    assert renderer.env.filters["number"](3500) == "3.500"
