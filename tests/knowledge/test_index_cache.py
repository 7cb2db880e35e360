"""The matcher's index and the knowledge base on disk (knowledge/index_cache.py): the same
answers from a loaded index as from a built one; a broken or foreign file is rebuilt, never
trusted; a kept knowledge base follows its files and is only kept when it passed its checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from knowledge import kb as kb_module
from knowledge.kb import KB_DIR, KBError, KnowledgeBase, load_kb, load_kb_kept
from knowledge.matcher import Matcher

QUESTIONS = ("wat is een wsp", "wie betaalt de eerste 8 gesprekken?", "hoe laat is het")


def test_a_loaded_index_answers_as_a_built_one(
    kb: KnowledgeBase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOFDZAAK_INDEX_CACHE", "off")
    built = Matcher(kb)
    monkeypatch.setenv("HOOFDZAAK_INDEX_CACHE", str(tmp_path))
    first = Matcher(kb)  # builds and writes
    [written] = list(tmp_path.glob("index-*.pickle"))
    second = Matcher(kb)  # loads
    assert second.index is not first.index
    for q in QUESTIONS:
        assert built.match(q) == first.match(q) == second.match(q)

    written.write_bytes(b"not a pickle")
    third = Matcher(kb)  # broken: built again, and written again
    assert third.match(QUESTIONS[0]) == built.match(QUESTIONS[0])
    assert written.read_bytes() != b"not a pickle"


def _copy_kb(to: Path) -> Path:
    """The packaged knowledge base's files (the YAML, nothing else) in a folder of their own."""
    for path in KB_DIR.rglob("*.yaml"):
        target = to / path.relative_to(KB_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return to


def test_a_kept_knowledge_base_is_the_checked_one_and_follows_its_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOFDZAAK_INDEX_CACHE", str(tmp_path / "cache"))
    kb_dir = _copy_kb(tmp_path / "kb")
    first = load_kb_kept(kb_dir)  # read, checked and kept
    assert first == load_kb(kb_dir)
    with monkeypatch.context() as patched:  # the next start reads the kept one
        patched.setattr(kb_module, "check_kb", lambda *_: pytest.fail("checked again"))
        assert load_kb_kept(kb_dir) == first

    faq = kb_dir / "faq" / "01_kandidaten.yaml"
    faq.write_text(
        faq.read_text(encoding="utf-8").replace(
            'title: "Wie zijn de kandidaten?"', 'title: "Wie mogen er meedoen?"'
        ),
        encoding="utf-8",
    )
    assert load_kb_kept(kb_dir).entry("faq-1-1").title == "Wie mogen er meedoen?"

    kept = set((tmp_path / "cache").glob("kb-*.pickle"))
    faq.write_text(faq.read_text(encoding="utf-8") + "\n  - id: [broken\n", encoding="utf-8")
    with pytest.raises(KBError):  # a broken file fails as it always did, and is not kept
        load_kb_kept(kb_dir)
    assert set((tmp_path / "cache").glob("kb-*.pickle")) == kept
