"""Guided checks as data: decision trees over one shared fact vocabulary.

`knowledge/checks/facts.yaml` declares the facts (question, help text, options);
every other YAML file in that folder is one check: question nodes that ask for a fact and
branch on its value, and outcomes (verdict, explanation, refs). `evaluate()` is the one engine
for every check: given the facts known so far it returns the outcome, or the next question.
A new check is a new YAML file, not new code.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

HELP_MAX = 200  # the "Uitleg" text shows as a Telegram pop-up (200 characters at most)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Fact(_Frozen):
    short: str = Field(min_length=2, max_length=40)  # label in the list of answers given
    question: str = Field(min_length=5)
    help: str = Field(min_length=5, max_length=HELP_MAX)
    options: dict[str, str] = Field(min_length=2, max_length=10)


class FactVocabulary(_Frozen):
    facts: dict[str, Fact] = Field(min_length=1)


class Branch(_Frozen):
    to: str
    reason: str | None = None
    refs: tuple[str, ...] = ()


class Node(_Frozen):
    fact: str
    branches: dict[str, Branch] = Field(min_length=1)


class Outcome(_Frozen):
    verdict: Literal["ja", "nee", "uwv"]
    title: str = Field(min_length=3, max_length=80)
    explanation: str = Field(min_length=10, max_length=900)
    refs: tuple[str, ...] = Field(min_length=1)
    related: tuple[str, ...] = ()


class Check(_Frozen):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    code: str = Field(pattern=r"^[a-z]$")  # one letter: callback data stay short
    command: str = Field(pattern=r"^[a-z0-9_]{1,32}$")
    title: str = Field(min_length=5, max_length=80)
    intro: str = Field(min_length=5)
    suggest_for: tuple[str, ...] = ()
    start: str
    nodes: dict[str, Node] = Field(min_length=1)
    outcomes: dict[str, Outcome] = Field(min_length=1)


class CheckInputError(ValueError):
    """An unknown check, fact or value (the CLI exits 2 with this message)."""


@dataclass(frozen=True)
class Step:
    """One question answered on the way through a check."""

    node: str
    fact: str
    value: str
    reason: str | None
    refs: tuple[str, ...]


@dataclass(frozen=True)
class Evaluation:
    check: Check
    steps: tuple[Step, ...]  # the questions answered on the way, in the tree's order
    outcome_id: str | None  # set when complete
    next_fact: str | None  # set when not complete
    # facts given beyond the way walked that decided the outcome before it was reached
    # ("werken=nee" decides /kandidaat whatever the treatment is)
    decided_by: tuple[Step, ...] = ()

    @property
    def complete(self) -> bool:
        return self.outcome_id is not None

    @property
    def outcome(self) -> Outcome | None:
        return self.check.outcomes[self.outcome_id] if self.outcome_id else None

    @property
    def reasons(self) -> list[str]:
        out = [s.reason for s in (*self.steps, *self.decided_by) if s.reason]
        if self.outcome is not None:
            out.append(self.outcome.explanation)
        return out

    @property
    def refs(self) -> list[str]:
        seen: list[str] = []
        refs = [r for s in (*self.steps, *self.decided_by) for r in s.refs]
        if self.outcome is not None:
            refs = list(self.outcome.refs) + refs
        for ref in refs:
            if ref not in seen:
                seen.append(ref)
        return seen

    @property
    def answers(self) -> dict[str, str]:
        return {s.fact: s.value for s in (*self.steps, *self.decided_by)}


def _reachable(
    check: Check, answers: Mapping[str, str], name: str, known: dict[str, Step], used: bool = False
) -> list[tuple[str, bool]]:
    """The outcomes still possible from `name` with what is known (an unknown fact: every
    answer), each with whether its way passes a known fact; the known facts met on the way
    are collected in `known`."""
    if name in check.outcomes:
        return [(name, used)]
    node = check.nodes[name]
    given = answers.get(node.fact)
    if given is not None:
        branch = node.branches[given]
        known.setdefault(node.fact, Step(name, node.fact, given, branch.reason, branch.refs))
        return _reachable(check, answers, branch.to, known, True)
    out: list[tuple[str, bool]] = []
    for branch in node.branches.values():
        out += _reachable(check, answers, branch.to, known, used)
    return out


def _decided(check: Check, possible: list[tuple[str, bool]]) -> str | None:
    """The outcome when every possible one has the same verdict: the one the known facts
    lead to (the first in the tree's order), else the first; None while it is still open."""
    if len({check.outcomes[o].verdict for o, _ in possible}) != 1:
        return None
    by_known = [o for o, used in possible if used]
    return (by_known or [o for o, _ in possible])[0]


def evaluate(check: Check, vocab: FactVocabulary, answers: Mapping[str, str]) -> Evaluation:
    """Walk the tree with the facts known so far: the outcome, or the next question.

    Facts given in any order count: when they already decide the outcome whatever the
    remaining answers would be, that outcome is returned with the reasons of those facts, and
    nothing more is asked. A question is only asked when some answer to it (or to the ones
    after it) can still change the outcome. Facts the tree does not need are ignored; unknown
    facts or values raise CheckInputError.
    """
    for fact, value in answers.items():
        if fact not in vocab.facts:
            listed = ", ".join(vocab.facts)
            raise CheckInputError(f"unknown fact {fact!r} (facts: {listed})")
        options = vocab.facts[fact].options
        if value not in options:
            raise CheckInputError(
                f"unknown value {value!r} for {fact} (values: {', '.join(options)})"
            )
    steps: list[Step] = []
    current = check.start
    while current not in check.outcomes:
        node = check.nodes[current]
        given = answers.get(node.fact)
        if given is None:
            known: dict[str, Step] = {}
            decided = _decided(check, _reachable(check, answers, current, known))
            if decided is not None:  # whatever the rest is, the verdict is this: not asked
                steps_known = tuple(known.values())
                return Evaluation(check, tuple(steps), decided, None, steps_known)
            return Evaluation(check, tuple(steps), None, node.fact)
        branch = node.branches[given]
        steps.append(Step(current, node.fact, given, branch.reason, branch.refs))
        current = branch.to
    return Evaluation(check, tuple(steps), current, None)


# -- compact paths for buttons ----------------------------------------------------------------


def encode(check: Check, vocab: FactVocabulary, evaluation: Evaluation) -> str:
    """The answers along the path as option positions: '0031' (fits in callback data)."""
    return "".join(str(list(vocab.facts[s.fact].options).index(s.value)) for s in evaluation.steps)


def decode(check: Check, vocab: FactVocabulary, path: str) -> dict[str, str]:
    """Answers from `encode`'s string; CheckInputError when it does not fit the tree."""
    answers: dict[str, str] = {}
    current = check.start
    for digit in path:
        if current in check.outcomes or not digit.isdigit():
            raise CheckInputError(f"path {path!r} does not fit check {check.id}")
        fact = check.nodes[current].fact
        options = list(vocab.facts[fact].options)
        index = int(digit)
        if index >= len(options):
            raise CheckInputError(f"path {path!r} does not fit check {check.id}")
        answers[fact] = options[index]
        current = check.nodes[current].branches[options[index]].to
    return answers


# -- validation --------------------------------------------------------------------------------


def validate(
    check: Check, vocab: FactVocabulary, ref_exists: Mapping[str, bool] | None = None
) -> Iterator[tuple[str | None, str]]:
    """(where, problem) for everything wrong in a tree; nothing for a sound one.

    Every question asks a declared fact and branches on exactly its options; every branch
    leads to a node or an outcome; no cycles; every node and outcome is reachable; each fact
    is asked at most once on a path; outcomes have refs (that exist, when `ref_exists` is
    given).
    """
    if check.start not in check.nodes:
        yield "start", f"start {check.start!r} is not a question node"
    for name in set(check.nodes) & set(check.outcomes):
        yield name, "is both a question node and an outcome"
    for name, node in check.nodes.items():
        fact = vocab.facts.get(node.fact)
        if fact is None:
            yield f"nodes.{name}", f"asks unknown fact {node.fact!r}"
            continue
        missing = set(fact.options) - set(node.branches)
        extra = set(node.branches) - set(fact.options)
        if missing:
            yield f"nodes.{name}", f"no branch for {', '.join(sorted(missing))}"
        if extra:
            yield f"nodes.{name}", f"branches on values {node.fact} does not have: {sorted(extra)}"
        for value, branch in node.branches.items():
            if branch.to not in check.nodes and branch.to not in check.outcomes:
                yield f"nodes.{name}.{value}", f"leads to unknown {branch.to!r}"
    # cycles, repeated facts and reachability: depth-first over all paths
    reached: set[str] = set()

    def walk(name: str, on_path: tuple[str, ...], facts: frozenset[str]) -> Iterator[str]:
        reached.add(name)
        if name in check.outcomes or name not in check.nodes:
            return
        if name in on_path:
            yield f"cycle through {' → '.join((*on_path, name))}"
            return
        node = check.nodes[name]
        if node.fact in facts:
            yield f"{name} asks {node.fact} a second time on one path"
        for branch in node.branches.values():
            yield from walk(branch.to, (*on_path, name), facts | {node.fact})

    if check.start in check.nodes:
        for problem in walk(check.start, (), frozenset()):
            yield "nodes", problem
    for name in [*check.nodes, *check.outcomes]:
        if name not in reached:
            yield name, "cannot be reached from start"
    refs = [(f"outcomes.{n}", r) for n, o in check.outcomes.items() for r in o.refs]
    refs += [
        (f"nodes.{n}.{v}", r)
        for n, node in check.nodes.items()
        for v, b in node.branches.items()
        for r in b.refs
    ]
    if ref_exists is not None:
        for where, ref in refs:
            if not ref_exists.get(ref, False):
                yield where, f"ref {ref!r} does not exist"


def mermaid(check: Check, vocab: FactVocabulary) -> str:
    """The tree as a Mermaid flowchart (for docs/checks.md)."""

    def label(text: str) -> str:
        return text.replace('"', "'")

    lines = ["flowchart TD"]
    for name, node in check.nodes.items():
        lines.append(f'    {name}{{"{label(vocab.facts[node.fact].question)}"}}')
    for name, outcome in check.outcomes.items():
        lines.append(f'    {name}["{outcome.verdict.upper()}: {label(outcome.title)}"]')
    for name, node in check.nodes.items():
        options = vocab.facts[node.fact].options
        for value, branch in node.branches.items():
            lines.append(f'    {name} -->|"{label(options[value])}"| {branch.to}')
    return "\n".join(lines)
