"""Dutch text normalisation shared by the matcher and the validator.

Pipeline: case-fold → strip accents → split on punctuation (keeping numbers such as 5.10
together) → synonym phrases to their canonical form → stop words out → Snowball Dutch stems.
We use Snowball's classic Dutch (Porter) stemmer: the newer Kraaij-Pohlmann variant strips
"ge-" and "be-" (gemeente → meen, begeleiding → beleid), too aggressive for this vocabulary.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

import snowballstemmer
from rapidfuzz.distance import DamerauLevenshtein

from knowledge import lexicon

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[a-z]+")
_APOSTROPHE_S = re.compile(r"(\w)['’`]s\b")
_PREFIX = re.compile(r"\b(re|co|her|mede)-(?=[a-z])")
_stemmer = snowballstemmer.stemmer("dutch_porter")


def fold(text: str) -> str:
    """Case-fold and strip accents: 'Cliënt  Één' → 'client  een'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def tokens(text: str) -> list[str]:
    """Folded word and number tokens; "zzp'ers" → ['zzpers'], 'co-fi' → ['co', 'fi']."""
    folded = _PREFIX.sub(r"\1", _APOSTROPHE_S.sub(r"\1s", fold(text)))
    folded = folded.replace("'", "").replace("’", "")
    return _TOKEN.findall(folded)


def canonical_text(text: str) -> str:
    """A key for 'the same phrasing': folded tokens joined by single spaces."""
    return " ".join(tokens(text))


@lru_cache(maxsize=65536)
def stem(token: str) -> str:
    """Snowball stem; conjugated verbs go through their infinitive first.

    The Snowball stemmer leaves 'telt', 'krijgt', 'gefinancierd' apart from 'tellen',
    'krijgen', 'financiering'. simplemma's Dutch lemma table maps such forms (ending in -t or
    -d) to the infinitive; we use it only there, as its noun lemmas are less reliable.
    """
    if not token or token[0].isdigit():
        return token
    if len(token) > 3 and token[-1] in "td":
        lemma = _lemmas().lemmatize(token, lang="nl")
        if lemma != token and lemma.endswith("en"):
            token = lemma.replace("_", "")
    return str(_stemmer.stemWord(token))


@lru_cache(maxsize=1)
def _lemmas() -> Any:
    """simplemma's default lemmatizer (the strategy `simplemma.lemmatize` uses), over its
    word lists kept as tries (knowledge/lexicon.py)."""
    import simplemma
    from simplemma.strategies.default import DefaultStrategy

    strategy = DefaultStrategy(dictionary_factory=lexicon.lemma_lists())
    return simplemma.Lemmatizer(lemmatization_strategy=strategy)


@lru_cache(maxsize=1)
def _known() -> Any:
    """The dictionary look-up `simplemma.is_known` does, over the same word lists."""
    from simplemma.strategies.dictionary_lookup import DictionaryLookupStrategy

    return DictionaryLookupStrategy(dictionary_factory=lexicon.lemma_lists())


def is_dutch_word(token: str) -> bool:
    """True for words in simplemma's Dutch lexicon: real words, so not typos."""
    return _known().get_lemma(token, "nl") is not None


@lru_cache(maxsize=65536)
def specificity(word: str) -> float:
    """How specific a (folded) Dutch word is, from its frequency in general Dutch (wordfreq's
    Zipf scale: 'de' 7.7, 'werkgever' 4.3, 'loonwaarde' 0): 0 for everyday words (Zipf 5 and
    up), rising to 1 for words rarer than once in ten million."""
    zipf = lexicon.zipf(word, "nl")
    return min(1.0, max(0.0, (5.0 - zipf) / 4.0))


def is_english(text: str) -> bool:
    """Whether a message is written in English: at least two of its words are clearly more
    common in English than in Dutch, and they outnumber the clearly Dutch ones two to one.
    Programme terms (IPS, UWV, GGZ) count for neither."""
    english = dutch = 0
    for tok in tokens(text):
        if not tok.isalpha() or len(tok) < 2:
            continue
        en, nl = lexicon.zipf(tok, "en"), lexicon.zipf(tok, "nl")
        if en >= nl + 1.0:
            english += 1
        elif nl >= en + 1.0:
            dutch += 1
    return english >= 2 and english > 2 * dutch


class SynonymMap:
    """Replaces variant phrases (one or more tokens) by their canonical tokens.

    Longest variant wins; matching is on folded tokens, so 'Co-financiering', 'co financiering'
    and 'cofi' can all map onto 'cofinanciering'.
    """

    def __init__(self, groups: Iterable[tuple[str, Sequence[str]]]) -> None:
        self._phrases: dict[tuple[str, ...], tuple[str, ...]] = {}
        for canonical, variants in groups:
            target = tuple(tokens(canonical))
            for variant in (canonical, *variants):
                key = tuple(tokens(variant))
                if key and key != target:
                    self._phrases[key] = target
        self._max_len = max((len(k) for k in self._phrases), default=1)
        # multi-word variants by "all words but one": finds one-word typos in O(words)
        self._blanked: dict[tuple[str, ...], list[tuple[str, ...]]] = {}
        for key in sorted(self._phrases):
            if len(key) >= 2:
                for j in range(len(key)):
                    self._blanked.setdefault((*key[:j], "", *key[j + 1 :]), []).append(key)

    def known_tokens(self) -> set[str]:
        """Every token that occurs in a variant or a canonical form."""
        out = {t for key in self._phrases for t in key}
        out.update(t for target in self._phrases.values() for t in target)
        return out

    def apply(self, toks: Sequence[str]) -> list[str]:
        return [t for t, _ in self.apply_tracked(toks)]

    def apply_tracked(self, toks: Sequence[str], fuzzy: bool = False) -> list[tuple[str, range]]:
        """Like `apply`, with the positions in `toks` each output token came from.

        With `fuzzy`, a multi-word variant also matches with one typo in one of its words
        ("sterk door wek", "ips ligt"): inside a known name a real-but-wrong word is a typo.
        """
        out: list[tuple[str, range]] = []
        i = 0
        while i < len(toks):
            for n in range(min(self._max_len, len(toks) - i), 0, -1):
                window = tuple(toks[i : i + n])
                target = self._phrases.get(window)
                if target is None and fuzzy and n >= 2:
                    target = self._near_phrase(window)
                if target is not None:
                    out.extend((t, range(i, i + n)) for t in target)
                    i += n
                    break
            else:
                out.append((toks[i], range(i, i + 1)))
                i += 1
        return out

    def _near_phrase(self, window: tuple[str, ...]) -> tuple[str, ...] | None:
        """A variant that differs from `window` in one word, by one edit."""
        for j, typed in enumerate(window):
            blanked = (*window[:j], "", *window[j + 1 :])
            for key in self._blanked.get(blanked, ()):
                if (
                    len(key[j]) >= 3
                    and key[j] != typed
                    and DamerauLevenshtein.distance(key[j], typed) == 1
                ):
                    return self._phrases[key]
        return None


class Analyzer:
    """Turns text into the terms the matcher indexes and looks up."""

    def __init__(self, synonyms: SynonymMap, stopwords: Iterable[str]) -> None:
        self.synonyms = synonyms
        self.stopwords = frozenset(canonical_text(w) for w in stopwords)

    def surface(self, text: str) -> list[str]:
        """Folded tokens after synonym mapping, stop words removed (not yet stemmed)."""
        return [t for t in self.synonyms.apply(tokens(text)) if t not in self.stopwords]

    def terms(self, text: str) -> list[str]:
        return [stem(t) for t in self.surface(text)]
