"""Writing phrasings into the knowledge base's YAML as `alternatives` (for `hoofdzaak kb
learned export`): line by line, so the files keep their comments, order and layout and a
review sees only the added lines. Every change is checked by loading the knowledge base
again; when that fails, the files are put back as they were.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from knowledge.kb import KB_DIR, KBError, check_kb
from knowledge.models import Entry
from knowledge.text import canonical_text

_ID = re.compile(r"^(\s*)-\s+id:\s*[\"']?([\w.-]+)[\"']?\s*$")
_KEY = re.compile(r"^(\s*)(\w+):")


def phrasing_keys(entry: Entry) -> set[str]:
    """The entry's phrasings as the matcher compares them (folded words)."""
    return {canonical_text(p) for p in entry.phrasings}


def _entry_block(lines: list[str], entry_id: str) -> tuple[int, int, str] | None:
    """(first line, end, indentation of the entry's keys) of an entry in a file's lines."""
    for i, line in enumerate(lines):
        m = _ID.match(line)
        if m is None or m.group(2) != entry_id:
            continue
        end = next((j for j in range(i + 1, len(lines)) if _ID.match(lines[j])), len(lines))
        return i, end, m.group(1) + "  "
    return None


def _insert(lines: list[str], entry_id: str, texts: Sequence[str]) -> bool:
    block = _entry_block(lines, entry_id)
    if block is None:
        return False
    start, end, indent = block
    items = [f"{indent}  - {json.dumps(t, ensure_ascii=False)}\n" for t in texts]
    for i in range(start, end):
        if lines[i].rstrip() == f"{indent}alternatives:":
            last = i
            for j in range(i + 1, end):
                if lines[j].startswith(f"{indent}  - ") or lines[j].startswith(f"{indent}    "):
                    last = j
                elif lines[j].strip():
                    break
            lines[last + 1 : last + 1] = items
            return True
    # no alternatives yet: before the answer
    at = next(
        (i for i in range(start, end) if lines[i].startswith(f"{indent}answer:")),
        end,
    )
    lines[at:at] = [f"{indent}alternatives:\n", *items]
    return True


def add_alternatives(
    wanted: Mapping[str, Sequence[str]], kb_dir: Path = KB_DIR
) -> dict[str, list[str]]:
    """Add phrasings to entries' `alternatives` (a phrasing the entry already has is left
    out). Returns what was added per entry id. KBError (files unchanged) when the result
    does not load."""
    base, problems = check_kb(kb_dir)
    if base is None:
        raise KBError(problems)
    added: dict[str, list[str]] = {}
    originals: dict[Path, str] = {}
    for entry_id, texts in wanted.items():
        entry = base.by_id.get(entry_id)
        if entry is None:
            continue
        have = phrasing_keys(entry)
        new: list[str] = []
        for text in texts:
            key = canonical_text(text)
            if key and key not in have:
                have.add(key)
                new.append(" ".join(text.split()))
        if not new:
            continue
        for path in sorted((kb_dir / "faq").glob("*.yaml")):
            source = originals.get(path) or path.read_text(encoding="utf-8")
            lines = source.splitlines(keepends=True)
            if _insert(lines, entry_id, new):
                originals.setdefault(path, source)
                path.write_text("".join(lines), encoding="utf-8")
                added[entry_id] = new
                break
    _, problems = check_kb(kb_dir)
    if problems:
        for path, text in originals.items():
            path.write_text(text, encoding="utf-8")
        raise KBError(problems)
    return added
