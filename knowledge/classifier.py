"""A supervised classifier over the entries, next to the ranker (docs/matcher.md).

Each entry is a class; its training examples are the entry's phrasings (question, title,
alternatives) and the in-scope questions of the development sets. Features, as Rasa's
default pipeline uses for languages without a good language model:

- word features: the matcher's own terms of the question (folded, spelling-corrected,
  synonyms mapped, stemmed) and the bigrams of its words;
- character n-grams of 2 to 5 characters within word boundaries, on the folded text.

Each block is TF-IDF weighted (sublinear term frequency, smoothed IDF, unit length), the same
as scikit-learn's `TfidfVectorizer`, which does the work at training time
(`hoofdzaak kb calibrate`, with a multinomial logistic regression). The trained weights are
stored in `classifier.npz` beside the knowledge base, small weights dropped; the bot itself
only computes the features and one sparse product, without scikit-learn (which takes close
to a second to import), so a question costs well under a millisecond here.

The file carries a fingerprint of what it was trained on (the entries' phrasings and the
synonyms): `hoofdzaak kb check` fails when the knowledge base changed since, so a release
never ships a classifier of an older knowledge base.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix

from knowledge.kb import KB_DIR, KnowledgeBase
from knowledge.text import fold

CLASSIFIER_FILE = KB_DIR / "classifier.npz"
CHAR_RANGE = (2, 5)
# Training: inverse regularisation strength, and the share of the largest weight below
# which a weight is dropped from the stored model (chosen in docs/matcher.md).
C = 20.0
PRUNE = 0.01

WordFeatures = Callable[[str], list[str]]


def char_ngrams(text: str) -> list[str]:
    """Character n-grams within word boundaries, as scikit-learn's `char_wb` analyzer:
    each folded word padded with a space on both sides."""
    grams: list[str] = []
    lo, hi = CHAR_RANGE
    for word in fold(text).split():
        padded = f" {word} "
        for n in range(lo, hi + 1):
            if len(padded) < n:
                break
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


def fingerprint(kb: KnowledgeBase) -> str:
    """What the classifier learned from: every entry's phrasings and the synonyms."""
    data = {
        "entries": [(e.id, e.question, e.title, list(e.alternatives)) for e in kb.entries],
        "synonyms": [(g.canonical, list(g.variants)) for g in kb.synonyms.groups],
        "stopwords": sorted(kb.synonyms.stopwords),
        "char_range": list(CHAR_RANGE),
    }
    raw = json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class _Block:
    """One TF-IDF block: its features' columns and IDF weights."""

    vocabulary: dict[str, int]
    idf: np.ndarray
    offset: int

    def add(self, features: Sequence[str], cols: list[int], vals: list[float]) -> None:
        counts = Counter(f for f in features if f in self.vocabulary)
        weights = [
            (self.vocabulary[f], (1.0 + math.log(c)) * float(self.idf[self.vocabulary[f]]))
            for f, c in counts.items()
        ]
        norm = math.sqrt(sum(w * w for _, w in weights)) or 1.0
        for j, w in weights:
            cols.append(self.offset + j)
            vals.append(w / norm)


