"""Jinja2 templates (Dutch, HTML parse mode) and splitting long messages for Telegram."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

TEMPLATES = Path(__file__).resolve().parent / "templates"
TELEGRAM_LIMIT = 4096
_TAG = re.compile(r"<(/?)([a-z\-]+)([^>]*)>|&#?\w+;", re.IGNORECASE)


class Renderer:
    """One Jinja2 environment for every message the bot sends."""

    def __init__(self, directory: Path = TEMPLATES) -> None:
        self.env = Environment(
            loader=FileSystemLoader(directory),
            autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.env.filters["paragraphs"] = _paragraphs
        with (directory / "texts.yaml").open(encoding="utf-8") as fh:
            self._texts: dict[str, str] = yaml.safe_load(fh)

    def render(self, name: str, **context: Any) -> str:
        return self.env.get_template(name).render(**context).strip()

    def text(self, key: str, **values: Any) -> str:
        """A short plain text (button label, toast); values are inserted unescaped."""
        return self._texts[key].format(**values)


def _paragraphs(text: str) -> str:
    """Collapse runs of blank lines; the template's autoescape still applies."""
    return re.sub(r"\n{3,}", "\n\n", text.strip())


def strip_html(text: str) -> str:
    """Plain text from our HTML (for the CLI and the JSON contract)."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split HTML text into parts of at most `limit` characters.

    Breaks at blank lines, then lines, then spaces; never inside a tag or an entity. Tags
    left open at a break are closed at the end of the part and opened again in the next.
    """
    if len(text) <= limit:
        return [text]
    atoms = _atoms(text)
    parts: list[str] = []
    stack: list[tuple[str, str]] = []  # tags open at the start of the current part
    i = 0
    while i < len(atoms):
        prefix = "".join(tag for _, tag in stack)
        cur = list(stack)
        length = len(prefix)
        latest: dict[int, tuple[int, int, list[tuple[str, str]]]] = {}  # priority → cut
        j = i
        while j < len(atoms):
            nxt = _tracked(atoms[j], cur)
            if length + len(atoms[j]) + _closing_len(nxt) > limit:
                break
            cur, length, j = nxt, length + len(atoms[j]), j + 1
            priority = _BREAKS.get(atoms[j - 1], 1 if atoms[j - 1].isspace() else 0)
            if priority:
                latest[priority] = (j, length, cur)
        # the strongest break that still fills at least half a part, else the strongest one
        good = [p for p, (_, used, _) in latest.items() if used >= limit // 2]
        pick = max(good or latest or [0])
        best = latest.get(pick)
        if j == len(atoms):
            cut, cut_stack = j, cur
        elif best is not None:
            cut, _, cut_stack = best
        else:
            cut, cut_stack = max(j, i + 1), cur
        body = "".join(atoms[i:cut]).strip()
        if body:
            parts.append(prefix + body + "".join(f"</{n}>" for n, _ in reversed(cut_stack)))
        stack, i = cut_stack, cut
    return parts


_BREAKS = {"\n\n": 3, "\n": 2}


def _closing_len(stack: list[tuple[str, str]]) -> int:
    return sum(len(name) + 3 for name, _ in stack)


def _atoms(text: str) -> list[str]:
    """Tags, entities, whitespace and single characters of words, as indivisible pieces."""
    out: list[str] = []
    pos = 0
    for m in _TAG.finditer(text):
        out.extend(_words(text[pos : m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.extend(_words(text[pos:]))
    return out


def _words(text: str) -> list[str]:
    pieces = re.findall(r"\n\n|\n|[ \t]+|[^\s]{1,200}", text)
    return [p for p in pieces if p]


def _tracked(atom: str, stack: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The stack of open tags after `atom`."""
    m = _TAG.fullmatch(atom)
    if not m or atom.startswith("&"):
        return stack
    closing, name = m.group(1), m.group(2).lower()
    if closing:
        for i in range(len(stack) - 1, -1, -1):
            if stack[i][0] == name:
                return stack[:i] + stack[i + 1 :]
        return stack
    if atom.endswith("/>"):
        return stack
    return [*stack, (name, atom)]
