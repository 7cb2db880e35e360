"""Measuring the matcher (`hoofdzaak kb eval`) and fitting its calibration (`kb calibrate`)."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

from knowledge.kb import KB_DIR, KnowledgeBase
from knowledge.matcher import (
    ANSWER_MIN_IN_SCOPE,
    DEFAULT_CALIBRATION,
    FEATURE_SIGNS,
    Calibration,
    Candidate,
    Logistic,
    Match,
    Matcher,
    Outcome,
)

OUT_OF_SCOPE = "-"
NEGATIVES_FILE = KB_DIR / "calibration_negatives.txt"
VAGUE_FILE = KB_DIR / "calibration_vague.txt"


@dataclass(frozen=True)
class EvalItem:
    question: str
    expected: str  # entry id, or "-" for out of scope
    kind: str

    @property
    def in_scope(self) -> bool:
        return self.expected != OUT_OF_SCOPE


def load_eval(path: Path) -> list[EvalItem]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [
            EvalItem(row["question"].strip(), row["expected"].strip(), row["kind"].strip())
            for row in reader
            if row.get("question")
        ]


@dataclass
class Tally:
    total: int = 0
    direct: int = 0
    helped: int = 0
    wrong: int = 0

    def add(self, direct: bool, helped: bool, wrong: bool) -> None:
        self.total += 1
        self.direct += direct
        self.helped += helped
        self.wrong += wrong


@dataclass
class EvalReport:
    in_scope: Tally = field(default_factory=Tally)
    by_section: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_kind: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    oos_total: int = 0
    oos_refused: int = 0  # outcome unknown (or small talk)
    oos_answered: int = 0  # given an answer outright: the worst case
    misses: list[tuple[EvalItem, Match]] = field(default_factory=list)

    @staticmethod
    def _rate(n: int, total: int) -> float:
        return n / total if total else 0.0

    @property
    def direct_rate(self) -> float:
        return self._rate(self.in_scope.direct, self.in_scope.total)

    @property
    def helped_rate(self) -> float:
        return self._rate(self.in_scope.helped, self.in_scope.total)

    @property
    def wrong_rate(self) -> float:
        """Confidently wrong: in-scope questions answered outright with the wrong entry."""
        return self._rate(self.in_scope.wrong, self.in_scope.total)

    @property
    def oos_refused_rate(self) -> float:
        return self._rate(self.oos_refused, self.oos_total)

    @property
    def oos_answered_rate(self) -> float:
        return self._rate(self.oos_answered, self.oos_total)

    def as_dict(self) -> dict[str, object]:
        return {
            "questions": self.in_scope.total + self.oos_total,
            "in_scope": self.in_scope.total,
            "top1_accuracy": round(self.direct_rate, 4),
            "helped": round(self.helped_rate, 4),
            "confidently_wrong": round(self.wrong_rate, 4),
            "out_of_scope": self.oos_total,
            "out_of_scope_rejected": round(self.oos_refused_rate, 4),
            "out_of_scope_answered": round(self.oos_answered_rate, 4),
            "by_section": {
                k: {
                    "total": t.total,
                    "top1": round(self._rate(t.direct, t.total), 4),
                    "helped": round(self._rate(t.helped, t.total), 4),
                    "wrong": t.wrong,
                }
                for k, t in sorted(self.by_section.items())
            },
            "by_kind": {
                k: {"total": t.total, "top1": round(self._rate(t.direct, t.total), 4)}
                for k, t in sorted(self.by_kind.items())
            },
            "misses": [
                {
                    "question": it.question,
                    "expected": it.expected,
                    "outcome": m.outcome.value,
                    "got": m.entry_id or list(m.suggestions),
                    "score": round(m.score, 3),
                }
                for it, m in self.misses
            ],
        }


def evaluate(matcher: Matcher, items: Sequence[EvalItem]) -> EvalReport:
    report = EvalReport()
    for item in items:
        m = matcher.match(item.question)
        if not item.in_scope:
            report.oos_total += 1
            refused = m.outcome in (Outcome.UNKNOWN, Outcome.SMALLTALK)
            report.oos_refused += refused
            report.oos_answered += m.outcome is Outcome.ANSWER
            if not refused:
                report.misses.append((item, m))
            continue
        direct = m.outcome is Outcome.ANSWER and m.entry_id == item.expected
        helped = direct or (m.outcome is Outcome.SUGGEST and item.expected in m.suggestions)
        wrong = m.outcome is Outcome.ANSWER and m.entry_id != item.expected
        section = matcher.kb.section_of.get(item.expected, "?")
        for tally in (report.in_scope, report.by_section[section], report.by_kind[item.kind]):
            tally.add(direct, helped, wrong)
        if not direct:
            report.misses.append((item, m))
    return report


# -- calibration -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    features: tuple[float, ...]
    correct: int  # 1: the top entry is the right answer
    in_scope: int  # 1: the question is about the programme
    weight: float = 1.0


EVAL_WEIGHT = 3.0  # real questions count more than the KB's own phrasings


def _top(matcher: Matcher, question: str) -> Candidate | None:
    """The best candidate the way `Matcher.match` sees it (None: decided without ranking)."""
    if matcher._faq_number(question):
        return None
    intent, rest = matcher._strip_smalltalk(question)
    if intent:
        return None
    cands, _ = matcher.index.rank(rest)
    return cands[0] if cands else None


def eval_samples(matcher: Matcher, items: Sequence[EvalItem]) -> list[Sample]:
    samples = []
    for item in items:
        top = _top(matcher, item.question)
        if top is not None:
            correct = int(item.in_scope and top.entry_id == item.expected)
            samples.append(Sample(top.features, correct, int(item.in_scope), EVAL_WEIGHT))
    return samples


def kb_samples(
    matcher: Matcher, negatives: Sequence[str], vague: Sequence[str] = ()
) -> list[Sample]:
    """Leave-one-out over the KB's own phrasings, the out-of-scope training list, and vague
    questions (in scope, but no single right answer)."""
    samples: list[Sample] = []
    index = matcher.index
    for e_idx, entry in enumerate(matcher.kb.entries):
        phrasings = (entry.question, entry.title, *entry.alternatives)
        for p_idx, text in enumerate(phrasings):
            if p_idx == 1:
                continue  # titles are too short to stand for a question
            cands, _ = index.rank(text, exclude=(e_idx, p_idx))
            if cands:
                samples.append(Sample(cands[0].features, int(cands[0].entry_id == entry.id), 1))
    for text in negatives:
        top = _top(matcher, text)
        if top is not None:
            samples.append(Sample(top.features, 0, 0))
    for text in vague:
        top = _top(matcher, text)
        if top is not None:
            samples.append(Sample(top.features, 0, 1, EVAL_WEIGHT))
    return samples


def fit_logistic(samples: Sequence[Sample], label: str, l2: float = 1e-4) -> Logistic:
    """Weighted, L2-regularised logistic regression with sign-constrained weights, solved
    with L-BFGS-B (deterministic)."""
    x = np.array([s.features for s in samples], dtype=np.float64)
    y = np.array([getattr(s, label) for s in samples], dtype=np.float64)
    w = np.array([s.weight for s in samples], dtype=np.float64)
    w = w / w.sum()
    x1 = np.hstack([x, np.ones((len(x), 1))])

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = x1 @ theta
        # log(1 + e^z) - y·z, computed stably
        value = float(np.sum(w * (np.logaddexp(0.0, z) - y * z)))
        p = 1.0 / (1.0 + np.exp(-z))
        grad = x1.T @ (w * (p - y))
        reg = theta.copy()
        reg[-1] = 0.0  # the bias is not penalised
        return value + 0.5 * l2 * float(reg @ reg), grad + l2 * reg

    bounds: list[tuple[float | None, float | None]] = [
        (0.0, None) if sign > 0 else (None, 0.0) for sign in FEATURE_SIGNS.values()
    ]
    bounds.append((None, None))  # bias
    result = minimize(loss, np.zeros(x1.shape[1]), jac=True, method="L-BFGS-B", bounds=bounds)
    theta = result.x
    return Logistic(tuple(float(t) for t in theta[:-1]), float(theta[-1]))


def load_lines(path: Path) -> list[str]:
    """Non-empty, non-comment lines of a question list."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


