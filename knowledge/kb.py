"""Loading and validating the knowledge base.

`load_kb()` returns a `KnowledgeBase` or raises `KBError` listing every problem found, each
with its file, entry and field. `hoofdzaak kb check` prints the same list.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from knowledge.decisions import Check, FactVocabulary, validate
from knowledge.models import (
    FAQ_REF,
    Entry,
    OffTopic,
    Regions,
    Section,
    SmallTalk,
    Synonyms,
)
from knowledge.text import canonical_text
from knowledge.yamlfile import read_yaml

KB_DIR = Path(__file__).resolve().parent

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Problem:
    file: str
    entry: str | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.entry:
            where += f" [{self.entry}]"
        if self.field:
            where += f" {self.field}"
        return f"{where}: {self.message}"


class KBError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class SourceDoc:
    file: str
    label: str
    as_of: str


@dataclass(frozen=True)
class Sources:
    faq_file: str
    faq_sections: Mapping[str, int]
    section_titles: Mapping[str, str]
    documents: Mapping[str, SourceDoc]

    def faq_numbers(self) -> list[str]:
        return [f"{s}.{n}" for s, count in self.faq_sections.items() for n in range(1, count + 1)]


@dataclass(frozen=True)
class KnowledgeBase:
    sections: tuple[Section, ...]
    synonyms: Synonyms
    smalltalk: SmallTalk
    regions: Regions
    offtopic: OffTopic
    facts: FactVocabulary
    checks: Mapping[str, Check]
    sources: Sources
    by_id: Mapping[str, Entry] = field(default_factory=dict)
    section_of: Mapping[str, str] = field(default_factory=dict)

    @property
    def entries(self) -> tuple[Entry, ...]:
        return tuple(e for s in self.sections for e in s.entries)

    def entry(self, entry_id: str) -> Entry:
        return self.by_id[entry_id]

    def title_of(self, entry_id: str | None) -> str | None:
        """An entry's title; None for no entry or one this knowledge base does not have."""
        entry = self.by_id.get(entry_id) if entry_id else None
        return entry.title if entry is not None else None

    def entry_for_faq(self, number: str) -> Entry | None:
        """The entry for FAQ item `number` (e.g. '5.10'), if that item exists."""
        return self.by_id.get("faq-" + number.replace(".", "-"))

    def refs_label(self, refs: Iterable[str]) -> str:
        """'FAQ 5.10, programmapagina Hoofdzaak Werk' for refs, in their order (a ref to the
        FAQ file itself adds nothing to the FAQ numbers and is left out)."""
        parts = []
        for ref in refs:
            if ref.startswith("faq:"):
                parts.append(f"FAQ {ref[4:]}")
            elif ref[4:] in self.sources.documents and ref[4:] != self.sources.faq_file:
                parts.append(self.sources.documents[ref[4:]].label)
        return ", ".join(parts)

    def source_label(self, entry: Entry) -> str:
        """'FAQ 5.10, stand 2021' or 'nieuwsbericht verlenging tot 2026, stand 2024'."""
        refs = [r for r in entry.refs if r.startswith("faq:")]
        refs += [r for r in entry.refs if not r.startswith("faq:")]
        return f"{self.refs_label(refs)}, stand {entry.as_of}"


def _label(path: Path) -> str:
    """How problems name a file: relative to the KB folder ('faq/05_cofinanciering.yaml')."""
    if path.parent.name in ("faq", "checks"):
        return f"{path.parent.name}/{path.name}"
    return path.name


def _read_yaml(path: Path, problems: list[Problem]) -> Any:
    try:
        return read_yaml(path)
    except (OSError, yaml.YAMLError) as exc:
        problems.append(Problem(_label(path), None, None, f"cannot read YAML: {exc}"))
        return None


def _entry_label(data: Any, loc: tuple[int | str, ...]) -> str | None:
    """For a pydantic error location like ('entries', 3, 'answer'), the entry's id."""
    if len(loc) >= 2 and loc[0] == "entries" and isinstance(loc[1], int):
        try:
            entry = data["entries"][loc[1]]
            return str(entry.get("id") or f"entry #{loc[1] + 1}")
        except (KeyError, IndexError, TypeError, AttributeError):
            return f"entry #{loc[1] + 1}"
    return None


