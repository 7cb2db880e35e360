"""Question matcher: Dutch normalisation, term weighting, typo tolerance, calibrated score.

How a question is scored (see docs/matcher.md for the why and the chosen thresholds):

1. `Analyzer` folds case and accents, maps synonyms, drops stop words and stems (Snowball).
2. Each query word is resolved against the KB vocabulary: exact stem; else a compound split
   into two known words ("cofinancieringsregeling"); else a typo-tolerant look-up with
   rapidfuzz (Damerau-Levenshtein, 1 edit for short words, 2 for long ones); else it stays
   unknown, and unknown words count against the match.
3. Features per entry: the best cosine between the question and one of the entry's
   phrasings (question, title, alternatives; IDF weights), the share of the question's weight
   that the entry's phrasings (answer text at half weight) explain, and the margin to the
   runner-up.
4. A logistic model (`calibration.json`, fitted by `hoofdzaak kb calibrate`) turns these into
   one score in 0..1: the estimated probability that the top entry is the right answer.
   Two thresholds decide: answer, suggest (up to 3 "Bedoel je …?"), or unknown.

Pure Python over the loaded KB: no clock, no randomness, no I/O after construction, so the
same question always gets the same result.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import json
import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import numpy as np
import stopwordsiso
from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein
from scipy.sparse import csr_matrix

from knowledge.classifier import CLASSIFIER_FILE, Classifier
from knowledge.index_cache import cached
from knowledge.kb import KB_DIR, KnowledgeBase
from knowledge.text import (
    Analyzer,
    SynonymMap,
    canonical_text,
    fold,
    is_dutch_word,
    is_english,
    specificity,
    stem,
    tokens,
)

CALIBRATION_FILE = KB_DIR / "calibration.json"


class LearnedLookup(Protocol):
    """Phrasings learned while running (knowledge/learned.py LearnedIndex)."""

    def find_entry(self, question: str) -> tuple[int, str, float] | None:
        """(learned phrasing id, entry id, similarity) for the question, or None."""


# The features of the top entry, and the sign each one's weight must have: more of a "+"
# feature never makes the bot less sure (the fit is constrained, so it cannot learn odd
# shapes from a few examples).
FEATURE_SIGNS = {
    "clf": +1,  # the classifier's probability of the entry
    "clf_margin": +1,  # … minus the best other candidate's
    "clf_oos": -1,  # the classifier's probability that the sources do not cover the question
    "rank": +1,  # the ranker's score of the entry (0: not among its best)
    "rank_margin": +1,  # … minus the best other entry's ranker score
    "agree": +1,  # the ranker and the classifier each put this entry first (0, ½, 1)
    "phrase": +1,  # best cosine with one phrasing
    "coverage": +1,  # share of the question the entry's phrasings explain
    "chars": +1,  # best character-trigram cosine
    "unknown": -1,  # share of the question in words the KB does not know
    "terms": +1,  # number of recognised terms (capped at 5)
    "distinct": +1,  # rarest recognised word, relative
    "rivals": -1,  # how many entries explain the whole question
    "offtopic": -1,  # a word from offtopic.yaml (contact details, weather, HR, …)
    "uncovered": -1,  # specific words of the question (rare in Dutch) the entry never uses
    "type_mismatch": -1,  # asks for an amount or a number and the answer has none
}
FEATURES = tuple(FEATURE_SIGNS)
_OOS, _PHRASE, _AGREE, _RANK_MARGIN, _UNKNOWN = (
    FEATURES.index(name) for name in ("clf_oos", "phrase", "agree", "rank_margin", "unknown")
)


def _is_phrasing(top: Candidate) -> bool:
    """After normalisation the question is one of the entry's own phrasings (the same terms),
    and the ranker puts that entry first on its own: answered whatever the score says. On
    the development questions this never picked a wrong entry (docs/matcher.md)."""
    f = top.features
    return f[_PHRASE] >= 0.999 and f[_AGREE] >= 0.5 and f[_RANK_MARGIN] > 0


# Fusion of the two rankings: ranker score + CLASSIFIER_WEIGHT × the classifier's probability,
# over the ranker's best RERANK and the classifier's best CLASSIFIER_POOL entries.
CLASSIFIER_WEIGHT = 2.0
CLASSIFIER_POOL = 5
# The classifier's class for questions the sources do not cover (trained on the out-of-scope
# questions of the development sets and calibration_negatives.txt).
OUT_OF_SCOPE_CLASS = "-"
# Ranking: first stage over words, ALPHA·best phrasing + BETA·coverage + rest·entry profile
# (answer text counts ANSWER_TEXT_WEIGHT in coverage); the POOL best are scored in full and
# the RERANK best of those are mixed with character trigrams at CHAR_WEIGHT. Chosen on
# rank@1 of both evaluation sets (docs/matcher.md).
ALPHA = 0.3
BETA = 0.5
ANSWER_TEXT_WEIGHT = 0.5
POOL = 40
RERANK = 12
CHAR_WEIGHT = 0.5
SUGGEST_MAX = 3
# Never answer outright what the in-scope model finds more likely off-topic than not.
ANSWER_MIN_IN_SCOPE = 0.5
# No buttons either when this share of the question is in words the KB does not know.
CLEARLY_OFF_TOPIC = 0.9
GREETING = "greeting"  # the small-talk intent that may precede a question
_FAQ_NUMBER = re.compile(r"(?<![\d.])(\d)\.(\d{1,2})(?![\d.])")
# What a question asks for, and whether an answer holds it: an amount of money or a share
# ("hoe hoog", "wat kost") needs euros or a percentage; a count ("hoeveel") needs a number.
_ASKS_MONEY = re.compile(
    r"\b(?:hoe hoog|wat kost|wat kosten|hoeveel geld|welk bedrag|hoe duur|welk percentage|"
    r"hoeveel procent|how much money|what does .{0,40}cost|what percentage|what share)\b"
)
_ASKS_NUMBER = re.compile(
    r"\b(?:hoeveel|hoe (?:groot|lang|veel|vaak)|welk aantal|how (?:many|much|long|often))\b"
)
_MONEY = re.compile(r"€|\beuro\b|\bprocent\b|%|\bmiljoen\b|\bmiljard\b|\bhelft\b", re.I)
_NUMBER = re.compile(
    r"\d|\b(?:twee|drie|vier|vijf|zes|zeven|acht|negen|tien|twintig|honderd|duizend|"
    r"miljoen|miljard|procent|helft|derde|kwart|percentage)\b",
    re.IGNORECASE,
)


# Dutch function words (stopwords-iso) plus a few common verb forms: never "unknown".
FUNCTION_WORDS = frozenset(stopwordsiso.stopwords("nl")) | frozenset(
    [
        "bedoelt",
        "bedoelen",
        "bedoeld",
        "betekent",
        "zit",
        "zitten",
        "gaat",
        "komt",
        "krijg",
        "krijgt",
        "kom",
        "graag",
        "ok",
        "oke",
        "hoi",
        "vraag",
        "vraagje",
        "please",
        "thanks",
    ]
)


def trigrams(words: Iterable[str]) -> Counter[str]:
    """Character trigrams of each word with its boundaries: 'wsp' → _ws, wsp, sp_."""
    grams: Counter[str] = Counter()
    for word in words:
        padded = f"_{word}_"
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


class Outcome(StrEnum):
    ANSWER = "answer"
    SUGGEST = "suggest"
    UNKNOWN = "unknown"
    SMALLTALK = "smalltalk"


@dataclass(frozen=True)
class Ranked:
    """One entry as the ranker sees it."""

    entry_id: str
    score: float
    phrase: float
    coverage: float
    chars: float


@dataclass(frozen=True)
class Ranking:
    """The ranker's best entries and what it learned about the question."""

    ranked: list[Ranked]
    words: tuple[str, ...]  # the question's content words (folded, synonyms mapped)
    unknown: float  # share of the question's weight in words the KB does not know
    terms: float  # recognised terms, capped at 5, as a share of 5
    distinct: float  # the rarest recognised word, relative to the rarest in the KB
    rivals: float  # how many entries explain the whole question (log-scaled)
    offtopic: float  # 1 when a word of offtopic.yaml is in it


