"""Learned phrasings and data questions: what they cost the running bot.

    python benchmarks/learned.py [--phrasings 1000]

On the real knowledge base, one core: taking one learned phrasing in (what linking in
/onbeantwoord does), a sync of N phrasings from nothing, a sync where nothing or one row
changed (what the bot does every minute), and the time per question with 0 and N learned
phrasings; and the time the data-question recogniser adds to every question. The questions
are those of the evaluation sets. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from knowledge.data_questions import DataQuestionParser
from knowledge.evaluation import EVAL_SETS, load_eval
from knowledge.kb import load_kb
from knowledge.learned import Learned, LearnedIndex
from knowledge.matcher import Matcher

T = TypeVar("T")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(run: Callable[[T], object], items: Sequence[T]) -> list[float]:
    out = []
    for item in items:
        t0 = time.perf_counter()
        run(item)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def line(name: str, ms: list[float]) -> str:
    return (
        f"{name}: p50 {statistics.median(ms):.3f} ms, p99 {percentile(ms, 0.99):.3f} ms, "
        f"max {max(ms):.3f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--phrasings", type=int, default=1000)
    args = parser.parse_args()

    kb = load_kb()
    matcher = Matcher(kb)
    items = [i for p in sorted(EVAL_SETS.glob("faq_*.tsv")) for i in load_eval(p)]
    questions = [i.question for i in items]
    in_scope = [i for i in items if i.in_scope]
    rows = [
        Learned(
            n,
            in_scope[n % len(in_scope)].question + ("" if n < len(in_scope) else f" {n}"),
            in_scope[n % len(in_scope)].expected,
        )
        for n in range(args.phrasings)
    ]
    print(
        f"real KB: {len(kb.entries)} entries; {len(questions)} questions; "
        f"{args.phrasings} learned phrasings"
    )

    fresh = LearnedIndex(matcher.index)
    print(line("take one phrasing in (add)", timed(lambda r: fresh.add(r), rows[:300])))

    index = LearnedIndex(matcher.index)
    t0 = time.perf_counter()
    index.sync(rows)
    print(f"sync {len(rows)} from nothing: {(time.perf_counter() - t0) * 1000:.1f} ms")
    t0 = time.perf_counter()
    index.sync(rows)
    print(f"sync again, nothing changed: {(time.perf_counter() - t0) * 1000:.2f} ms")
    changed = [*rows[:-1], Learned(rows[-1].id, rows[-1].text + " extra", rows[-1].entry_id)]
    t0 = time.perf_counter()
    index.sync(changed)
    print(f"sync with one row changed: {(time.perf_counter() - t0) * 1000:.2f} ms")

    for q in questions[:50]:  # warm the caches the way a running bot has them
        matcher.match(q)
    empty = LearnedIndex(matcher.index)
    print(line("match, 0 learned", timed(lambda q: matcher.match(q, empty), questions)))
    print(
        line(f"match, {len(index)} learned", timed(lambda q: matcher.match(q, index), questions))
    )
    print(line("learned look-up alone", timed(lambda q: index.find(q), questions)))

    recogniser = DataQuestionParser(kb.regions)
    print(line("data-question recogniser per question", timed(recogniser.parse, questions)))


if __name__ == "__main__":
    main()