def load_negatives(path: Path = NEGATIVES_FILE) -> list[str]:
    return load_lines(path)


GRID = [round(x * 0.01, 2) for x in range(5, 100)]


def choose_thresholds(
    correct: Logistic,
    in_scope: Logistic,
    samples: Sequence[tuple[EvalItem, Candidate | None]],
    max_wrong: float = 0.0225,
    max_oos_answered: float = 0.04,
    min_oos_refused: float = 0.92,
) -> tuple[float, float]:
    """Answer threshold: the lowest that keeps 'confidently wrong' ≤ `max_wrong` and
    out-of-scope answered outright ≤ `max_oos_answered`. Suggest threshold (on the in-scope
    probability): the lowest that still refuses ≥ `min_oos_refused` of the out-of-scope ones.
    Suggestions cost little when wrong (the user picks or says "Geen van deze"), so the
    suggest threshold trades a few refusals for many more questions helped.
    """
    rows = [
        (it, top, correct(top.features) if top else 0.0, in_scope(top.features) if top else 0.0)
        for it, top in samples
    ]
    ins = [r for r in rows if r[0].in_scope]
    oos = [r for r in rows if not r[0].in_scope]
    answer = GRID[-1]
    for t in GRID:
        wrong = sum(
            1
            for it, top, p, q in ins
            if top and p >= t and q >= ANSWER_MIN_IN_SCOPE and top.entry_id != it.expected
        )
        oos_answered = sum(
            1 for _, top, p, q in oos if top and p >= t and q >= ANSWER_MIN_IN_SCOPE
        )
        if wrong <= max_wrong * len(ins) and oos_answered <= max_oos_answered * len(oos):
            answer = t
            break
    suggest = GRID[-1]
    for t in GRID:
        refused = sum(
            1
            for _, top, p, q in oos
            if not top or ((p < answer or q < ANSWER_MIN_IN_SCOPE) and q < t)
        )
        if refused >= min_oos_refused * len(oos):
            suggest = t
            break
    return answer, suggest


