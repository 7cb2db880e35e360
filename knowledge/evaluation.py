"""Measuring the matcher (`hoofdzaak kb eval`) and fitting its calibration (`kb calibrate`)."""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.kb import KB_DIR, KnowledgeBase
from knowledge.matcher import Calibration, Candidate, Match, Matcher, Outcome

OUT_OF_SCOPE = "-"
NEGATIVES_FILE = KB_DIR / "calibration_negatives.txt"


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
                k: {"total": t.total, "top1": round(self._rate(t.direct, t.total), 4),
                    "helped": round(self._rate(t.helped, t.total), 4), "wrong": t.wrong}
                for k, t in sorted(self.by_section.items())
            },
            "by_kind": {
                k: {"total": t.total, "top1": round(self._rate(t.direct, t.total), 4)}
                for k, t in sorted(self.by_kind.items())
            },
            "misses": [
                {"question": it.question, "expected": it.expected, "outcome": m.outcome.value,
                 "got": m.entry_id or list(m.suggestions), "score": round(m.score, 3)}
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
    label: int  # 1: the top entry is the right answer
    weight: float = 1.0


EVAL_WEIGHT = 3.0  # real questions count more than the KB's own phrasings


def eval_samples(matcher: Matcher, items: Sequence[EvalItem]) -> list[Sample]:
    """Evaluation questions as training samples: label 1 where the top entry is right."""
    samples = []
    for item in items:
        if matcher._faq_number(item.question):
            continue
        intent, rest = matcher._strip_smalltalk(item.question)
        if intent:
            continue
        cands, _ = matcher.index.rank(rest)
        if cands:
            label = int(item.in_scope and cands[0].entry_id == item.expected)
            samples.append(Sample(cands[0].features, label, EVAL_WEIGHT))
    return samples


def training_samples(matcher: Matcher, negatives: Sequence[str]) -> list[Sample]:
    """Leave-one-out over the KB's own alternatives, plus out-of-scope questions."""
    samples: list[Sample] = []
    index = matcher.index
    for e_idx, entry in enumerate(matcher.kb.entries):
        phrasings = (entry.question, entry.title, *entry.alternatives)
        for p_idx, text in enumerate(phrasings):
            if p_idx == 1:
                continue  # titles are too short to stand for a question
            cands, _ = index.rank(text, exclude=(e_idx, p_idx))
            if cands:
                samples.append(Sample(cands[0].features, int(cands[0].entry_id == entry.id)))
    for text in negatives:
        _, rest = matcher._strip_smalltalk(text)
        cands, _ = index.rank(rest)
        if cands:
            samples.append(Sample(cands[0].features, 0))
    return samples


def fit_logistic(
    samples: Sequence[Sample], epochs: int = 3000, rate: float = 0.5, l2: float = 1e-3
) -> tuple[tuple[float, ...], float]:
    """Plain batch gradient descent on the weighted log loss; deterministic."""
    n_feat = len(samples[0].features)
    w = [0.0] * n_feat
    b = 0.0
    n = sum(s.weight for s in samples)
    for _ in range(epochs):
        gw = [0.0] * n_feat
        gb = 0.0
        for s in samples:
            z = b + sum(wi * fi for wi, fi in zip(w, s.features, strict=True))
            p = 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
            err = (p - s.label) * s.weight
            for i, f in enumerate(s.features):
                gw[i] += err * f
            gb += err
        w = [wi - rate * (g / n + l2 * wi) for wi, g in zip(w, gw, strict=True)]
        b -= rate * gb / n
    return tuple(w), b


def load_negatives(path: Path = NEGATIVES_FILE) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [ln.strip() for ln in lines if ln.strip() and not ln.startswith("#")]


@dataclass(frozen=True)
class ThresholdChoice:
    answer: float
    suggest: float
    report: EvalReport


def choose_thresholds(
    matcher: Matcher, items: Sequence[EvalItem], max_wrong: float = 0.02,
    min_oos_refused: float = 0.95,
) -> ThresholdChoice:
    """Pick the answer/suggest thresholds on the evaluation set.

    Answer threshold: the lowest that keeps confidently-wrong ≤ `max_wrong` and out-of-scope
    answered outright ≤ 1 - `min_oos_refused` (most questions answered, few wrong).
    Suggest threshold: the lowest that keeps out-of-scope refusals ≥ `min_oos_refused`.
    """
    ranked: list[tuple[EvalItem, list[Candidate], str]] = []
    for item in items:
        intent, rest = matcher._strip_smalltalk(item.question)
        direct = matcher._faq_number(item.question)
        cands = [] if intent or direct else matcher.index.rank(rest)[0]
        ranked.append((item, cands, direct or ""))
    grid = [round(x * 0.01, 2) for x in range(5, 100)]
    base = matcher.calibration

    best_answer = grid[-1]
    for a in grid:
        rep = _quick(matcher, ranked, a, min(a, 0.05))
        if rep[0] <= max_wrong and rep[1] <= 1 - min_oos_refused:
            best_answer = a
            break
    best_suggest = best_answer
    for s in grid:
        if s > best_answer:
            break
        rep = _quick(matcher, ranked, best_answer, s)
        if rep[2] >= min_oos_refused:
            best_suggest = s
            break
    chosen = matcher.with_calibration(
        Calibration(base.weights, base.bias, best_answer, best_suggest)
    )
    return ThresholdChoice(best_answer, best_suggest, evaluate(chosen, items))


def _quick(
    matcher: Matcher, ranked: Sequence[tuple[EvalItem, list[Candidate], str]],
    answer: float, suggest: float,
) -> tuple[float, float, float]:
    """(wrong rate, out-of-scope answered rate, out-of-scope refused rate) for thresholds."""
    cal = matcher.calibration
    wrong = in_scope = oos = oos_answered = oos_refused = 0
    for item, cands, direct in ranked:
        top = cands[0] if cands else None
        p = 1.0 if direct else (cal.probability(top.features) if top else 0.0)
        got = direct or (top.entry_id if top else "")
        answered = p >= answer and bool(got)
        if item.in_scope:
            in_scope += 1
            wrong += answered and got != item.expected
        else:
            oos += 1
            oos_answered += answered
            oos_refused += p < suggest or not got
    return (
        wrong / in_scope if in_scope else 0.0,
        oos_answered / oos if oos else 0.0,
        oos_refused / oos if oos else 0.0,
    )


def _fold(item: EvalItem, folds: int) -> int:
    """A stable fold number per question (no randomness: the same split every run)."""
    return sum(item.question.encode("utf-8")) % folds


def _fit(
    matcher: Matcher, base: Sequence[Sample], items: Sequence[EvalItem]
) -> Calibration:
    weights, bias = fit_logistic([*base, *eval_samples(matcher, items)])
    fitted = matcher.with_calibration(Calibration(weights, bias, 0.5, 0.25))
    choice = choose_thresholds(fitted, items)
    return Calibration(weights, bias, choice.answer, choice.suggest)


def calibrate(
    kb: KnowledgeBase, items: Sequence[EvalItem], negatives: Sequence[str], folds: int = 2
) -> tuple[Calibration, dict[str, object]]:
    """Fit the score model and choose thresholds; report cross-validated figures too.

    Training data: leave-one-out over the KB's alternatives, the out-of-scope list in
    `calibration_negatives.txt`, and the evaluation questions (weighted ×3). Because the
    evaluation set takes part, `kb eval` on it is optimistic; the `cross_validated` figures
    come from fitting on all folds but one and measuring on the one left out.
    """
    plain = Matcher(kb)
    base = training_samples(plain, negatives)
    cal = _fit(plain, base, items)
    held_out = EvalReport()
    for k in range(folds):
        train = [it for it in items if _fold(it, folds) != k]
        test = [it for it in items if _fold(it, folds) == k]
        fold_cal = _fit(plain, base, train)
        _merge(held_out, evaluate(plain.with_calibration(fold_cal), test))
    final = evaluate(plain.with_calibration(cal), items)
    strip = lambda r: {k: v for k, v in r.as_dict().items()  # noqa: E731
                       if k not in ("misses", "by_section")}
    info: dict[str, object] = {
        "training_samples": len(base) + len(items),
        "eval_in_sample": strip(final),
        "cross_validated": {"folds": folds, **strip(held_out)},
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