class Classifier:
    """The stored model: probabilities over the entries for a question."""

    def __init__(
        self,
        classes: Sequence[str],
        word_vocab: Sequence[str],
        word_idf: np.ndarray,
        char_vocab: Sequence[str],
        char_idf: np.ndarray,
        coef: csr_matrix,
        intercept: np.ndarray,
        kb_fingerprint: str,
    ) -> None:
        self.classes = tuple(classes)
        self.words = _Block({w: i for i, w in enumerate(word_vocab)}, word_idf, 0)
        self.chars = _Block({g: i for i, g in enumerate(char_vocab)}, char_idf, len(word_vocab))
        self.width = len(word_vocab) + len(char_vocab)
        # (features × classes): one product per question
        self.coef_t = csr_matrix(coef.T)
        self.intercept = intercept
        self.kb_fingerprint = kb_fingerprint

    def vector(self, text: str, word_features: WordFeatures) -> csr_matrix:
        cols: list[int] = []
        vals: list[float] = []
        self.words.add(word_features(text), cols, vals)
        self.chars.add(char_ngrams(text), cols, vals)
        return csr_matrix((vals, ([0] * len(cols), cols)), shape=(1, self.width))

    def probabilities(self, text: str, word_features: WordFeatures) -> np.ndarray:
        """Softmax over the classes (multinomial logistic regression)."""
        z = np.asarray((self.vector(text, word_features) @ self.coef_t).todense()).ravel()
        z = z + self.intercept
        z -= z.max()
        p = np.exp(z)
        return np.asarray(p / p.sum(), dtype=np.float64)

    # -- storage ---------------------------------------------------------------------------

    def save(self, path: Path = CLASSIFIER_FILE) -> None:
        coef = csr_matrix(self.coef_t.T)
        np.savez_compressed(
            path,
            classes=np.array(self.classes),
            word_vocab=np.array(_by_column(self.words.vocabulary)),
            word_idf=self.words.idf.astype(np.float32),
            char_vocab=np.array(_by_column(self.chars.vocabulary)),
            char_idf=self.chars.idf.astype(np.float32),
            coef_data=coef.data.astype(np.float32),
            coef_indices=coef.indices.astype(np.int32),
            coef_indptr=coef.indptr.astype(np.int32),
            coef_shape=np.array(coef.shape),
            intercept=self.intercept.astype(np.float32),
            kb_fingerprint=np.array(self.kb_fingerprint),
        )

    @classmethod
    def load(cls, path: Path = CLASSIFIER_FILE) -> Classifier:
        with np.load(path, allow_pickle=False) as data:
            shape = tuple(int(x) for x in data["coef_shape"])
            coef = csr_matrix(
                (data["coef_data"], data["coef_indices"], data["coef_indptr"]), shape=shape
            )
            return cls(
                [str(c) for c in data["classes"]],
                [str(w) for w in data["word_vocab"]],
                data["word_idf"].astype(np.float64),
                [str(g) for g in data["char_vocab"]],
                data["char_idf"].astype(np.float64),
                coef.astype(np.float64),
                data["intercept"].astype(np.float64),
                str(data["kb_fingerprint"]),
            )


def _by_column(vocabulary: Mapping[str, int]) -> list[str]:
    """The features in column order."""
    return [f for f, _ in sorted(vocabulary.items(), key=lambda kv: kv[1])]


def train(
    texts: Sequence[str],
    labels: Sequence[str],
    word_features: WordFeatures,
    kb_fingerprint: str,
    c: float = C,
    prune: float = PRUNE,
) -> Classifier:
    """Fit on (text, entry id) pairs with scikit-learn (a development dependency: only
    `hoofdzaak kb calibrate` trains)."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    words = TfidfVectorizer(analyzer=word_features, sublinear_tf=True)
    chars = TfidfVectorizer(analyzer=char_ngrams, sublinear_tf=True, min_df=2)
    x = hstack([words.fit_transform(texts), chars.fit_transform(texts)]).tocsr()
    model = LogisticRegression(C=c, max_iter=5000)
    model.fit(x, list(labels))
    coef = np.asarray(model.coef_, dtype=np.float64)
    if prune > 0:
        coef[np.abs(coef) < prune * np.abs(coef).max()] = 0.0
    word_vocab = _by_column(words.vocabulary_)
    char_vocab = _by_column(chars.vocabulary_)
    return Classifier(
        [str(c) for c in model.classes_],
        word_vocab,
        np.asarray(words.idf_, dtype=np.float64),
        char_vocab,
        np.asarray(chars.idf_, dtype=np.float64),
        csr_matrix(coef),
        np.asarray(model.intercept_, dtype=np.float64),
        kb_fingerprint,
    )
