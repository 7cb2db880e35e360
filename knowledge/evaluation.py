"""Measuring the matcher (`hoofdzaak kb eval`) and fitting it (`kb calibrate`).

Two things are measured separately (docs/matcher.md):

- **ranking**: is the right entry first, or among the first three, whatever the bot then
  decides to do with it;
- **decisions**: answered right outright, *helped* (answered right, or the right entry among
  the "Bedoel je …?" buttons), answered wrong, and for questions the sources do not cover:
  refused (no answer outright; buttons may still be offered) and how many got nothing at all.

Fitting (`calibrate`) trains the classifier on the knowledge base's phrasings and the
development sets, then the two decision models and thresholds on questions that the
classifier that produced their features never saw: each development group is scored by a
classifier trained without that group (cross-fitting), so the decision learns how sure the
classifier is on a new writer's questions, not on its own training data.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import ClassVar

import numpy as np
from scipy.optimize import minimize

from knowledge.classifier import Classifier, fingerprint, train
from knowledge.kb import KB_DIR, KnowledgeBase
from knowledge.matcher import (
    ANSWER_MIN_IN_SCOPE,
    DEFAULT_CALIBRATION,
    FEATURE_SIGNS,
    OUT_OF_SCOPE_CLASS,
    Calibration,
    Candidate,
    LearnedLookup,
    Logistic,
    Match,
    Matcher,
    Outcome,
)

OUT_OF_SCOPE = "-"
NEGATIVES_FILE = KB_DIR / "calibration_negatives.txt"
EVAL_SETS = KB_DIR / "eval_sets"  # question, expected, kind[, voice] (docs/matcher.md)
NEGATIVES = "calibration_negatives"  # their group name when fitting
VAGUE_WEIGHT = 3.0  # few, but each stands for a common kind of message ("werkgevers")
VAGUE_FILE = KB_DIR / "calibration_vague.txt"


@dataclass(frozen=True)
class EvalItem:
    question: str
    expected: str  # entry id, or "-" for out of scope
    kind: str
    voice: str = ""  # who wrote it (the newer sets say)

    @property
    def in_scope(self) -> bool:
        return self.expected != OUT_OF_SCOPE


def load_eval(path: Path) -> list[EvalItem]:
    """A TSV with the columns question, expected, kind (and optionally voice)."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [
            EvalItem(
                row["question"].strip(),
                row["expected"].strip(),
                row["kind"].strip(),
                (row.get("voice") or "").strip(),
            )
            for row in reader
            if row.get("question")
        ]


# -- measuring ---------------------------------------------------------------------------------


