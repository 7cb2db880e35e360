"""Loader and validator: the real KB is complete and clean; broken files get precise messages."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from bot.cli import main
from knowledge.kb import KB_DIR, KnowledgeBase, check_kb


def test_every_faq_item_is_in_the_kb(kb: KnowledgeBase) -> None:
    numbers = {n for e in kb.entries for n in e.faq_numbers}
    assert numbers >= set(kb.sources.faq_numbers())
    assert len(kb.sources.faq_numbers()) == 81
    assert all(kb.entry_for_faq(n) is not None for n in kb.sources.faq_numbers())


def test_programme_documents_have_entries(kb: KnowledgeBase) -> None:
    docs = {d for e in kb.entries for d in e.doc_names}
    assert docs >= {
        "000_1589a74d1cde0a49.txt",
        "001_36434dae4ce46f82.txt",
        "002_412d4ead8c9ea5a9.txt",
        "003_6150b650257a038e.txt",
    }
    manager = kb.entry("doc-programmamanager")
    assert "Jan Markerink" in manager.answer and "2024" in manager.answer


def test_entries_are_chat_sized_with_enough_phrasings(kb: KnowledgeBase) -> None:
    for e in kb.entries:
        assert len(e.answer) <= 900, e.id
        assert len(e.alternatives) >= 4, e.id
        assert len(e.title) <= 60, e.id


def test_35_regions(kb: KnowledgeBase) -> None:
    codes = [r.code for r in kb.regions.regions]
    assert len(set(codes)) == 35 and "AM18" in codes and "AM04" not in codes


def test_kb_check_command_is_clean() -> None:
    result = CliRunner().invoke(main, ["kb", "check"])
    assert result.exit_code == 0, result.output
    assert "95 entries" in result.output or "entries" in result.output


@pytest.fixture
def broken_kb(tmp_path: Path) -> Path:
    target = tmp_path / "kb"
    shutil.copytree(KB_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def _edit(path: Path, change: Callable[[Any], object]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda d: d["entries"][0].update(id=d["entries"][1]["id"]), "duplicate id"),
        (lambda d: d["entries"][0].update(refs=["faq:0.9"]), "faq:0.9 is not an FAQ item"),
        (
            lambda d: d["entries"][0].update(refs=["faq:0.1", "doc:nope.txt"]),
            "doc:nope.txt: no such source document",
        ),
        (lambda d: d["entries"][0].update(related=["faq-7-77"]), "unknown id 'faq-7-77'"),
        (lambda d: d["entries"][0].update(answer="x" * 901), "at most 900 characters"),
        (lambda d: d["entries"][0].update(alternatives=["a b", "c d", "e f"]), "at least 4 items"),
        (lambda d: d["entries"][0].update(colour="blue"), "Extra inputs are not permitted"),
        (lambda d: d["entries"][0].pop("as_of"), "Field required"),
        (
            lambda d: d["entries"][1]["alternatives"].append(d["entries"][0]["alternatives"][0]),
            "is also an alternative of faq-0-1",
        ),
        (lambda d: d["entries"].pop(4), "FAQ item 0.5 is not covered"),
    ],
)
def test_validator_reports_file_entry_and_field(
    broken_kb: Path, change: Callable[[Any], object], expected: str
) -> None:
    _edit(broken_kb / "faq" / "00_ambitie.yaml", change)
    kb, problems = check_kb(broken_kb)
    assert kb is None
    messages = [str(p) for p in problems]
    hits = [m for m in messages if expected in m]
    assert hits, messages
    if "not covered" not in expected:
        assert hits[0].startswith("faq/00_ambitie.yaml [faq-0-")


def test_broken_yaml_is_reported(broken_kb: Path) -> None:
    (broken_kb / "faq" / "03_commitment.yaml").write_text("entries: [unclosed", encoding="utf-8")
    _, problems = check_kb(broken_kb)
    assert any(
        p.file == "faq/03_commitment.yaml" and "cannot read YAML" in p.message for p in problems
    )
