"""The classifier next to the ranker: the bot's own arithmetic gives what scikit-learn
gives, and the stored model belongs to this knowledge base."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from knowledge.classifier import CLASSIFIER_FILE, Classifier, char_ngrams, fingerprint, train
from knowledge.kb import KnowledgeBase
from knowledge.matcher import Matcher

TEXTS = [
    ("wie betaalt de eerste acht gesprekken", "faq-5-5"),
    ("wie vergoedt de gesprekken voor ips", "faq-5-5"),
    ("betaalt de zorgverzekeraar de toeleiding", "faq-5-5"),
    ("wat is een wsp", "faq-9-23"),
    ("werkgeversservicepunt betekenis", "faq-9-23"),
    ("wat doet het wsp voor werkgevers", "faq-9-23"),
    ("wat voor weer wordt het morgen", "-"),
    ("hoe laat gaat de kantine open", "-"),
    ("wat kost een pizza", "-"),
]


def test_char_ngrams_stay_inside_words() -> None:
    assert char_ngrams("IPS") == [
        " i",
        "ip",
        "ps",
        "s ",
        " ip",
        "ips",
        "ps ",
        " ips",
        "ips ",
        " ips ",
    ]
    assert all(" " not in g.strip() for g in char_ngrams("wie betaalt"))


def test_the_bot_computes_what_scikit_learn_computes(matcher: Matcher, tmp_path: Path) -> None:
    """Unpruned, stored and loaded again: the same probabilities as sklearn's predict_proba."""
    from scipy.sparse import hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts, labels = zip(*TEXTS, strict=True)
    model = train(texts, labels, matcher.word_features, "test", prune=0.0)
    model.save(tmp_path / "c.npz")
    loaded = Classifier.load(tmp_path / "c.npz")

    words = TfidfVectorizer(analyzer=matcher.word_features, sublinear_tf=True)
    chars = TfidfVectorizer(analyzer=char_ngrams, sublinear_tf=True, min_df=2)
    x = hstack([words.fit_transform(texts), chars.fit_transform(texts)]).tocsr()
    reference = LogisticRegression(C=20.0, max_iter=5000).fit(x, list(labels))
    questions = ["wie betaald de gesprekken?", "wat is het wsp", "regent het morgen"]
    xq = hstack([words.transform(questions), chars.transform(questions)]).tocsr()
    expected = reference.predict_proba(xq)
    for question, row in zip(questions, expected, strict=True):
        got = loaded.probabilities(question, matcher.word_features)
        assert list(loaded.classes) == list(reference.classes_)
        assert np.allclose(got, row, atol=1e-5), question


def test_the_stored_classifier_belongs_to_this_knowledge_base(kb: KnowledgeBase) -> None:
    stored = Classifier.load(CLASSIFIER_FILE)
    assert stored.kb_fingerprint == fingerprint(kb)
    assert {e.id for e in kb.entries} <= set(stored.classes)


def test_kb_check_fails_for_a_classifier_of_another_knowledge_base(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import kb as cli

    stored = Classifier.load(CLASSIFIER_FILE)
    stale = Classifier.__new__(Classifier)
    stale.__dict__.update(stored.__dict__)
    stale.kb_fingerprint = "0000000000000000"
    monkeypatch.setattr(Classifier, "load", classmethod(lambda cls, path=None: stale))
    problems = cli.classifier_problems(kb)
    assert problems and "kb calibrate" in problems[0].message