@dataclass
class _Counts:
    """Counts over a set of questions; `rates()` gives each as a share of `total`."""

    total: int = 0
    RATES: ClassVar[dict[str, str]] = {}  # rate name → counter

    def merge(self, other: _Counts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def rates(self) -> dict[str, float | int]:
        share = {
            name: round(getattr(self, counter) / self.total, 4) if self.total else 0.0
            for name, counter in self.RATES.items()
        }
        return {"total": self.total, **share}


@dataclass
class Tally(_Counts):
    """In-scope questions: ranking and decisions."""

    first: int = 0  # ranked first
    top3: int = 0  # among the first three
    right: int = 0  # answered right outright
    helped: int = 0  # answered right, or the right entry among the buttons
    wrong: int = 0  # answered outright with another entry
    RATES: ClassVar[dict[str, str]] = {n: n for n in ("first", "top3", "right", "helped", "wrong")}

    def add(self, first: bool, top3: bool, right: bool, helped: bool, wrong: bool) -> None:
        self.total += 1
        self.first += first
        self.top3 += top3
        self.right += right
        self.helped += helped
        self.wrong += wrong


@dataclass
class OosTally(_Counts):
    """Questions the sources do not cover."""

    refused: int = 0  # not answered outright (buttons may be offered)
    answered: int = 0  # answered outright: the worst case
    nothing: int = 0  # "geen antwoord" without buttons
    RATES: ClassVar[dict[str, str]] = {
        "refused": "refused",
        "answered": "answered",
        "no_buttons": "nothing",
    }

    def add(self, match: Match) -> None:
        self.total += 1
        answered = match.outcome is Outcome.ANSWER
        self.answered += answered
        self.refused += not answered
        self.nothing += match.outcome is not Outcome.SUGGEST and not answered


@dataclass
class EvalReport:
    in_scope: Tally = field(default_factory=Tally)
    oos: OosTally = field(default_factory=OosTally)
    by_kind: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    oos_by_kind: dict[str, OosTally] = field(default_factory=lambda: defaultdict(OosTally))
    by_voice: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_section: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    # (expected, answered) for in-scope questions answered with another entry, and
    # ("-", answered) for out-of-scope questions answered outright
    confusion: Counter[tuple[str, str]] = field(default_factory=Counter)
    misses: list[tuple[EvalItem, Match]] = field(default_factory=list)
    # answered from the database instead (knowledge/data_questions.py): FAQ questions (a loss,
    # counted as answered wrong) and out-of-scope ones (counted as refused)
    data_in_scope: int = 0
    data_oos: int = 0

    def merge(self, other: EvalReport) -> None:
        self.in_scope.merge(other.in_scope)
        self.oos.merge(other.oos)
        self.data_in_scope += other.data_in_scope
        self.data_oos += other.data_oos
        for mine, theirs in (
            (self.by_kind, other.by_kind),
            (self.by_voice, other.by_voice),
            (self.by_section, other.by_section),
        ):
            for key, tally in theirs.items():
                mine[key].merge(tally)
        for key, oos in other.oos_by_kind.items():
            self.oos_by_kind[key].merge(oos)
        self.confusion.update(other.confusion)
        self.misses.extend(other.misses)

    def as_dict(self, confusions: int = 10) -> dict[str, object]:
        return {
            "questions": self.in_scope.total + self.oos.total,
            "data_questions": {"in_scope": self.data_in_scope, "out_of_scope": self.data_oos},
            "in_scope": self.in_scope.rates(),
            "out_of_scope": self.oos.rates(),
            "by_kind": {
                k: {**self.by_kind[k].rates()} if k in self.by_kind else {}
                for k in sorted(set(self.by_kind) | set(self.oos_by_kind))
            }
            | {
                f"{k} (out of scope)": self.oos_by_kind[k].rates()
                for k in sorted(self.oos_by_kind)
            },
            "by_voice": {k: t.rates() for k, t in sorted(self.by_voice.items()) if k},
            "by_section": {k: t.rates() for k, t in sorted(self.by_section.items())},
            "confusion": [
                {"expected": e, "answered": g, "count": n}
                for (e, g), n in sorted(self.confusion.items(), key=lambda kv: (-kv[1], kv[0]))[
                    :confusions
                ]
            ],
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


def evaluate(
    matcher: Matcher,
    items: Sequence[EvalItem],
    learned: LearnedLookup | None = None,
    data: Callable[[str], object | None] | None = None,
) -> EvalReport:
    """Each question as the bot meets it: `data` recognises questions answered from the
    database before the matcher sees them; `learned`: learned phrasings the matcher uses."""
    report = EvalReport()
    for item in items:
        if data is not None and data(item.question) is not None:
            m = Match(item.question, Outcome.UNKNOWN, 1.0)
            if item.in_scope:
                report.data_in_scope += 1
                report.in_scope.add(False, False, False, False, True)
                report.by_kind[item.kind].add(False, False, False, False, True)
                report.misses.append((item, m))
            else:
                report.data_oos += 1
                report.oos.add(m)
                report.oos_by_kind[item.kind].add(m)
            continue
        m = matcher.match(item.question, learned)
        if not item.in_scope:
            report.oos.add(m)
            report.oos_by_kind[item.kind].add(m)
            if m.outcome is Outcome.ANSWER:
                report.confusion[(OUT_OF_SCOPE, m.entry_id or "?")] += 1
                report.misses.append((item, m))
            continue
        ranked = m.ranked or ((m.entry_id,) if m.entry_id else ())
        first = bool(ranked) and ranked[0] == item.expected
        top3 = item.expected in ranked[:3]
        right = m.outcome is Outcome.ANSWER and m.entry_id == item.expected
        helped = right or (m.outcome is Outcome.SUGGEST and item.expected in m.suggestions)
        wrong = m.outcome is Outcome.ANSWER and m.entry_id != item.expected
        section = matcher.kb.section_of.get(item.expected, "?")
        for tally in (
            report.in_scope,
            report.by_kind[item.kind],
            report.by_voice[item.voice],
            report.by_section[section],
        ):
            tally.add(first, top3, right, helped, wrong)
        if wrong:
            report.confusion[(item.expected, m.entry_id or "?")] += 1
        if not right:
            report.misses.append((item, m))
    return report


# -- data questions ----------------------------------------------------------------------------

RULE_KIND = "faq"  # a rule question in a data set: the FAQ must keep it


@dataclass(frozen=True)
class DataItem:
    """A line of a data-question set (knowledge/eval_sets/data_*.tsv): the question, the
    kind it is (knowledge.data_questions.DataKind's values, or "faq" for a rule question that
    must stay with the FAQ) and the region it is about (a code, "own", or empty)."""

    question: str
    kind: str
    region: str


def load_data_eval(path: Path) -> list[DataItem]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t")
        return [
            DataItem(
                row["question"].strip(), row["kind"].strip(), (row.get("region") or "").strip()
            )
            for row in reader
            if row.get("question")
        ]


def evaluate_data(
    parse: Callable[[str], tuple[str, str | None] | None], items: Sequence[DataItem]
) -> dict[str, object]:
    """`parse`: question → (kind, region) or None. Data questions recognised with the right
    kind and region; rule questions the recogniser took from the FAQ."""
    data = [i for i in items if i.kind != RULE_KIND]
    rules = [i for i in items if i.kind == RULE_KIND]
    right, wrong, missed, taken = 0, [], [], []
    for item in data:
        got = parse(item.question)
        if got is None:
            missed.append(item.question)
        elif got[0] == item.kind and (not item.region or got[1] == item.region):
            right += 1
        else:
            wrong.append(f"{item.question} ({item.kind} {item.region} → {got[0]} {got[1]})")
    for item in rules:
        if parse(item.question) is not None:
            taken.append(item.question)

    def share(n: int, of: int) -> float:
        return round(n / of, 4) if of else 0.0

    return {
        "data_questions": len(data),
        "right": share(right, len(data)),
        "wrong": share(len(wrong), len(data)),
        "missed": share(len(missed), len(data)),
        "rule_questions": len(rules),
        "rules_taken": share(len(taken), len(rules)),
        "misses": {"wrong": wrong, "missed": missed, "rules_taken": taken},
    }


# -- fitting -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    features: tuple[float, ...]
    correct: int  # 1: the top entry is the right answer
    in_scope: int  # 1: the question is about the programme
    weight: float = 1.0


def _top(matcher: Matcher, question: str) -> Candidate | None:
    """The best candidate the way `Matcher.match` sees it (None: decided without ranking)."""
    if matcher._faq_number(question):
        return None
    intent, rest = matcher._strip_smalltalk(question)
    if intent:
        return None
    cands = matcher.candidates(rest)
    return cands[0] if cands else None


def samples_of(
    tops: Iterable[tuple[EvalItem, Candidate | None]], weight: float = 1.0
) -> list[Sample]:
    return [
        Sample(
            top.features,
            int(item.in_scope and top.entry_id == item.expected),
            int(item.in_scope),
            weight,
        )
        for item, top in tops
        if top is not None
    ]


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
SUGGEST_GRID = [round(x * 0.005, 3) for x in range(1, 200)]
# The answer threshold maximises, over the development groups (each counting equally, on
# questions the classifier scoring them never saw): answered right - WRONG_COST × answered
# wrong (shares of the in-scope questions) - answered out of scope (share of those). A wrong
# answer to a real question costs four right ones; answering a question the sources do not
# cover costs one (docs/matcher.md has the curve this was chosen from).
WRONG_COST = 4.0
# Buttons for at least this share of the in-scope questions not answered outright; below the
# suggest threshold the bot says plainly that it has no answer (clearly off-topic questions).
MIN_BUTTONS = 0.995


Scored = tuple[str, EvalItem, Candidate | None]  # (group, question, its best candidate)


def choose_thresholds(
    correct: Logistic, in_scope: Logistic, tops: Sequence[Scored]
) -> tuple[float, float]:
    """The answer threshold (see WRONG_COST) and the suggest threshold on the in-scope
    probability: the highest that still gives buttons to MIN_BUTTONS of the in-scope
    questions not answered outright."""
    rows = [
        (
            group,
            it,
            top,
            correct(top.features) if top else 0.0,
            in_scope(top.features) if top else 0.0,
        )
        for group, it, top in tops
    ]
    groups = sorted({g for g, *_ in rows})

    def answers(p: float, q: float, t: float) -> bool:
        return p >= t and q >= ANSWER_MIN_IN_SCOPE

    def utility(t: float) -> float:
        total = 0.0
        for g in groups:
            ins = [(it, top, p, q) for gg, it, top, p, q in rows if gg == g and it.in_scope]
            oos = [(top, p, q) for gg, it, top, p, q in rows if gg == g and not it.in_scope]
            if ins:
                right = sum(1 for it, top, p, q in ins if top and answers(p, q, t)
                            and top.entry_id == it.expected)  # fmt: skip
                wrong = sum(1 for it, top, p, q in ins if top and answers(p, q, t)
                            and top.entry_id != it.expected)  # fmt: skip
                total += (right - WRONG_COST * wrong) / len(ins)
            if oos:
                total -= sum(1 for top, p, q in oos if top and answers(p, q, t)) / len(oos)
        return total

    answer = max(GRID, key=lambda t: (round(utility(t), 6), t))
    unsure = [q for _, it, top, p, q in rows if it.in_scope and top and not answers(p, q, answer)]
    suggest = SUGGEST_GRID[0]
    for t in reversed(SUGGEST_GRID):
        if sum(1 for q in unsure if q >= t) >= MIN_BUTTONS * len(unsure):
            suggest = t
            break
    return answer, suggest


def _fit(samples: Sequence[Sample], tops: Sequence[Scored]) -> Calibration:
    correct = fit_logistic(samples, "correct")
    in_scope = fit_logistic(samples, "in_scope")
    answer, suggest = choose_thresholds(correct, in_scope, tops)
    return Calibration(correct, in_scope, answer, suggest)


def kb_training(kb: KnowledgeBase) -> tuple[list[str], list[str]]:
    """The classifier's examples from the knowledge base: every phrasing of every entry."""
    texts, labels = [], []
    for entry in kb.entries:
        for text in entry.phrasings:
            texts.append(text)
            labels.append(entry.id)
    return texts, labels


def train_classifier(
    plain: Matcher, groups: Mapping[str, Sequence[EvalItem]], leave_out: str | None = None
) -> Classifier:
    """Every entry a class, with its phrasings and the development questions about it; one
    more class for what the sources do not cover (the development sets' out-of-scope
    questions and the negatives list)."""
    texts, labels = kb_training(plain.kb)
    for name, items in groups.items():
        if name == leave_out:
            continue
        for item in items:
            texts.append(item.question)
            labels.append(item.expected if item.in_scope else OUT_OF_SCOPE_CLASS)
    return train(texts, labels, plain.word_features, fingerprint(plain.kb))


def calibrate(
    kb: KnowledgeBase,
    groups: Mapping[str, Sequence[EvalItem]],
    negatives: Sequence[str],
    vague: Sequence[str] = (),
    progress: Callable[[str], None] = lambda _msg: None,
) -> tuple[Classifier, Calibration, dict[str, EvalReport], dict[str, object]]:
    """Train the classifier and fit the decision (see the module text).

    `groups`: development questions by writer group; every group is once left out of the
    classifier that scores it. Returns the classifier (trained on everything), the
    calibration, the held-out report of each group (classifier and decision fitted without
    it), and a summary of those for calibration.json.
    """
    plain = Matcher(kb, DEFAULT_CALIBRATION, use_classifier=False)
    progress("training the classifier on everything")
    groups = {**groups, NEGATIVES: [EvalItem(q, OUT_OF_SCOPE, "oos") for q in negatives]}
    final = train_classifier(plain, groups)
    full = plain.with_classifier(final)  # scores the vague questions
    crossed: dict[str, list[tuple[EvalItem, Candidate | None]]] = {}
    held_classifiers: dict[str, Classifier] = {}
    for name, items in groups.items():
        progress(f"training the classifier without {name}")
        held_classifiers[name] = train_classifier(plain, groups, leave_out=name)
        scorer = plain.with_classifier(held_classifiers[name])
        crossed[name] = [(it, _top(scorer, it.question)) for it in items]
    # vague questions ("gemeente", "uwv"): in scope, but no single right answer
    extra = [
        Sample(top.features, 0, 1, VAGUE_WEIGHT) for top in (_top(full, q) for q in vague) if top
    ]

    def fit_without(leave_out: str | None) -> Calibration:
        """The decision fitted on every group but one; thresholds on the real questions."""
        kept = {n: tops for n, tops in crossed.items() if n != leave_out}
        real = [(n, it, top) for n, tops in kept.items() if n != NEGATIVES for it, top in tops]
        return _fit([*(s for tops in kept.values() for s in samples_of(tops)), *extra], real)

    cal = fit_without(None)
    held_out = EvalReport()
    per_group: dict[str, object] = {}
    reports: dict[str, EvalReport] = {}
    for name, items in groups.items():
        if name == NEGATIVES:
            continue
        fitted = fit_without(name)
        report = evaluate(
            plain.with_classifier(held_classifiers[name]).with_calibration(fitted), items
        )
        held_out.merge(report)
        reports[name] = report
        per_group[name] = _summary(report)
    real = [(n, it, top) for n, tops in crossed.items() if n != NEGATIVES for it, top in tops]
    info: dict[str, object] = {
        "curve": threshold_curve(cal, real),
        "groups": {name: len(items) for name, items in groups.items()},
        "negatives": len(negatives),
        "vague": len(vague),
        "held_out": {"all": _summary(held_out), **per_group},
    }
    return final, cal, reports, info


def threshold_curve(cal: Calibration, tops: Sequence[Scored]) -> list[dict[str, float]]:
    """Answered right / wrong (of the in-scope questions) and out of scope answered, pooled
    over the development groups, for a range of answer thresholds (the decision as fitted)."""
    ins = [(it, top) for _, it, top in tops if it.in_scope]
    oos = [top for _, it, top in tops if not it.in_scope]
    out = []
    for t in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9):

        def answers(top: Candidate | None, t: float = t) -> bool:
            return (
                top is not None
                and cal.correct(top.features) >= t
                and cal.in_scope(top.features) >= ANSWER_MIN_IN_SCOPE
            )

        right = sum(1 for it, top in ins if answers(top) and top and top.entry_id == it.expected)
        wrong = sum(1 for it, top in ins if answers(top) and top and top.entry_id != it.expected)
        out.append(
            {
                "threshold": t,
                "right": round(right / max(1, len(ins)), 4),
                "wrong": round(wrong / max(1, len(ins)), 4),
                "out_of_scope_answered": round(
                    sum(1 for top in oos if answers(top)) / max(1, len(oos)), 4
                ),
            }
        )
    return out


def _summary(report: EvalReport) -> dict[str, object]:
    data = report.as_dict()
    return {k: data[k] for k in ("questions", "in_scope", "out_of_scope")}