def _parse(model: type[M], path: Path, problems: list[Problem]) -> M | None:
    data = _read_yaml(path, problems)
    if data is None:
        if path.exists() and not problems:
            problems.append(Problem(_label(path), None, None, "file is empty"))
        return None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = tuple(err["loc"])
            entry = _entry_label(data, loc)
            fld = ".".join(str(p) for p in (loc[2:] if entry else loc)) or None
            problems.append(Problem(_label(path), entry, fld, err["msg"]))
        return None


def _load_sources(path: Path, problems: list[Problem]) -> Sources | None:
    data = _read_yaml(path, problems)
    try:
        faq = data["faq"]
        docs = {
            d["file"]: SourceDoc(d["file"], d["label"], str(d["as_of"])) for d in data["documents"]
        }
        return Sources(
            faq_file=faq["file"],
            faq_sections={str(k): int(v) for k, v in faq["sections"].items()},
            section_titles={str(k): str(v) for k, v in faq["section_titles"].items()},
            documents=docs,
        )
    except (KeyError, TypeError, ValueError) as exc:
        problems.append(Problem(_label(path), None, None, f"malformed: {exc!r}"))
        return None


def _cross_checks(sections: list[tuple[str, Section]], sources: Sources) -> Iterator[Problem]:
    faq_numbers = set(sources.faq_numbers())
    seen_ids: dict[str, str] = {}
    covered: set[str] = set()
    phrasing_owner: dict[str, tuple[str, str]] = {}
    for fname, section in sections:
        for entry in section.entries:
            if entry.id in seen_ids:
                yield Problem(
                    fname, entry.id, "id", f"duplicate id (also in {seen_ids[entry.id]})"
                )
            seen_ids[entry.id] = fname
    for fname, section in sections:
        for entry in section.entries:
            for ref in entry.refs:
                m = FAQ_REF.match(ref)
                if m:
                    number = f"{m.group(1)}.{m.group(2)}"
                    if number not in faq_numbers:
                        yield Problem(fname, entry.id, "refs", f"{ref} is not an FAQ item")
                    covered.add(number)
                elif ref[4:] not in sources.documents:
                    yield Problem(fname, entry.id, "refs", f"{ref}: no such source document")
            if entry.id.startswith("faq-"):
                own = entry.id[4:].replace("-", ".")
                if f"faq:{own}" not in entry.refs:
                    yield Problem(fname, entry.id, "refs", f"must include faq:{own}")
                if section.section != own.split(".")[0]:
                    yield Problem(fname, entry.id, "id", f"not in section {section.section}")
            for rel in entry.related:
                if rel == entry.id:
                    yield Problem(fname, entry.id, "related", "points at the entry itself")
                elif rel not in seen_ids:
                    yield Problem(fname, entry.id, "related", f"unknown id {rel!r}")
            own_question = canonical_text(entry.question)
            for i, alt in enumerate(entry.alternatives):
                key = canonical_text(alt)
                if key == own_question:
                    yield Problem(fname, entry.id, f"alternatives.{i}", "repeats the question")
                    continue
                owner = phrasing_owner.get(key)
                if owner is None:
                    phrasing_owner[key] = (entry.id, fname)
                elif owner[0] == entry.id:
                    yield Problem(fname, entry.id, f"alternatives.{i}", f"used twice: {alt!r}")
                else:
                    yield Problem(
                        fname,
                        entry.id,
                        f"alternatives.{i}",
                        f"{alt!r} is also an alternative of {owner[0]} ({owner[1]})",
                    )
    for number in sorted(faq_numbers - covered, key=lambda n: tuple(map(int, n.split(".")))):
        yield Problem("faq/", None, None, f"FAQ item {number} is not covered by any entry")


