"""Recognising data questions (knowledge/data_questions.py): what it reads from a question,
and that it leaves the FAQ's questions to the FAQ."""

from __future__ import annotations

import pytest

from knowledge.data_questions import OWN, DataKind, DataQuestionParser
from knowledge.evaluation import RULE_KIND, load_data_eval, load_eval
from knowledge.kb import KB_DIR, KnowledgeBase

EVAL_SETS = KB_DIR / "eval_sets"


@pytest.fixture(scope="module")
def parser(kb: KnowledgeBase) -> DataQuestionParser:
    return DataQuestionParser(kb.regions)


@pytest.mark.parametrize(
    ("question", "kind", "region", "year", "offset"),
    [
        ("in welke divisie zit Zuid-Limburg?", DataKind.REGION_FACTS, "AM30", None, 0),
        ("divisie van heerlen", DataKind.REGION_FACTS, "AM30", None, 0),  # centrumgemeente
        ("in welke divisie zit zuid limbrug", DataKind.REGION_FACTS, "AM30", None, 0),  # typo
        ("wat is het doel van AM18 dit jaar", DataKind.REGION_FACTS, "AM18", None, 0),
        ("doelst. am 2 vorig jr", DataKind.REGION_FACTS, "AM02", None, -1),  # short forms
        ("in welke divisie zit onze regio", DataKind.REGION_FACTS, OWN, None, 0),
        ("welke regio's zitten in de Eredivisie", DataKind.DIVISION_REGIONS, None, None, 0),
        ("hoe staat Groot Amsterdam ervoor", DataKind.REGION_PROGRESS, "AM18", None, 0),
        (
            "hoeveel trajecten zijn er in 2025 gestart in den haag",
            DataKind.REGION_PROGRESS,
            "AM21",
            2025,
            0,
        ),
        ("halen we de 100 dit jaar nog?", DataKind.REGION_PROGRESS, OWN, None, 0),
        (
            "hoeveel mensen hebben landelijk betaald werk gevonden in 2025",
            DataKind.NATIONAL_PROGRESS,
            None,
            2025,
            0,
        ),
        ("hoeveel lopende trajecten heb ik", DataKind.MY_RUNNING, None, None, 0),
        ("welke trajecten hebben al een maand geen update", DataKind.MY_STALE, None, None, 0),
        # a named region's division mates; the polite frame around a question goes, its
        # content stays; "t.o.v."; halves of a region's name; a bare "mijn trajecten"
        (
            "welke regio's zitten in dezelfde divisie als Zeeland?",
            DataKind.DIVISION_REGIONS,
            "AM24",
            None,
            0,
        ),
        ("wie zitten er nog meer in onze divisie?", DataKind.DIVISION_REGIONS, OWN, None, 0),
        (
            "Kun je de volledige divisie-indeling van dit jaar geven?",
            DataKind.DIVISION_REGIONS,
            None,
            None,
            0,
        ),
        (
            "Wat is de realisatie van Midden Gelderland t.o.v. de target in 2025?",
            DataKind.REGION_PROGRESS,
            "AM07",
            2025,
            0,
        ),
        ("hoever zijn we met ons doel dit jr", DataKind.REGION_PROGRESS, OWN, None, 0),
        (
            "zijn er in de Stedendriehoek dit jaar al mensen aan het werk gekomen?",
            DataKind.REGION_PROGRESS,
            "AM06",
            None,
            0,
        ),
        ("hoi! welke divisie heeft Fryslân?", DataKind.REGION_FACTS, "AM02", None, 0),
        ("zitten wij in de CL of in de ED dit jr?", DataKind.REGION_FACTS, OWN, None, 0),
        (
            "hoeveel plaatsingen in totaal over alle regio's",
            DataKind.NATIONAL_PROGRESS,
            None,
            None,
            0,
        ),
        ("mijn trajecten", DataKind.MY_RUNNING, None, None, 0),
        ("Kun je mijn lopende IPS-trajecten opsommen?", DataKind.MY_RUNNING, None, None, 0),
        ("achterstallige updates mijn trajecten?", DataKind.MY_STALE, None, None, 0),
        # nicknames of the big cities; English; where it stands
        ("wat is het streefgetal voor Mokum dit jaar", DataKind.REGION_FACTS, "AM18", None, 0),
        (
            "Who else is in the same league as Drenthe?",
            DataKind.DIVISION_REGIONS,
            "AM03",
            None,
            0,
        ),
        ("Show me all Eredivisie regions for 2024", DataKind.DIVISION_REGIONS, None, 2024, 0),
        ("zijn we al over de helft van ons target?", DataKind.REGION_PROGRESS, OWN, None, 0),
        ("mn teamleider vraagt hoeveel trajecten ik draai", DataKind.MY_RUNNING, None, None, 0),
    ],
)
def test_what_it_reads(
    parser: DataQuestionParser,
    question: str,
    kind: DataKind,
    region: str | None,
    year: int | None,
    offset: int,
) -> None:
    dq = parser.parse(question)
    assert dq is not None, question
    assert (dq.kind, dq.region, dq.year, dq.year_offset) == (kind, region, year, offset)