def _fit(matcher: Matcher, base: Sequence[Sample], items: Sequence[EvalItem]) -> Calibration:
    samples = [*base, *eval_samples(matcher, items)]
    correct = fit_logistic(samples, "correct")
    in_scope = fit_logistic(samples, "in_scope")
    tops = [(it, _top(matcher, it.question)) for it in items]
    answer, suggest = choose_thresholds(correct, in_scope, tops)
    return Calibration(correct, in_scope, answer, suggest)


def _fold(item: EvalItem, folds: int) -> int:
    """A stable fold number per question (no randomness: the same split every run)."""
    return sum(item.question.encode("utf-8")) % folds


def calibrate(
    kb: KnowledgeBase,
    items: Sequence[EvalItem],
    negatives: Sequence[str],
    vague: Sequence[str] = (),
    folds: int = 2,
) -> tuple[Calibration, dict[str, object]]:
    """Fit the score models and choose thresholds; report cross-validated figures too.

    Training data: leave-one-out over the KB's phrasings, the out-of-scope list in
    `calibration_negatives.txt`, the vague questions in `calibration_vague.txt` and the
    evaluation questions (the last two weighted ×3). Because the
    evaluation set takes part, `kb eval` on it is optimistic; the `cross_validated` figures
    come from fitting without one fold and measuring on it.
    """
    plain = Matcher(kb, DEFAULT_CALIBRATION)
    base = kb_samples(plain, negatives, vague)
    cal = _fit(plain, base, items)
    held_out = EvalReport()
    for k in range(folds):
        train = [it for it in items if _fold(it, folds) != k]
        test = [it for it in items if _fold(it, folds) == k]
        _merge(held_out, evaluate(plain.with_calibration(_fit(plain, base, train)), test))
    final = evaluate(plain.with_calibration(cal), items)

    def summary(r: EvalReport) -> dict[str, object]:
        return {k: v for k, v in r.as_dict().items() if k not in ("misses", "by_section")}

    info: dict[str, object] = {
        "training_samples": len(base) + len(items),
        "eval_in_sample": summary(final),
        "cross_validated": {"folds": folds, **summary(held_out)},
    }
    return cal, info


def _merge(into: EvalReport, part: EvalReport) -> None:
    for attr in ("total", "direct", "helped", "wrong"):
        setattr(into.in_scope, attr, getattr(into.in_scope, attr) + getattr(part.in_scope, attr))
    for key, tally in part.by_kind.items():
        t = into.by_kind[key]
        t.total, t.direct = t.total + tally.total, t.direct + tally.direct
    into.oos_total += part.oos_total
    into.oos_refused += part.oos_refused
    into.oos_answered += part.oos_answered