@dataclass(frozen=True)
class Candidate:
    """One entry after fusing the ranker and the classifier, with the decision's features."""

    entry_id: str
    rank_score: float
    features: tuple[float, ...]


@dataclass(frozen=True)
class Match:
    question: str
    outcome: Outcome
    score: float
    entry_id: str | None = None
    suggestions: tuple[str, ...] = ()
    smalltalk: str | None = None
    ranked: tuple[str, ...] = ()  # the best entries as ranked, whatever was decided
    english: bool = False  # the question is in English (the answer is Dutch, with a note)
    learned: int | None = None  # answered by this learned phrasing (knowledge/learned.py)

    @property
    def answered(self) -> bool:
        return self.outcome is Outcome.ANSWER


@dataclass(frozen=True)
class Logistic:
    """p = 1 / (1 + e^-(bias + Σ wᵢ·fᵢ))"""

    weights: tuple[float, ...]
    bias: float

    def __call__(self, features: Sequence[float]) -> float:
        z = self.bias + sum(w * f for w, f in zip(self.weights, features, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def as_dict(self) -> dict[str, object]:
        return {"weights": [round(w, 6) for w in self.weights], "bias": round(self.bias, 6)}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Logistic:
        weights = data["weights"]
        assert isinstance(weights, list)
        return cls(tuple(float(w) for w in weights), float(str(data["bias"])))


@dataclass(frozen=True)
class Calibration:
    """Two fitted models over the same features and the thresholds chosen for them.

    `correct`: the probability that the top entry is the right answer: this is the score.
    `in_scope`: the probability that the question is about the programme at all: it decides
    between suggesting ("Bedoel je …?") and saying honestly that the bot does not know.
    """

    correct: Logistic
    in_scope: Logistic
    answer_threshold: float
    suggest_threshold: float

    @classmethod
    def load(cls, path: Path = CALIBRATION_FILE) -> Calibration:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("features") != list(FEATURES):
            raise ValueError(f"{path.name} was fitted for other features: run kb calibrate")
        return cls(
            correct=Logistic.from_dict(data["correct"]),
            in_scope=Logistic.from_dict(data["in_scope"]),
            answer_threshold=float(data["answer_threshold"]),
            suggest_threshold=float(data["suggest_threshold"]),
        )

    def dump(self, path: Path, extra: dict[str, object]) -> None:
        data = {
            "features": list(FEATURES),
            "correct": self.correct.as_dict(),
            "in_scope": self.in_scope.as_dict(),
            "answer_threshold": self.answer_threshold,
            "suggest_threshold": self.suggest_threshold,
            **extra,
        }
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# Until a calibration is fitted (kb calibrate), hand-set models with the same shape.
DEFAULT_CALIBRATION = Calibration(
    correct=Logistic((4, 3, 3, 2, 6, 3, -4, 1, 1, -1, 1, 1, 2, -2, -3), -8.0),
    in_scope=Logistic((3, 4, 1, 2, 0, 0, -6, 0, 0, 0, 2, 2, 0, 0, -3), -6.0),
    answer_threshold=0.7,
    suggest_threshold=0.5,
)


@dataclass(frozen=True)
class _Phrasing:
    entry: int
    terms: frozenset[str]
    norm: float


class Index:
    """The searchable form of a list of entries, built once."""

    def __init__(
        self,
        analyzer: Analyzer,
        entries: Sequence[tuple[str, Sequence[str], str]],
        offtopic: Iterable[str] = (),
    ) -> None:
        """`entries`: (id, phrasings, answer text) per entry; `offtopic`: marker words."""
        self.analyzer = analyzer
        self.offtopic = frozenset(canonical_text(w) for w in offtopic)
        self.entry_ids = [e[0] for e in entries]
        self.entry_pos = {eid: i for i, eid in enumerate(self.entry_ids)}
        surface_phr = [[analyzer.surface(p) for p in phr] for _, phr, _ in entries]
        surface_ans = [analyzer.surface(ans) for _, _, ans in entries]
        self.surface_vocab: dict[str, str] = {}
        for toks in (t for phr in surface_phr for t in phr):
            for tok in toks:
                self.surface_vocab.setdefault(tok, stem(tok))
        for toks in surface_ans:
            for tok in toks:
                self.surface_vocab.setdefault(tok, stem(tok))
        self.stems = frozenset(self.surface_vocab.values())
        # Every word the bot knows before synonyms: for spelling correction of questions.
        raw: set[str] = set(analyzer.synonyms.known_tokens()) | set(analyzer.stopwords)
        for _, phr, ans in entries:
            for text in (*phr, ans):
                raw.update(tokens(text))
        self.raw_vocab = frozenset(raw)
        by_letter: dict[str, list[str]] = defaultdict(list)
        for word in sorted(raw):
            if len(word) >= 3 and word[0].isalpha():
                by_letter[word[0]].append(word)
        self._raw_by_letter = dict(by_letter)

        phr_terms = [[self._index_terms(toks) for toks in phr] for phr in surface_phr]
        ans_terms = [self._index_terms(toks) for toks in surface_ans]
        n = len(entries)
        df: Counter[str] = Counter()
        for i in range(n):
            df.update(set().union(*phr_terms[i], ans_terms[i]))
        self.idf = {t: math.log(1.0 + (n - c + 0.5) / (c + 0.5)) for t, c in df.items()}
        # An unknown word weighs as much as a typical KB word: enough to count against a
        # match, not so much that one odd word sinks a clear question.
        self.unknown_idf = statistics.median(self.idf.values()) if self.idf else 1.0
        self.max_idf = max(self.idf.values(), default=1.0)

        self.phrasings: list[_Phrasing] = []
        self.entry_phrasings: list[list[int]] = [[] for _ in range(n)]
        self.entry_term_counts: list[Counter[str]] = [Counter() for _ in range(n)]
        self.answer_terms: list[frozenset[str]] = [frozenset(t) for t in ans_terms]
        for i in range(n):
            for term_list in phr_terms[i]:
                terms = frozenset(term_list)
                if not terms:
                    continue
                pid = len(self.phrasings)
                norm = math.sqrt(sum(self.idf[t] ** 2 for t in terms))
                self.phrasings.append(_Phrasing(i, terms, norm))
                self.entry_phrasings[i].append(pid)
                self.entry_term_counts[i].update(terms)
        # every stem an entry uses (phrasings and answer), and whether its answer states a number
        self.entry_vocab = [
            frozenset(self.entry_term_counts[i]) | self.answer_terms[i] for i in range(n)
        ]
        self.entry_has_number = [bool(_NUMBER.search(ans)) for _, _, ans in entries]
        self.entry_has_money = [bool(_MONEY.search(ans)) for _, _, ans in entries]
        self.centroid: list[dict[str, float]] = []
        self.centroid_norm: list[float] = []
        for i in range(n):
            vec, norm = self._centroid(i)
            self.centroid.append(vec)
            self.centroid_norm.append(norm)
        # character trigrams of every phrasing, IDF over entries
        surface_by_pid = [toks for phr in surface_phr for toks in phr if self._index_terms(toks)]
        gram_counts = [trigrams(toks) for toks in surface_by_pid]
        gram_df: Counter[str] = Counter()
        for i in range(n):
            gram_df.update(set().union(*(gram_counts[p] for p in self.entry_phrasings[i])))
        self.gram_idf = {g: math.log(1.0 + (n - c + 0.5) / (c + 0.5)) for g, c in gram_df.items()}
        self.gram_ids = {g: j for j, g in enumerate(sorted(self.gram_idf))}
        rows, cols, vals = [], [], []
        for pid, counts in enumerate(gram_counts):
            vec, norm = self._gram_vector(counts)
            for g, w in vec.items():
                rows.append(pid)
                cols.append(self.gram_ids[g])
                vals.append(w / norm)
        self.gram_matrix = csr_matrix(
            (vals, (rows, cols)), shape=(len(gram_counts), len(self.gram_ids)), dtype=np.float64
        )
        # Sparse matrices for the first stage: phrasings × terms (IDF, unit rows), and
        # entries × terms for words that only occur in answers.
        self.term_ids = {t: j for j, t in enumerate(sorted(self.idf))}
        rows, cols, vals = [], [], []
        for pid, ph in enumerate(self.phrasings):
            for t in ph.terms:
                rows.append(pid)
                cols.append(self.term_ids[t])
                vals.append(self.idf[t] / ph.norm)
        shape = (len(self.phrasings), len(self.term_ids))
        self.phrase_matrix = csr_matrix((vals, (rows, cols)), shape=shape, dtype=np.float64)
        # phrasings are numbered entry by entry, so each entry's are one contiguous run
        self.entries_with_phrasings = np.array(
            [e for e in range(n) if self.entry_phrasings[e]], dtype=np.int64
        )
        self.entry_starts = np.array(
            [self.entry_phrasings[e][0] for e in self.entries_with_phrasings], dtype=np.int64
        )
        rows, cols = [], []
        for e, terms in enumerate(self.answer_terms):
            for t in terms:
                rows.append(e)
                cols.append(self.term_ids[t])
        self.answer_matrix = csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(n, len(self.term_ids)), dtype=np.float64
        )

    def _centroid(self, e: int) -> tuple[dict[str, float], float]:
        """An entry's profile: idf × √(share of its phrasings using the term)."""
        counts = self.entry_term_counts[e]
        k = len(self.entry_phrasings[e])
        vec: dict[str, float] = {}
        for t, c in counts.items():
            if c > 0:
                vec[t] = self.idf[t] * math.sqrt(c / max(1, k))
        return vec, math.sqrt(sum(v * v for v in vec.values())) or 1.0

    # -- vocabulary resolution -------------------------------------------------------------

    def _split(self, tok: str) -> list[str] | None:
        """Split a compound into two known words: 'cofinancieringsregeling' → two stems."""
        if len(tok) < 7:
            return None
        vocab = self.surface_vocab
        best: list[str] | None = None
        for cut in range(3, len(tok) - 3):
            head, tail = tok[:cut], tok[cut:]
            heads = [head]
            if head.endswith(("s", "e")) and len(head) > 3:
                heads.append(head[:-1])  # linking -s- / -e-
            for h in heads:
                h_known = h in vocab or stem(h) in self.stems
                t_known = tail in vocab or stem(tail) in self.stems
                if h_known and t_known:
                    parts = [vocab.get(h, stem(h)), vocab.get(tail, stem(tail))]
                    if best is None or len(h) > len(best[0]):
                        best = parts
        return best

    @staticmethod
    def _index_terms(toks: Iterable[str]) -> list[str]:
        """Stems of indexed text. Compounds are split only in questions (for unknown words):
        splitting KB words too would make one entry's index depend on other entries' words."""
        return [stem(tok) for tok in toks]

    @lru_cache(maxsize=8192)  # noqa: B019 - the index lives as long as the process
    def resolve(self, tok: str) -> tuple[tuple[str, float], ...]:
        """Query token → ((stem, weight), …); empty when unknown to the KB."""
        s = stem(tok)
        if s in self.stems:
            return ((s, 1.0),)
        if tok[0].isdigit():
            return ()
        parts = self._split(tok)
        if parts:
            return tuple((p, 0.9) for p in parts)
        if len(tok) > 4 and tok.startswith("ge") and stem(tok[2:]) in self.stems:
            return ((stem(tok[2:]), 0.9),)
        return ()

    @lru_cache(maxsize=8192)  # noqa: B019 - the index lives as long as the process
    def correct(self, tok: str) -> tuple[str, float]:
        """Spelling correction of one folded word against every word the bot knows.

        Known words, numbers, inflections and compounds of known words stay as they are. Else
        the nearest known word with the same first letter within 1 edit (2 for words of 7+
        letters; for 3-letter words only a swap of two letters, 'wps' → 'wsp') wins. A real
        Dutch word the KB does not use ('trein', 'gedicht') is not a typo: it stays unknown,
        which is what makes off-topic questions recognisable.
        """
        if (
            tok in self.raw_vocab
            or not tok[0].isalpha()
            or len(tok) < 3
            or stem(tok) in self.stems
            or self._split(tok)
            or is_dutch_word(tok)
        ):
            return tok, 1.0
        keys = self._raw_by_letter.get(tok[0], [])
        if len(tok) == 3:
            keys = [k for k in keys if len(k) == 3 and sorted(k) == sorted(tok)]
        max_edits = 1 if len(tok) < 7 else 2
        found = process.extractOne(
            tok, keys, scorer=DamerauLevenshtein.distance, score_cutoff=max_edits
        )
        if found is None:
            return tok, 1.0
        return found[0], 1.0 - 0.15 * found[1]

    def analyse(self, text: str) -> tuple[dict[str, float], float, list[str]]:
        """(term → weight, weight of unknown words, corrected words) for a question."""
        vec: dict[str, float] = {}
        unknown = 0.0
        words: list[str] = []
        corrected = [self.correct(t) for t in tokens(text)]
        mapped = self.analyzer.synonyms.apply_tracked([t for t, _ in corrected], fuzzy=True)
        for tok, sources in mapped:
            if tok in self.analyzer.stopwords:
                continue
            words.append(tok)
            confidence = min(corrected[i][1] for i in sources)
            resolved = self.resolve(tok)
            if not resolved:
                # an unknown content word counts against the match; "bedoelt", "zowel"
                # and other function words the KB happens not to use do not
                if len(tok) > 2 and not tok.isdigit() and tok not in FUNCTION_WORDS:
                    unknown += self.unknown_idf**2
                continue
            for term, weight in resolved:
                w = self.idf[term] * weight * confidence
                vec[term] = max(vec.get(term, 0.0), w)
        return vec, unknown, words

    # -- scoring ---------------------------------------------------------------------------

    def rank(self, text: str, limit: int = RERANK) -> Ranking:
        """The ranker's best entries for `text`, best first, with what the decision needs
        to know about the question."""
        vec, unknown, words = self.analyse(text)
        offtopic = float(any(t in self.offtopic for t in tokens(text)))
        known_sq = sum(w * w for w in vec.values())
        total_sq = known_sq + unknown
        if not vec or total_sq == 0:
            return Ranking([], tuple(words), 1.0 if unknown else 0.0, 0.0, 0.0, 0.0, offtopic)
        unknown_share = unknown / total_sq
        q_norm = math.sqrt(total_sq)

        # First stage: cosine with every phrasing at once, best phrasing per entry.
        q = np.zeros(len(self.term_ids))
        for term, w in vec.items():
            q[self.term_ids[term]] = w
        cos = np.asarray(self.phrase_matrix @ q, dtype=np.float64) / q_norm
        phrase_by_entry = np.zeros(len(self.entry_ids))
        if len(cos):
            phrase_by_entry[self.entries_with_phrasings] = np.maximum.reduceat(
                cos, self.entry_starts
            )
        answer_hits = self.answer_matrix @ (q > 0).astype(np.float64)
        pool_score = phrase_by_entry + 0.01 * answer_hits
        touched = np.flatnonzero(pool_score > 0)
        if len(touched) > POOL:
            touched = touched[np.argpartition(-pool_score[touched], POOL)[:POOL]]
        best_phrase = {int(e): float(phrase_by_entry[e]) for e in touched}

        scored: list[tuple[float, str, int, float, float, float]] = []
        for e, phrase in best_phrase.items():
            counts = self.entry_term_counts[e]
            covered = 0.0
            for term, w in vec.items():
                if counts.get(term, 0) > 0:
                    covered += w * w
                elif term in self.answer_terms[e]:
                    covered += ANSWER_TEXT_WEIGHT * w * w
            coverage = covered / total_sq
            cvec, cnorm = self.centroid[e], self.centroid_norm[e]
            cent = sum(w * cvec.get(t, 0.0) for t, w in vec.items()) / (q_norm * cnorm)
            word_score = ALPHA * phrase + BETA * coverage + (1 - ALPHA - BETA) * cent
            scored.append((word_score, self.entry_ids[e], e, phrase, coverage, cent))
        scored.sort(key=lambda s: (-s[0], s[1]))
        # Second stage: the best few by words, re-ranked with character trigrams.
        first = scored[:RERANK]
        char_sims = self._char_similarity(trigrams(words), [e for _, _, e, _, _, _ in first])
        reranked = []
        for (ws, eid, _e, phrase, coverage, cent), chars in zip(first, char_sims, strict=True):
            rank_score = (1 - CHAR_WEIGHT) * ws + CHAR_WEIGHT * chars
            reranked.append((rank_score, eid, phrase, coverage, cent, chars))
        reranked.sort(key=lambda s: (-s[0], s[1]))
        ranked = [
            Ranked(eid, rs, phrase, coverage, chars)
            for rs, eid, phrase, coverage, _cent, chars in reranked[:limit]
        ]
        # how many entries explain the whole question: many means a vague question
        rivals = math.log1p(sum(1 for t in scored if t[4] >= 0.99)) / math.log1p(POOL)
        return Ranking(
            ranked=ranked,
            words=tuple(words),
            unknown=unknown_share,
            terms=min(len(vec), 5) / 5,
            distinct=max(vec.values()) / self.max_idf,
            rivals=rivals,
            offtopic=offtopic,
        )

    # -- character trigrams ----------------------------------------------------------------

    def _gram_vector(self, grams: Counter[str]) -> tuple[dict[str, float], float]:
        vec = {
            g: self.gram_idf.get(g, self.unknown_idf) * (1 + math.log(c)) for g, c in grams.items()
        }
        return vec, math.sqrt(sum(v * v for v in vec.values())) or 1.0

    def _char_similarity(self, grams: Counter[str], entries: Sequence[int]) -> list[float]:
        """Per entry: the best cosine between the question's trigrams and a phrasing's."""
        if not entries:
            return []
        qvec, qnorm = self._gram_vector(grams)
        q = np.zeros(len(self.gram_ids))
        for g, w in qvec.items():
            j = self.gram_ids.get(g)
            if j is not None:
                q[j] = w
        rows = [pid for e in entries for pid in self.entry_phrasings[e]]
        starts = np.cumsum([0] + [len(self.entry_phrasings[e]) for e in entries[:-1]])
        sims = np.asarray(self.gram_matrix[rows] @ q, dtype=np.float64) / qnorm
        return [float(x) for x in np.maximum.reduceat(sims, starts)]


class Matcher:
    """Answers a question from the knowledge base: answer, suggest, unknown or small talk."""

    def __init__(
        self,
        kb: KnowledgeBase,
        calibration: Calibration | None = None,
        classifier: Classifier | None = None,
        use_classifier: bool = True,
    ) -> None:
        """`classifier`: the stored one (classifier.npz) unless given; `use_classifier=False`
        ranks with the ranker alone (for training the classifier and for comparisons)."""
        self.kb = kb
        if calibration is None:
            calibration = Calibration.load() if CALIBRATION_FILE.exists() else DEFAULT_CALIBRATION
        self.calibration = calibration
        if classifier is None and use_classifier and CLASSIFIER_FILE.exists():
            classifier = Classifier.load()
        self.classifier = classifier if use_classifier else None
        self._class_pos = (
            {c: i for i, c in enumerate(self.classifier.classes)} if self.classifier else {}
        )
        synonyms = SynonymMap((g.canonical, g.variants) for g in kb.synonyms.groups)
        self.analyzer = Analyzer(synonyms, kb.synonyms.stopwords)
        entries = [(e.id, e.phrasings, f"{e.answer}\n{e.more or ''}") for e in kb.entries]
        built_from = {
            "entries": entries,
            "synonyms": [(g.canonical, list(g.variants)) for g in kb.synonyms.groups],
            "stopwords": sorted(kb.synonyms.stopwords),
            "offtopic": list(kb.offtopic.words),
        }
        self.index = cached(
            "index",
            built_from,
            lambda: Index(self.analyzer, entries, offtopic=kb.offtopic.words),
            Index,
        )
        self.analyzer = self.index.analyzer  # the one the index was built with (or loaded)
        self._smalltalk: dict[str, str] = {}
        for intent in kb.smalltalk.intents:
            for pattern in intent.patterns:
                self._smalltalk[canonical_text(pattern)] = intent.id
        self._smalltalk_max = max((len(k.split()) for k in self._smalltalk), default=1)

    def warm(self) -> None:
        """Answer one made-up question, so that the word lists loaded on first use (lemmas,
        word frequencies: about a second) are there before the first real question."""
        self.match("Wat betaalt de gemeente als een cliënt met een uitkering begint?")

    def with_calibration(self, calibration: Calibration) -> Matcher:
        """The same index with other weights or thresholds (for calibration runs)."""
        clone = copy.copy(self)
        clone.calibration = calibration
        return clone

    def with_classifier(self, classifier: Classifier | None) -> Matcher:
        """The same index with another classifier (None: the ranker alone)."""
        clone = copy.copy(self)
        clone.classifier = classifier
        clone._class_pos = {c: i for i, c in enumerate(classifier.classes)} if classifier else {}
        return clone

    # -- ranking: the ranker and the classifier together --------------------------------------

    def word_features(self, text: str) -> list[str]:
        """The classifier's word features: the matcher's terms and the bigrams of its words."""
        vec, _, words = self.index.analyse(text)
        return [*vec, *(f"{a}_{b}" for a, b in itertools.pairwise(words))]

    def candidates(self, text: str, limit: int = SUGGEST_MAX + 1) -> list[Candidate]:
        """The best entries for a question (without small talk), best first, each with the
        features the decision uses (FEATURE_SIGNS)."""
        ranking = self.index.rank(text)
        ranked = {r.entry_id: r for r in ranking.ranked}
        probs: dict[str, float] = {}
        oos = 0.0
        if self.classifier is not None and (ranking.ranked or ranking.words):
            p = self.classifier.probabilities(text, self.word_features)
            best = [i for i in np.argsort(-p)[: CLASSIFIER_POOL + 1]]
            probs = {self.classifier.classes[i]: float(p[i]) for i in best}
            for eid in ranked:
                if eid in self._class_pos:
                    probs[eid] = float(p[self._class_pos[eid]])
            if OUT_OF_SCOPE_CLASS in self._class_pos:
                oos = float(p[self._class_pos[OUT_OF_SCOPE_CLASS]])
            # a class the index does not have (a classifier of another knowledge base)
            probs = {e: v for e, v in probs.items() if e in self.index.entry_pos}
        pool = set(ranked) | set(probs)
        if not pool:
            return []
        fused = sorted(
            (
                (ranked[e].score if e in ranked else 0.0) + CLASSIFIER_WEIGHT * probs.get(e, 0.0),
                e,
            )
            for e in pool
        )
        fused.sort(key=lambda t: (-t[0], t[1]))
        rank_top = ranking.ranked[0].entry_id if ranking.ranked else ""
        clf_top = max(probs, key=lambda e: (probs[e], e)) if probs else ""
        folded = fold(text)
        asks_money = bool(_ASKS_MONEY.search(folded))
        asks_number = not asks_money and bool(_ASKS_NUMBER.search(folded))
        out: list[Candidate] = []
        for i, (score, eid) in enumerate(fused[:limit]):
            others = [e for _, e in fused if e != eid]
            r = ranked.get(eid)
            rank_score = r.score if r else 0.0
            other_rank = max((ranked[e].score for e in others if e in ranked), default=0.0)
            prob = probs.get(eid, 0.0)
            other_prob = max((probs.get(e, 0.0) for e in others), default=0.0)
            e_idx = self.index.entry_pos[eid]
            features = (
                prob,
                prob - other_prob,
                oos,
                rank_score,
                rank_score - other_rank,
                (float(eid == rank_top) + float(eid == clf_top)) / 2,
                r.phrase if r else 0.0,
                r.coverage if r else 0.0,
                r.chars if r else 0.0,
                ranking.unknown,
                ranking.terms,
                ranking.distinct,
                ranking.rivals,
                ranking.offtopic,
                self._uncovered(ranking.words, e_idx),
                float(
                    (asks_money and not self.index.entry_has_money[e_idx])
                    or (asks_number and not self.index.entry_has_number[e_idx])
                ),
            )
            out.append(Candidate(eid, score, features))
            if i + 1 >= limit:
                break
        return out

    def _uncovered(self, words: Sequence[str], e_idx: int) -> float:
        """The share of the question's specific words (rare in Dutch) that the entry never
        uses: a question about a WIA application shares "WIA" with the entry on benefits, but
        "aanvragen" … is what it asks about."""
        vocab = self.index.entry_vocab[e_idx]
        total = missing = 0.0
        for word in words:
            if word in FUNCTION_WORDS or word.isdigit() or len(word) < 3:
                continue
            weight = specificity(word)
            total += weight
            if stem(word) not in vocab:
                missing += weight
        return missing / total if total else 0.0

    # -- small talk ------------------------------------------------------------------------

    def _strip_smalltalk(self, text: str) -> tuple[str | None, str]:
        """(intent if the message is only small talk, the message without it)."""
        toks = tokens(text)
        if not toks:
            return None, ""
        intent: str | None = None
        whole = self._smalltalk.get(" ".join(toks))
        if whole is not None:
            return whole, ""
        # a greeting before a question ("hoi, …") and thanks after it ("…, dank je"); not the
        # other way round: "… wordt het morgen" is about tomorrow, not a greeting
        changed = True
        while changed and toks:
            changed = False
            for n in range(min(self._smalltalk_max, len(toks)), 0, -1):
                head = self._smalltalk.get(" ".join(toks[:n]))
                if head == GREETING:
                    intent, toks, changed = intent or head, toks[n:], True
                    break
                tail = self._smalltalk.get(" ".join(toks[-n:]))
                if tail is not None and tail != GREETING:
                    intent, toks, changed = intent or tail, toks[:-n], True
                    break
        if intent is not None and all(
            t in FUNCTION_WORDS or t in self.analyzer.stopwords for t in toks
        ):
            return intent, ""  # "goedemorgen allemaal", "bedankt hoor"
        return None, " ".join(toks)

    def smalltalk_reply(self, intent_id: str) -> str:
        for intent in self.kb.smalltalk.intents:
            if intent.id == intent_id:
                return intent.reply
        raise KeyError(intent_id)

    # -- matching --------------------------------------------------------------------------

    def _faq_number(self, text: str) -> str | None:
        """'5.10', 'faq 5.10', 'vraag 5.10?' → the entry for FAQ 5.10."""
        folded = fold(text).strip()
        m = _FAQ_NUMBER.search(folded)
        if m is None:
            return None
        rest = _FAQ_NUMBER.sub(" ", folded)
        if set(tokens(rest)) - {"faq", "vraag", "item", "nummer", "nr", "punt", "zie"}:
            return None
        entry = self.kb.entry_for_faq(f"{m.group(1)}.{m.group(2)}")
        return entry.id if entry else None

    def match(self, question: str, learned: LearnedLookup | None = None) -> Match:
        """`learned`: the running bot's learned phrasings (knowledge/learned.py); a question
        that is one of them, or a near variant, gets that phrasing's entry."""
        text = question.strip()
        direct = self._faq_number(text)
        if direct is not None:
            return Match(question, Outcome.ANSWER, 1.0, entry_id=direct, ranked=(direct,))
        intent, rest = self._strip_smalltalk(text)
        if intent is not None:
            return Match(question, Outcome.SMALLTALK, 1.0, smalltalk=intent)
        hit = learned.find_entry(rest) if learned is not None and rest.strip() else None
        if hit is not None:
            learned_id, entry, similarity = hit
            return Match(
                question,
                Outcome.ANSWER,
                similarity,
                entry_id=entry,
                ranked=(entry,),
                english=is_english(rest),
                learned=learned_id,
            )
        return self.decide(question, self.candidates(rest), english=is_english(rest))

    def decide(
        self, question: str, candidates: Sequence[Candidate], english: bool = False
    ) -> Match:
        """Answer when the top entry is very likely right; else buttons for the best three,
        unless the question is clearly not about the programme. An English question is
        never refused for being English: it gets at least the buttons."""
        match = self._decide(question, candidates)
        if english:
            f = candidates[0].features if candidates else ()
            # some programme words, and not what the classifier calls out of scope
            about_programme = bool(f) and f[_OOS] < 0.5 and f[_UNKNOWN] < CLEARLY_OFF_TOPIC
            if match.outcome is Outcome.UNKNOWN and match.ranked and about_programme:
                match = dataclasses.replace(
                    match, outcome=Outcome.SUGGEST, suggestions=match.ranked[:SUGGEST_MAX]
                )
            match = dataclasses.replace(match, english=True)
        return match

    def _decide(self, question: str, candidates: Sequence[Candidate]) -> Match:
        if not candidates:
            return Match(question, Outcome.UNKNOWN, 0.0)
        cal = self.calibration
        top = candidates[0]
        ranked = tuple(c.entry_id for c in candidates)
        score = cal.correct(top.features)
        in_scope = cal.in_scope(top.features)
        if _is_phrasing(top):  # the question is one of the entry's phrasings
            return Match(question, Outcome.ANSWER, max(score, 0.99), top.entry_id, ranked=ranked)
        if score >= cal.answer_threshold and in_scope >= ANSWER_MIN_IN_SCOPE:
            return Match(question, Outcome.ANSWER, score, entry_id=top.entry_id, ranked=ranked)
        # buttons, unless it is clearly about something else: nearly none of its words are
        # words the knowledge base knows
        if in_scope >= cal.suggest_threshold and top.features[_UNKNOWN] < CLEARLY_OFF_TOPIC:
            return Match(
                question, Outcome.SUGGEST, score, suggestions=ranked[:SUGGEST_MAX], ranked=ranked
            )
        return Match(question, Outcome.UNKNOWN, score, ranked=ranked)