def test_periods_of_untouched_trajectories(parser: DataQuestionParser) -> None:
    for question, days in [
        ("welke trajecten zijn al twee weken niet bijgewerkt", 14),
        ("heb ik trajecten die ik meer dan 2 mnd niet heb bijgewerkt", 60),
        ("welke trajecten hebben geen update", 30),
        ("zijn er trajecten die ik al een kwartaal niet heb aangeraakt?", 91),
    ]:
        dq = parser.parse(question)
        assert dq is not None and dq.kind is DataKind.MY_STALE and dq.days == days, question


@pytest.mark.parametrize(
    "question",
    [
        "hoeveel trajecten moeten we als regio per jaar halen?",
        "wat gebeurt er als onze regio het doel niet haalt",
        "hoe wordt bepaald in welke divisie onze regio komt",
        "moeten we in 2021 al 100 halen als CL regio?",
        "wie contracteert de procesondersteuning in een eredivisie regio",
        "hoeveel geld krijgt onze regio voor ips",
        "hoeveel vakantiedagen heb ik nog",
        "wat telt als traject",
        "in welke divisie zitten wij",  # FAQ 2.4: how a region's division is decided
        "wat is de onderbouwing voor de indeling in divisies",
        "welke taken heeft de centrumgemeente tegenover de andere gemeenten",
    ],
)
def test_rule_questions_stay_with_the_faq(parser: DataQuestionParser, question: str) -> None:
    assert parser.parse(question) is None


def test_no_faq_question_of_any_evaluation_set_is_taken(parser: DataQuestionParser) -> None:
    """Data questions do not take answers away from FAQ questions: every in-scope question
    of the FAQ sets still goes to the matcher."""
    taken = [
        item.question
        for path in sorted(EVAL_SETS.glob("faq_*.tsv"))
        for item in load_eval(path)
        if item.in_scope and parser.parse(item.question) is not None
    ]
    assert taken == []


def test_the_data_sets_rule_questions_are_left_alone(parser: DataQuestionParser) -> None:
    """On the sets the recogniser was tuned on (data_blind.tsv is only measured, by
    `hoofdzaak kb eval`, never tested or tuned on)."""
    taken = [
        item.question
        for path in sorted(EVAL_SETS.glob("data_tune*.tsv"))
        for item in load_data_eval(path)
        if item.kind == RULE_KIND and parser.parse(item.question) is not None
    ]
    assert taken == []


def test_the_tuned_data_questions_are_recognised(parser: DataQuestionParser) -> None:
    """A guard against losing what the recogniser was tuned to read (data_tune*.tsv)."""
    items = [
        item
        for path in sorted(EVAL_SETS.glob("data_tune*.tsv"))
        for item in load_data_eval(path)
        if item.kind != RULE_KIND
    ]
    right = sum(
        1
        for item in items
        if (got := parser.kind_and_region(item.question)) is not None
        and got[0] == item.kind
        and (not item.region or got[1] == item.region)
    )
    assert right / len(items) >= 0.95
