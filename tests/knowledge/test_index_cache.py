"""The matcher's index on disk (knowledge/index_cache.py): the same answers from a loaded
index as from a built one; a broken or foreign file is rebuilt, never trusted."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge.kb import KnowledgeBase
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
