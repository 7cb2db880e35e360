"""Matcher speed: index build time and per-question latency (p50/p99).

    python benchmarks/matcher.py [--synthetic 10000] [--questions 2000]

Measures on the real knowledge base (ranker, classifier and decision) and on a synthetic one
with N entries (random Dutch-like words drawn with a Zipf distribution, 15 phrasings each;
the ranker and the decision), on one core. Prints figures; asserts
nothing (targets: p99 < 5 ms on the real KB, < 50 ms on 10,000 entries).
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import time
from pathlib import Path

from knowledge.evaluation import EVAL_SETS, load_eval
from knowledge.kb import KnowledgeBase, load_kb
from knowledge.matcher import Matcher
from knowledge.models import Entry, Section

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(matcher: Matcher, questions: list[str]) -> dict[str, float]:
    for q in questions[:50]:  # warm the caches the way a running bot has them
        matcher.match(q)
    times = []
    for q in questions:
        t0 = time.perf_counter()
        matcher.match(q)
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "p50": statistics.median(times),
        "p99": percentile(times, 0.99),
        "max": max(times),
        "n": len(times),
    }


def synthetic_kb(base: KnowledgeBase, n: int, seed: int = 7) -> tuple[KnowledgeBase, list[str]]:
    rng = random.Random(seed)
    syllables = [
        "ka",
        "de",
        "ro",
        "ver",
        "in",
        "ge",
        "lo",
        "ten",
        "be",
        "werk",
        "sta",
        "mi",
        "pa",
        "tra",
        "ject",
        "ling",
        "hei",
        "baar",
        "on",
        "der",
        "zo",
        "reg",
        "io",
    ]
    vocab = sorted(
        {"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(30000)}
    )
    real = sorted({w for e in base.entries for w in e.question.lower().split() if w.isalpha()})
    vocab += real
    weights = [1 / (i + 1) ** 0.9 for i in range(len(vocab))]

    def phrase() -> str:
        return " ".join(rng.choices(vocab, weights, k=rng.randint(3, 9)))

    entries = []
    for i in range(n):
        entries.append(
            Entry.model_construct(
                id=f"doc-syn-{i}",
                refs=("doc:000_1589a74d1cde0a49.txt",),
                title=f"Vraag {i}",
                question=phrase(),
                alternatives=tuple(phrase() for _ in range(14)),
                answer=" ".join(phrase() for _ in range(6)),
                more=None,
                as_of="2024",
                related=(),
            )
        )
    section = Section.model_construct(section="P", title="Synthetisch", entries=tuple(entries))
    kb = dataclasses.replace(
        base,
        sections=(section,),
        by_id={e.id: e for e in entries},
        section_of={e.id: "P" for e in entries},
    )
    questions = [phrase() for _ in range(1000)]
    return kb, questions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--synthetic", type=int, default=10000)
    parser.add_argument("--questions", type=int, default=2000)
    args = parser.parse_args()

    t0 = time.perf_counter()
    kb = load_kb()
    t1 = time.perf_counter()
    matcher = Matcher(kb)
    t2 = time.perf_counter()
    items = load_eval(EVAL_SETS / "faq_eval.tsv")
    questions = [it.question for it in items]
    questions = (questions * (args.questions // len(questions) + 1))[: args.questions]
    real = measure(matcher, questions)
    print(
        f"real KB: {len(kb.entries)} entries; load {1000 * (t1 - t0):.0f} ms, "
        f"index build {1000 * (t2 - t1):.0f} ms"
    )
    print(
        f"  per question over {real['n']:.0f} questions: p50 {real['p50']:.2f} ms, "
        f"p99 {real['p99']:.2f} ms, max {real['max']:.2f} ms"
    )

    if args.synthetic:
        syn_kb, syn_questions = synthetic_kb(kb, args.synthetic)
        t3 = time.perf_counter()
        # the ranker and the decision; the stored classifier belongs to the real KB (one
        # trained on 10,000 entries would add one sparse product per question)
        syn = Matcher(syn_kb, use_classifier=False)
        t4 = time.perf_counter()
        mixed = syn_questions + questions[:1000]
        result = measure(syn, mixed)
        print(
            f"synthetic KB: {args.synthetic} entries, "
            f"{sum(1 + len(e.alternatives) for e in syn_kb.entries)} phrasings; "
            f"index build {t4 - t3:.1f} s"
        )
        print(
            f"  per question over {result['n']:.0f} questions: p50 {result['p50']:.2f} ms, "
            f"p99 {result['p99']:.2f} ms, max {result['max']:.2f} ms"
        )


if __name__ == "__main__":
    main()
