"""The general word lists the matcher consults, opened from disk in a millisecond.

Three lists: wordfreq's Dutch and English word frequencies (how specific a word is; whether a
message is English) and simplemma's Dutch lemma table (a conjugated verb's infinitive;
whether a word is a real Dutch word). The libraries read their lists into dicts on first use,
about a second in all, which the first question of every run waited for. Here each list is
kept as a MARISA trie (marisa-trie) in the cache directory of knowledge/index_cache.py, built
once from the library's own list and keyed by the installed copy; opening one takes well under
a millisecond. The values are the libraries' own (tests/knowledge/test_lexicon.py compares
them word by word). With the cache off (`HOOFDZAAK_INDEX_CACHE=off`) or not writable, the
tries are built in memory on first use, as the libraries' dicts were.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import marisa_trie

from knowledge.index_cache import cache_dir, keep, load_or_build

# Words the trie holds: lowercase ASCII letters, the matcher's folded word tokens. Anything
# else (a number such as 5.10) goes to wordfreq itself, which smashes digits its own way.
_PLAIN_WORD = re.compile(r"[a-z]+")
_ZIPF_FORMAT = "<H"  # a word's Zipf value × 100 (wordfreq rounds Zipf to hundredths)
_FORMAT_VERSION = "1"


def zipf(word: str, lang: str) -> float:
    """`wordfreq.zipf_frequency(word, lang)`: 'de' 7.7, 'werkgever' 4.3, an unknown word 0."""
    if not _PLAIN_WORD.fullmatch(word):
        import wordfreq  # rare: its import and word list take about half a second

        return float(wordfreq.zipf_frequency(word, lang))
    found = _frequencies(lang).get(word)
    return found[0][0] / 100 if found else 0.0


@lru_cache(maxsize=4)
def _frequencies(lang: str) -> Any:
    """The language's plain words and their Zipf values, from the kept trie or built now."""
    directory = cache_dir()
    path = directory / f"wordfreq-{lang}-{_source_key(lang)}.marisa" if directory else None
    return load_or_build(
        path,
        lambda path: marisa_trie.RecordTrie(_ZIPF_FORMAT).load(str(path)),
        lambda: _build_frequencies(lang),
        _save_trie,
    )


def _build_frequencies(lang: str) -> Any:
    """wordfreq's list as a trie: every plain word, with the Zipf value wordfreq gives it
    (asked of wordfreq once per frequency bucket, as all words of a bucket share it)."""
    import wordfreq

    words: list[tuple[str, tuple[int]]] = []
    for bucket in wordfreq.get_frequency_list(lang, "best"):
        value: int | None = None
        for word in bucket:
            if _PLAIN_WORD.fullmatch(word):
                if value is None:
                    value = round(wordfreq.zipf_frequency(word, lang) * 100)
                words.append((word, (value,)))
    return marisa_trie.RecordTrie(_ZIPF_FORMAT, words)


def _source_key(lang: str) -> str:
    """A key for the installed wordfreq list of `lang` (its file's size and time), found
    without importing wordfreq."""
    spec = importlib.util.find_spec("wordfreq")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("wordfreq")
    source = Path(spec.origin).parent / "data" / f"large_{lang}.msgpack.gz"
    stat = source.stat()
    data = f"{_FORMAT_VERSION}:{source}:{stat.st_size}:{stat.st_mtime_ns}"
    return hashlib.sha256(data.encode()).hexdigest()[:16]


def _save_trie(trie: Any, path: Path) -> None:
    trie.save(str(path))


@lru_cache(maxsize=1)
def lemma_lists() -> Any:
    """simplemma's dictionary factory over its word lists kept as tries (its own
    TrieDictionaryFactory, in our cache directory): the same look-ups as its default dicts."""
    import simplemma
    from simplemma.strategies.dictionaries import (
        DEFAULT_DICTIONARY_FACTORY,
        TrieDictionaryFactory,
    )

    directory = cache_dir()
    if directory is None:
        return DEFAULT_DICTIONARY_FACTORY

    class Factory(TrieDictionaryFactory):
        def _write_trie_to_disk(self, lang: str, trie: Any) -> None:
            # as simplemma's, but never a half-written file for another process to read
            keep(trie, self._cache_dir / f"{lang}.dic", _save_trie)

    return Factory(disk_cache_dir=str(directory / f"simplemma-{simplemma.__version__}"))
