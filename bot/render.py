"""Jinja2 templates (Dutch, HTML parse mode) and the short texts of texts.yaml."""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from knowledge.yamlfile import read_yaml

TEMPLATES = Path(__file__).resolve().parent / "templates"


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
        self.env.filters["number"] = dutch_number
        self._texts: dict[str, str] = read_yaml(directory / "texts.yaml")

    def render(self, name: str, **context: Any) -> str:
        return self.env.get_template(name).render(**context).strip()

    def text(self, key: str, **values: Any) -> str:
        """A short plain text (button label, toast); values are inserted unescaped."""
        return self._texts[key].format(**values)

    @staticmethod
    @functools.cache
    def shared() -> Renderer:
        """The templates and texts as packaged, for code that has no services at hand (the
        check of an announcement's HTML also runs in the CLI)."""
        return Renderer()


def dutch_number(n: float) -> str:
    """A whole number as every message writes it: 1.090, 3.500 (a dot per thousand)."""
    return f"{round(n):,}".replace(",", ".")


def _paragraphs(text: str) -> str:
    """Collapse runs of blank lines; the template's autoescape still applies."""
    return re.sub(r"\n{3,}", "\n\n", text.strip())
