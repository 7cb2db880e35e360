"""Telegram's HTML (parse mode HTML): the one place that knows its tags.

- `problem(text)`: what Telegram would refuse in a text (or what the programme team should
  fix in an announcement), as a value; the announcement form words it in Dutch, the fake
  Bot API as Telegram's "can't parse entities" error.
- `strip`, `visible_length`: plain text and its length as the reader sees it.
- `split`: long messages in parts of at most 4,096 characters, never inside a tag or an
  entity, tags left open at a break closed and opened again.

Reference: core.telegram.org/bots/api#html-style.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from enum import StrEnum

LIMIT = 4096  # characters of a message
CAPTION_LIMIT = 1024  # characters of a photo's or document's caption

TAGS = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre"}
    | {"blockquote", "tg-spoiler", "span", "tg-emoji"}
)
# the attributes each tag may carry
ATTRIBUTES: dict[str, frozenset[str]] = {
    "a": frozenset({"href"}),
    "span": frozenset({"class"}),
    "code": frozenset({"class"}),
    "blockquote": frozenset({"expandable"}),
    "tg-emoji": frozenset({"emoji-id"}),
}
# how the tags are listed for people (tg-emoji needs a custom emoji id nobody types)
SHOWN = "b, strong, i, em, u, ins, s, strike, del, a href, code, pre, blockquote, tg-spoiler"

TAG = re.compile(r"<(/?)([A-Za-z][\w-]*)((?:\s+[^<>]*)?)\s*/?>")
_ATTR = re.compile(r'\s*([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|\'([^\']*)\'|([^\s"\'>]+)))?')
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d{1,7}|#x[0-9a-fA-F]{1,6});")
_ANY_TAG = re.compile(r"<[^>]+>")


class Kind(StrEnum):
    EMPTY = "empty"
    STRAY_LT = "stray_lt"  # a < that starts no tag
    STRAY_GT = "stray_gt"
    STRAY_AMP = "stray_amp"  # a & that starts no entity
    UNKNOWN_TAG = "unknown_tag"
    BAD_ATTRIBUTES = "bad_attributes"  # quotes that do not close
    ATTRIBUTE_NOT_ALLOWED = "attribute_not_allowed"
    LINK_WITHOUT_HREF = "link_without_href"
    SPAN_NOT_SPOILER = "span_not_spoiler"
    CLOSES_NOTHING = "closes_nothing"  # an end tag with no tag open
    WRONG_END_TAG = "wrong_end_tag"  # tags closed out of order
    NOT_CLOSED = "not_closed"


@dataclass(frozen=True)
class Problem:
    kind: Kind
    offset: int  # characters into the text
    tag: str = ""  # the tag as written (<foo>), or the tag left open (for NOT_CLOSED: its name)
    expected: str = ""  # WRONG_END_TAG, NOT_CLOSED: the end tag that belongs there
    detail: str = ""  # ATTRIBUTE_NOT_ALLOWED: the attributes

    def near(self, text: str) -> str:
        """A few characters around the place, for a message."""
        return text[max(0, self.offset - 15) : self.offset + 15].replace("\n", " ")


def _attrs(raw: str) -> dict[str, str] | None:
    out: dict[str, str] = {}
    pos = 0
    raw = raw.strip()
    while pos < len(raw):
        m = _ATTR.match(raw, pos)
        if m is None or m.end() == pos:
            return None
        out[m[1].lower()] = m[2] if m[2] is not None else (m[3] or m[4] or "")
        pos = m.end()
    return out


def _tag_problem(name: str, raw: str, shown: str, offset: int) -> Problem | None:
    if name not in TAGS:
        return Problem(Kind.UNKNOWN_TAG, offset, shown)
    attrs = _attrs(raw)
    if attrs is None:
        return Problem(Kind.BAD_ATTRIBUTES, offset, shown)
    extra = set(attrs) - ATTRIBUTES.get(name, frozenset())
    if extra:
        return Problem(Kind.ATTRIBUTE_NOT_ALLOWED, offset, shown, detail=", ".join(sorted(extra)))
    if name == "a" and not attrs.get("href"):
        return Problem(Kind.LINK_WITHOUT_HREF, offset, shown)
    if name == "span" and attrs.get("class") != "tg-spoiler":
        return Problem(Kind.SPAN_NOT_SPOILER, offset, shown)
    return None


def problem(text: str, strict: bool = True) -> Problem | None:
    """The first thing wrong with `text` as Telegram HTML, or None. Not `strict`: only what
    Telegram itself refuses (tags and their nesting, a stray <)."""
    if strict and not text.strip():
        return Problem(Kind.EMPTY, 0)
    stack: list[str] = []
    pos = 0
    while pos < len(text):
        ch = text[pos]
        if ch == "<":
            m = TAG.match(text, pos)
            if m is None:
                return Problem(Kind.STRAY_LT, pos)
            closing, name, raw = m[1] == "/", m[2].lower(), m[3] or ""
            if closing:
                if not stack:
                    return Problem(Kind.CLOSES_NOTHING, pos, m[0])
                if stack[-1] != name:
                    return Problem(Kind.WRONG_END_TAG, pos, m[0], expected=f"</{stack[-1]}>")
                stack.pop()
            else:
                found = (
                    _tag_problem(name, raw, m[0], pos)
                    if strict
                    else (None if name in TAGS else Problem(Kind.UNKNOWN_TAG, pos, m[0]))
                )
                if found is not None:
                    return found
                if not m[0].endswith("/>"):
                    stack.append(name)
            pos = m.end()
        elif not strict:
            pos += 1
        elif ch == ">":
            return Problem(Kind.STRAY_GT, pos)
        elif ch == "&":
            m = _ENTITY.match(text, pos)
            if m is None:
                return Problem(Kind.STRAY_AMP, pos)
            pos = m.end()
        else:
            pos += 1
    if stack:
        return Problem(Kind.NOT_CLOSED, len(text), stack[-1], expected=f"</{stack[-1]}>")
    return None


def telegram_error(text: str) -> str | None:
    """What Telegram answers when a message's HTML cannot be parsed (None: it can): the
    fake Bot API gives this back, so an unescaped echo of user text fails in tests."""
    found = problem(text, strict=False)
    if found is None:
        return None
    offset = len(text[: found.offset].encode())
    prefix = "Bad Request: can't parse entities: "
    if found.kind is Kind.STRAY_LT:
        return f"{prefix}unexpected < at byte offset {offset}"
    if found.kind is Kind.UNKNOWN_TAG:
        m = TAG.match(found.tag)
        name = m[2].lower() if m else found.tag
        kind = "end" if found.tag.startswith("</") else "start"
        return f'{prefix}unsupported {kind} tag "{name}" at byte offset {offset}'
    if found.kind in (Kind.CLOSES_NOTHING, Kind.WRONG_END_TAG):
        return f"{prefix}unmatched end tag at byte offset {offset}"
    if found.kind is Kind.NOT_CLOSED:
        return f'{prefix}can\'t find end tag corresponding to start tag "{found.tag}"'
    return f"{prefix}{found.kind.value} at byte offset {offset}"


def strip(text: str) -> str:
    """Plain text from Telegram HTML (for the CLI, the JSON contract, titles)."""
    return html.unescape(_ANY_TAG.sub("", text))


def visible_length(text: str) -> int:
    """How many characters the reader sees (what Telegram's limits count)."""
    return len(strip(text))


# -- splitting long messages --------------------------------------------------------------------

_SPLIT_ATOM = re.compile(r"<(/?)([a-z\-]+)([^>]*)>|&#?\w+;", re.IGNORECASE)
_BREAKS = {"\n\n": 3, "\n": 2}


def split(text: str, limit: int = LIMIT) -> list[str]:
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


def _closing_len(stack: list[tuple[str, str]]) -> int:
    return sum(len(name) + 3 for name, _ in stack)


def _atoms(text: str) -> list[str]:
    """Tags, entities, whitespace and single characters of words, as indivisible pieces."""
    out: list[str] = []
    pos = 0
    for m in _SPLIT_ATOM.finditer(text):
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
    m = _SPLIT_ATOM.fullmatch(atom)
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
