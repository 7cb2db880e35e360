"""Learned phrasings: questions the programme team linked to an entry in the chat
(/onbeantwoord). The running bot answers such a question, and near variants of it, with that
entry at once, without rebuilding the matcher's index or retraining the classifier: a learned
phrasing is analysed with the index's own analysis (spelling correction, synonyms, stems) and
kept in a small inverted index of its own. Adding or removing one costs one analysis.

Near means: nearly every word of the question is in the learned phrasing, and most of the
learned phrasing is in the question (by the words' weights, so "de", "een" count for little).
A question with a word of its own that matters (a rare word, a name, "boete") is not near, so a
learned phrasing cannot pull in a question about something else that shares some of its
words: a question that was refused stays refused unless it is, in substance, the linked one.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.matcher import Index
from knowledge.text import canonical_text, stem

# A question is a near variant of a learned phrasing when at least QUESTION_COVERED of its
# weight is in words of the phrasing and at least PHRASING_COVERED of the phrasing's weight
# is in words of the question.
QUESTION_COVERED = 0.9
PHRASING_COVERED = 0.8
UNKNOWN_PREFIX = "?"  # a word the knowledge base does not know, kept as its own term


@dataclass(frozen=True)
class Learned:
    id: int
    text: str
    entry_id: str


@dataclass(frozen=True)
class LearnedHit:
    phrasing: Learned
    similarity: float  # the smaller of the two coverages (1.0: the same words)


class LearnedIndex:
    """The confirmed learned phrasings of one running bot, searchable."""

    def __init__(self, index: Index, entry_ids: Iterable[str] = ()) -> None:
        self.index = index
        self.known_entries = frozenset(entry_ids) or frozenset(index.entry_ids)
        self._by_id: dict[int, tuple[Learned, dict[str, float], float]] = {}
        self._by_key: dict[str, int] = {}
        self._postings: dict[str, set[int]] = defaultdict(set)
        self.last_rebuild_ms = 0.0

    def __len__(self) -> int:
        return len(self._by_id)

    def ids(self) -> frozenset[int]:
        return frozenset(self._by_id)

    def terms(self, text: str) -> dict[str, float]:
        """The weighted terms of a text: the index's terms, and words it does not know."""
        vec, _, words = self.index.analyse(text)
        terms = dict(vec)
        for word in words:
            if not self.index.resolve(word) and len(word) > 1:
                terms[UNKNOWN_PREFIX + stem(word)] = self.index.unknown_idf
        return terms

    # -- changes ---------------------------------------------------------------------------

    def add(self, learned: Learned) -> bool:
        """Take one phrasing in (an entry the knowledge base no longer has is skipped)."""
        if learned.entry_id not in self.known_entries:
            return False
        self.remove(learned.id)
        terms = self.terms(learned.text)
        if not terms:
            return False
        self._by_id[learned.id] = (learned, terms, sum(terms.values()))
        self._by_key[canonical_text(learned.text)] = learned.id
        for term in terms:
            self._postings[term].add(learned.id)
        return True

    def remove(self, learned_id: int) -> None:
        found = self._by_id.pop(learned_id, None)
        if found is None:
            return
        learned, terms, _ = found
        key = canonical_text(learned.text)
        if self._by_key.get(key) == learned_id:
            del self._by_key[key]
        for term in terms:
            self._postings[term].discard(learned_id)

    def sync(self, rows: Iterable[Learned]) -> tuple[int, int]:
        """Make the index hold exactly `rows`: only what changed is analysed again.
        (added, removed)."""
        started = time.perf_counter()
        wanted = {row.id: row for row in rows}
        removed = [i for i in self._by_id if i not in wanted]
        for i in removed:
            self.remove(i)
        added = 0
        for i, row in wanted.items():
            current = self._by_id.get(i)
            if current is None or current[0] != row:
                added += self.add(row)
        self.last_rebuild_ms = (time.perf_counter() - started) * 1000
        return added, len(removed)

    # -- finding ---------------------------------------------------------------------------

    def find_entry(self, question: str) -> tuple[int, str, float] | None:
        """What the matcher asks (knowledge.matcher.LearnedLookup)."""
        hit = self.find(question)
        return None if hit is None else (hit.phrasing.id, hit.phrasing.entry_id, hit.similarity)

    def find(self, question: str) -> LearnedHit | None:
        if not self._by_id:
            return None
        exact = self._by_key.get(canonical_text(question))
        if exact is not None:
            return LearnedHit(self._by_id[exact][0], 1.0)
        terms = self.terms(question)
        total = sum(terms.values())
        if total <= 0:
            return None
        candidates: set[int] = set()
        for term in terms:
            candidates |= self._postings.get(term, set())
        best: LearnedHit | None = None
        for i in candidates:
            learned, lterms, ltotal = self._by_id[i]
            shared = [t for t in terms if t in lterms]
            q_cov = sum(terms[t] for t in shared) / total
            l_cov = sum(lterms[t] for t in shared) / ltotal
            if q_cov < QUESTION_COVERED or l_cov < PHRASING_COVERED:
                continue
            similarity = min(q_cov, l_cov)
            if best is None or similarity > best.similarity:
                best = LearnedHit(learned, similarity)
        return best
