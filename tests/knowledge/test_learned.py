"""Learned phrasings (knowledge/learned.py): a linked question and its near variants get the
entry; nothing else changes, least of all a refused out-of-scope question."""

from __future__ import annotations

from knowledge.evaluation import load_eval
from knowledge.kb import KB_DIR
from knowledge.learned import Learned, LearnedIndex
from knowledge.matcher import Matcher, Outcome

EVAL_SETS = KB_DIR / "eval_sets"
LINKED = "raken we budget kwijt als we de 100 trajecten niet halen"


def test_a_linked_question_and_its_near_variants_get_the_entry(matcher: Matcher) -> None:
    learned = LearnedIndex(matcher.index)
    assert matcher.match(LINKED).outcome is not Outcome.ANSWER
    learned.add(Learned(1, LINKED, "faq-0-3"))
    for question in (
        LINKED,
        "Raken we budget kwijt als we de 100 trajecten niet halen?",
        "raken wij als regio budget kwijt als we die 100 trajecten niet halen",
        "raken we budjet kwijt als we de 100 trajecten niet halen",  # a typo
    ):
        m = matcher.match(question, learned)
        assert (m.outcome, m.entry_id, m.learned) == (Outcome.ANSWER, "faq-0-3", 1), question
    # a question with words of its own that matter is not a variant
    for question in (
        "raken we budget kwijt als we de 100 trajecten niet halen na de reorganisatie bij uwv",
        "wat als we de 100 niet halen",
    ):
        assert matcher.match(question, learned).learned is None, question


def test_sync_takes_in_only_what_changed(matcher: Matcher) -> None:
    learned = LearnedIndex(matcher.index)
    assert learned.sync([Learned(1, LINKED, "faq-0-3"), Learned(2, "iets anders", "faq-0-1")]) == (
        2,
        0,
    )
    assert learned.sync([Learned(1, LINKED, "faq-0-3")]) == (0, 1)
    assert learned.sync([Learned(1, LINKED, "faq-0-2")]) == (1, 0)  # relinked
    assert matcher.match(LINKED, learned).entry_id == "faq-0-2"
    # an entry the knowledge base no longer has is skipped
    assert learned.sync([Learned(3, "een vraag", "faq-99-9")]) == (0, 1)
    assert len(learned) == 0


def test_linking_questions_changes_no_out_of_scope_answer(matcher: Matcher) -> None:
    """Link the in-scope questions the bot does not answer outright today (each to its right
    entry), as the programme team would: no out-of-scope question of any evaluation set gets
    an answer it did not get before."""
    items = [item for path in sorted(EVAL_SETS.glob("faq_*.tsv")) for item in load_eval(path)]
    learned = LearnedIndex(matcher.index)
    linked = [
        item
        for item in items
        if item.in_scope and matcher.match(item.question).outcome is not Outcome.ANSWER
    ]
    assert len(linked) >= 20
    for i, item in enumerate(linked):
        learned.add(Learned(i, item.question, item.expected))
    for item in linked:
        assert matcher.match(item.question, learned).entry_id == item.expected
    out_of_scope = [item.question for item in items if not item.in_scope]
    refused = [q for q in out_of_scope if matcher.match(q).outcome is not Outcome.ANSWER]
    changed = [q for q in refused if matcher.match(q, learned).outcome is Outcome.ANSWER]
    assert changed == []