def _check_trees(
    checks: Mapping[str, Check], facts: FactVocabulary, sources: Sources, entry_ids: set[str]
) -> Iterator[Problem]:
    refs = {f"faq:{n}": True for n in sources.faq_numbers()}
    refs.update({f"doc:{d}": True for d in sources.documents})
    codes: dict[str, str] = {}
    commands: dict[str, str] = {}
    for check in checks.values():
        fname = f"checks/{check.id}.yaml"
        for where, message in validate(check, facts, refs):
            yield Problem(fname, check.id, where, message)
        if check.code in codes:
            yield Problem(fname, check.id, "code", f"also used by {codes[check.code]}")
        if check.command in commands:
            yield Problem(fname, check.id, "command", f"also used by {commands[check.command]}")
        codes[check.code] = commands[check.command] = check.id
        for entry in check.suggest_for:
            if entry not in entry_ids:
                yield Problem(fname, check.id, "suggest_for", f"unknown entry {entry!r}")
        for name, outcome in check.outcomes.items():
            for entry in outcome.related:
                if entry not in entry_ids:
                    yield Problem(
                        fname, check.id, f"outcomes.{name}.related", f"unknown entry {entry!r}"
                    )


def check_kb(kb_dir: Path = KB_DIR) -> tuple[KnowledgeBase | None, list[Problem]]:
    """Load and validate everything; return the KB (None on errors) and all problems."""
    problems: list[Problem] = []
    sources = _load_sources(kb_dir / "sources.yaml", problems)
    synonyms = _parse(Synonyms, kb_dir / "synonyms.yaml", problems)
    smalltalk = _parse(SmallTalk, kb_dir / "smalltalk.yaml", problems)
    regions = _parse(Regions, kb_dir / "regions.yaml", problems)
    offtopic = _parse(OffTopic, kb_dir / "offtopic.yaml", problems)
    facts = _parse(FactVocabulary, kb_dir / "checks" / "facts.yaml", problems)
    checks: dict[str, Check] = {}
    for path in sorted((kb_dir / "checks").glob("*.yaml")):
        if path.name != "facts.yaml":
            check = _parse(Check, path, problems)
            if check is not None:
                checks[check.id] = check
    files = sorted((kb_dir / "faq").glob("*.yaml"))
    if not files:
        problems.append(Problem("faq/", None, None, "no entry files found"))
    sections: list[tuple[str, Section]] = []
    for path in files:
        section = _parse(Section, path, problems)
        if section is not None:
            sections.append((_label(path), section))
    if sources is not None:
        problems.extend(_cross_checks(sections, sources))
        if facts is not None:
            ids = {e.id for _, s in sections for e in s.entries}
            problems.extend(_check_trees(checks, facts, sources, ids))
    if (
        problems
        or sources is None
        or synonyms is None
        or smalltalk is None
        or regions is None
        or offtopic is None
        or facts is None
    ):
        return None, problems
    by_id = {e.id: e for _, s in sections for e in s.entries}
    section_of = {e.id: s.section for _, s in sections for e in s.entries}
    kb = KnowledgeBase(
        sections=tuple(s for _, s in sections),
        synonyms=synonyms,
        smalltalk=smalltalk,
        regions=regions,
        offtopic=offtopic,
        facts=facts,
        checks=checks,
        sources=sources,
        by_id=by_id,
        section_of=section_of,
    )
    return kb, []


def load_kb(kb_dir: Path = KB_DIR) -> KnowledgeBase:
    kb, problems = check_kb(kb_dir)
    if kb is None:
        raise KBError(problems)
    return kb


# The code that reads and checks the files: a change to it checks them again.
_KB_CODE = tuple(
    Path(__file__).parent / name for name in ("kb.py", "models.py", "decisions.py", "text.py")
)


def load_kb_kept(kb_dir: Path = KB_DIR) -> KnowledgeBase:
    """`load_kb`, or the knowledge base an earlier run loaded and checked from files with the
    same bytes (knowledge/index_cache.py): the bot and the CLI start a tenth of a second
    sooner. Only a knowledge base that passed its checks is kept."""
    from knowledge.index_cache import cached

    files = sorted(p for p in kb_dir.rglob("*.yaml") if p.is_file())
    data = [
        [str(p.relative_to(kb_dir)), hashlib.sha256(p.read_bytes()).hexdigest()] for p in files
    ]
    return cached("kb", data, lambda: load_kb(kb_dir), KnowledgeBase, _KB_CODE)
