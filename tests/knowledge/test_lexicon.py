"""The word lists kept as tries (knowledge/lexicon.py) give the libraries' own values: the
matcher's answers do not change with where a frequency or a lemma comes from. A kept file is
used by the next run, a damaged one is built again, and without a cache it still works."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import simplemma
import wordfreq

from knowledge import lexicon, text

PLAIN = re.compile(r"[a-z]+")


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty cache directory, and nothing of the lists in memory yet."""
    monkeypatch.setenv("HOOFDZAAK_INDEX_CACHE", str(tmp_path))
    _forget()
    yield tmp_path
    _forget()


def _forget() -> None:
    lexicon._frequencies.cache_clear()
    lexicon.lemma_lists.cache_clear()
    text._lemmas.cache_clear()
    text._known.cache_clear()
    text.stem.cache_clear()
    text.specificity.cache_clear()


def _sample(lang: str, step: int) -> list[str]:
    words = [w for w in wordfreq.iter_wordlist(lang) if PLAIN.fullmatch(w)]
    return [*words[::step], "wsp", "loonwaarde", "zzpers", "qqxzv", "a"]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_frequencies_are_wordfreqs(fresh: Path, lang: str) -> None:
    for word in _sample(lang, 37):
        assert lexicon.zipf(word, lang) == wordfreq.zipf_frequency(word, lang), word
    # not a plain word: wordfreq itself answers (it smashes digits its own way)
    for word in ("5.10", "2.300", "ggz2"):
        assert lexicon.zipf(word, lang) == wordfreq.zipf_frequency(word, lang)


def test_lemmas_are_simplemmas(fresh: Path) -> None:
    words = [*_sample("nl", 61), "telt", "krijgt", "gefinancierd", "begeleidt", "werkt"]
    default = simplemma.Lemmatizer()
    for word in words:
        assert text._lemmas().lemmatize(word, "nl") == default.lemmatize(word, "nl"), word
        assert text.is_dutch_word(word) == simplemma.is_known(word, "nl"), word
    assert text.stem("telt") == text.stem("tellen")


def test_kept_lists_are_read_by_the_next_run(fresh: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert lexicon.zipf("werkgever", "nl") > 4
    assert text.is_dutch_word("werkgever")
    [kept] = list(fresh.glob("wordfreq-nl-*.marisa"))
    assert list(fresh.glob("simplemma-*/nl.dic"))

    _forget()  # the next run: from the files, without building anything

    def no_build(lang: str) -> None:
        raise AssertionError(f"built {lang} again")

    with monkeypatch.context() as patched:
        patched.setattr(lexicon, "_build_frequencies", no_build)
        assert lexicon.zipf("werkgever", "nl") == wordfreq.zipf_frequency("werkgever", "nl")

    kept.write_bytes(b"damaged")  # a damaged file is built again, and kept again
    _forget()
    assert lexicon.zipf("werkgever", "nl") == wordfreq.zipf_frequency("werkgever", "nl")
    assert kept.read_bytes() != b"damaged"


def test_without_a_cache_the_lists_are_built_in_memory(
    fresh: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOFDZAAK_INDEX_CACHE", "off")
    _forget()
    assert lexicon.zipf("werkgever", "nl") == wordfreq.zipf_frequency("werkgever", "nl")
    assert text.is_dutch_word("werkgever") and not text.is_dutch_word("qqxzv")
    assert list(fresh.iterdir()) == []
