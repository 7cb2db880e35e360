"""Guided checks: every combination of facts against the FAQ's rules, partial answers, the
validator, the CLI and the Telegram flow."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from bot.app import build_application, start_app, stop_app
from bot.cli import main
from bot.config import Settings
from bot.fakeapi import OFFLINE_TOKEN, FakeBotAPI
from bot.offline import OfflineBot
from bot.simulator import ChatSimulator, Output
from bot.storage.models import CheckLog
from bot.wiring import build_services
from knowledge.decisions import Check, CheckInputError, decode, encode, evaluate, validate
from knowledge.kb import KnowledgeBase
from knowledge.matcher import Matcher
from tests.support import ADMIN_ID

CANDIDATE_GGZ = {"basis", "specialistisch"}

# -- the rules, written from the FAQ (0.1, 1.1, 1.2, 1.4, 1.5, 2.5, 5.1, 5.2, 5.6, 5.8-5.10,
# 5.15): a candidate is treated at a GGZ-instelling (basis or specialistisch; not only a
# POH-GGZ, RIBW, self-employed psychologist, waiting list or the municipality's assessment)
# and can and wants to work; co-financing for IPS started by the municipality, modelgetrouw,
# and outside a GGZ-instelling only with a link to the treatment (5.8) --


def rule_kandidaat(f: dict[str, str]) -> str:
    return "ja" if f["ggz"] in CANDIDATE_GGZ and f["werken"] == "ja" else "nee"


def rule_traject(f: dict[str, str]) -> str:
    if f["professional"] == "nee":
        return "nee"
    return rule_kandidaat(f)


def rule_cofinanciering(f: dict[str, str]) -> str:
    if f["methode"] != "ips" or rule_kandidaat(f) == "nee":
        return "nee"
    if f["initiatief"] == "uwv":
        return "uwv"
    if f["initiatief"] != "gemeente":  # "mits geïnitieerd vanuit de gemeente" (5.10)
        return "nee"
    if f["modelgetrouw"] == "nee":
        return "nee"
    if f["uitvoerder"] != "ggz" and f["zorgconnectie"] == "nee":
        return "nee"
    return "ja"


RULES: dict[str, tuple[Callable[[dict[str, str]], str], list[str]]] = {
    "kandidaat": (rule_kandidaat, ["ggz", "werken"]),
    "traject": (rule_traject, ["professional", "ggz", "werken"]),
    "cofinanciering": (
        rule_cofinanciering,
        [
            "methode",
            "ggz",
            "werken",
            "initiatief",
            "modelgetrouw",
            "uitvoerder",
            "zorgconnectie",
        ],
    ),
}


def combinations(kb: KnowledgeBase, facts: list[str]) -> list[dict[str, str]]:
    values = [list(kb.facts.facts[f].options) for f in facts]
    return [dict(zip(facts, combo, strict=True)) for combo in itertools.product(*values)]


@pytest.mark.parametrize("name", list(RULES))
def test_every_combination_gives_the_faq_verdict(kb: KnowledgeBase, name: str) -> None:
    rule, facts = RULES[name]
    check = kb.checks[name]
    combos = combinations(kb, facts)
    assert len(combos) == {"kandidaat": 16, "traject": 32, "cofinanciering": 2560}[name]
    for answers in combos:
        result = evaluate(check, kb.facts, answers)
        assert result.complete, answers
        assert result.outcome is not None
        assert result.outcome.verdict == rule(answers), answers
        assert result.refs and all(r.startswith(("faq:", "doc:")) for r in result.refs)
        # only what was needed was asked, in one path
        assert set(result.answers) <= set(answers)
        # the same verdict from only the facts the path used
        again = evaluate(check, kb.facts, result.answers)
        assert again.outcome_id == result.outcome_id


def test_co_financing_yes_tells_the_whole_rule(kb: KnowledgeBase) -> None:
    """One "ja" for EPA and CMD (the group never changes the verdict, so it is not asked):
    the figures, the 8 lead-in talks for EPA, the CMD regulation in wording, and that the
    sources do not settle co-financing after 2022."""
    check = kb.checks["cofinanciering"]
    base = {
        "methode": "ips",
        "ggz": "specialistisch",
        "werken": "ja",
        "initiatief": "gemeente",
        "modelgetrouw": "ja",
        "uitvoerder": "zzp",
        "zorgconnectie": "ja",
    }
    result = evaluate(check, kb.facts, base)
    assert result.outcome is not None and result.outcome.verdict == "ja"
    assert "doelgroep" not in result.answers
    text = result.outcome.explanation
    for part in (
        "50% van maximaal 2.300",
        "2021 en 2022",
        "8 toeleidende gesprekken",
        "in wording, naar verwachting vergelijkbaar",
        "Na 2022",
        "programmateam",
    ):
        assert part in text, part
    assert "IPS-25" not in text and "lijkt op" not in text
    assert {"faq:5.10", "faq:5.8", "doc:001_36434dae4ce46f82.txt"} <= set(result.refs)
    # a zzp'er or another organisation is asked what FAQ 5.8 asks
    asked = evaluate(check, kb.facts, {**base, "uitvoerder": "anders", "zorgconnectie": "nee"})
    assert asked.outcome is not None and asked.outcome.verdict == "nee"
    # started by the GGZ or an employer: not what the FAQ covers
    for who in ("ggz", "werkgever"):
        started = evaluate(check, kb.facts, {**base, "initiatief": who})
        assert started.outcome is not None and started.outcome.verdict == "nee"
        assert "gemeente" in started.outcome.title
    uwv = evaluate(check, kb.facts, {**base, "initiatief": "uwv"})
    assert uwv.outcome is not None and "8 toeleidende gesprekken" in uwv.outcome.explanation


def test_candidate_only_with_treatment_at_a_ggz_institution(kb: KnowledgeBase) -> None:
    for where in ("zelfstandig", "wachtlijst", "gemeente"):
        result = evaluate(kb.checks["kandidaat"], kb.facts, {"ggz": where, "werken": "ja"})
        assert result.outcome is not None and result.outcome.verdict == "nee"
        assert "GGZ-instelling" in result.outcome.title and "faq:5.9" in result.refs


@pytest.mark.parametrize("name", list(RULES))
def test_facts_that_decide_in_any_order_decide(kb: KnowledgeBase, name: str) -> None:
    """Any part of the facts, given in any order: when every answer to the rest gives one
    verdict, that verdict comes at once (with the reasons of the facts given); otherwise the
    next question is one whose answer can still change it. Checked against the rule table
    for every part of every combination (for /cofinanciering, every part of every 8th)."""
    rule, facts = RULES[name]
    check = kb.checks[name]
    combos = combinations(kb, facts)
    options = [list(kb.facts.facts[f].options) for f in facts]
    table = np.array([[options[i].index(c[f]) for i, f in enumerate(facts)] for c in combos])
    verdict_of = np.array([rule(c) for c in combos])
    sample = combos if len(combos) < 100 else combos[::8]
    for full in sample:
        for size in range(len(facts) + 1):
            for part in itertools.combinations(facts, size):
                given = {f: full[f] for f in part}
                result = evaluate(check, kb.facts, given)
                rows = np.ones(len(combos), dtype=bool)
                for f in part:
                    i = facts.index(f)
                    rows &= table[:, i] == options[i].index(full[f])
                possible = set(verdict_of[rows].tolist())
                if result.complete:
                    assert result.outcome is not None
                    assert possible == {result.outcome.verdict}, given
                    assert set(result.answers) <= set(given)
                else:
                    assert len(possible) > 1, (given, result.next_fact)


def test_candidate_yes_says_benefits_do_not_matter(kb: KnowledgeBase) -> None:
    result = evaluate(kb.checks["kandidaat"], kb.facts, {"ggz": "basis", "werken": "ja"})
    assert result.outcome and "uitkering" in result.outcome.explanation
    assert "faq:1.5" in result.refs


@pytest.mark.parametrize(
    ("name", "answers", "expected_next"),
    [
        ("kandidaat", {}, "ggz"),
        ("kandidaat", {"ggz": "basis"}, "werken"),
        ("traject", {}, "professional"),
        ("traject", {"professional": "ja"}, "ggz"),
        ("cofinanciering", {}, "methode"),
        ("cofinanciering", {"methode": "ips", "ggz": "basis", "werken": "ja"}, "initiatief"),
        (
            "cofinanciering",
            {
                "methode": "ips",
                "ggz": "basis",
                "werken": "ja",
                "initiatief": "gemeente",
                "modelgetrouw": "ja",
                "uitvoerder": "gemeente",
            },
            "zorgconnectie",
        ),
        # a zzp'er: asked what FAQ 5.8 asks (a ggz institution: nothing more, see above)
        (
            "cofinanciering",
            {
                "methode": "ips",
                "ggz": "basis",
                "werken": "ja",
                "initiatief": "gemeente",
                "modelgetrouw": "ja",
                "uitvoerder": "zzp",
            },
            "zorgconnectie",
        ),
        # facts the path does not need are ignored
        ("kandidaat", {"methode": "ips"}, "ggz"),
    ],
)
def test_partial_answers_give_the_next_question(
    kb: KnowledgeBase, name: str, answers: dict[str, str], expected_next: str
) -> None:
    result = evaluate(kb.checks[name], kb.facts, answers)
    assert not result.complete and result.next_fact == expected_next


@pytest.mark.parametrize(
    ("name", "answers", "verdict"),
    [
        ("traject", {"professional": "nee"}, "nee"),
        ("cofinanciering", {"methode": "anders"}, "nee"),
        ("cofinanciering", {"methode": "ips", "ggz": "poh"}, "nee"),
        (
            "cofinanciering",
            {"methode": "ips", "ggz": "basis", "werken": "ja", "initiatief": "uwv"},
            "uwv",
        ),
    ],
)
def test_an_early_decisive_answer_ends_the_check(
    kb: KnowledgeBase, name: str, answers: dict[str, str], verdict: str
) -> None:
    result = evaluate(kb.checks[name], kb.facts, answers)
    assert result.complete and result.outcome and result.outcome.verdict == verdict


def test_unknown_fact_or_value_is_refused(kb: KnowledgeBase) -> None:
    with pytest.raises(CheckInputError, match="unknown fact"):
        evaluate(kb.checks["kandidaat"], kb.facts, {"leeftijd": "40"})
    with pytest.raises(CheckInputError, match="unknown value"):
        evaluate(kb.checks["kandidaat"], kb.facts, {"ggz": "huisarts"})


@given(st.data())
def test_button_paths_round_trip(kb: KnowledgeBase, data: st.DataObject) -> None:
    check = kb.checks[data.draw(st.sampled_from(sorted(kb.checks)))]
    answers: dict[str, str] = {}
    for _ in range(10):
        result = evaluate(check, kb.facts, answers)
        path = encode(check, kb.facts, result)
        assert decode(check, kb.facts, path) == result.answers
        if result.complete or result.next_fact is None:
            break
        answers[result.next_fact] = data.draw(
            st.sampled_from(list(kb.facts.facts[result.next_fact].options))
        )


def _broken(check: Check, **changes: object) -> Check:
    return check.model_copy(update=changes)


def test_validator_finds_broken_trees(kb: KnowledgeBase) -> None:
    check = kb.checks["kandidaat"]
    assert list(validate(check, kb.facts)) == []
    nodes = dict(check.nodes)
    werken = nodes["werken"]
    # a cycle: werken=nee goes back to ggz
    cyclic = werken.model_copy(
        update={
            "branches": {
                **werken.branches,
                "nee": werken.branches["nee"].model_copy(update={"to": "ggz"}),
            }
        }
    )
    problems = [
        p for _, p in validate(_broken(check, nodes={**nodes, "werken": cyclic}), kb.facts)
    ]
    assert any("cycle" in p for p in problems)
    assert any(
        "nee_werken" in (w or "") or "cannot be reached" in p
        for w, p in validate(_broken(check, nodes={**nodes, "werken": cyclic}), kb.facts)
    )
    # a missing branch
    missing = werken.model_copy(update={"branches": {"ja": werken.branches["ja"]}})
    problems = [
        p for _, p in validate(_broken(check, nodes={**nodes, "werken": missing}), kb.facts)
    ]
    assert any("no branch for nee" in p for p in problems)
    # an unknown fact and an unknown target
    odd = werken.model_copy(update={"fact": "leeftijd"})
    assert any(
        "unknown fact" in p
        for _, p in validate(_broken(check, nodes={**nodes, "werken": odd}), kb.facts)
    )
    lost = werken.model_copy(
        update={
            "branches": {
                **werken.branches,
                "ja": werken.branches["ja"].model_copy(update={"to": "nergens"}),
            }
        }
    )
    assert any(
        "unknown 'nergens'" in p
        for _, p in validate(_broken(check, nodes={**nodes, "werken": lost}), kb.facts)
    )
    # a ref that does not exist
    outcomes = dict(check.outcomes)
    outcomes["ja"] = outcomes["ja"].model_copy(update={"refs": ("faq:1.9",)})
    refs = {"faq:1.1": True, "faq:1.2": True, "faq:1.5": True, "faq:5.6": True, "faq:9.9": True}
    assert any(
        "faq:1.9" in p for _, p in validate(_broken(check, outcomes=outcomes), kb.facts, refs)
    )


# -- CLI ---------------------------------------------------------------------------------------


def test_cli_json_contract() -> None:
    runner = CliRunner()
    result = runner.invoke(
        main,
        [
            "check",
            "cofinanciering",
            "--answers",
            "methode=ips",
            "--answers",
            "ggz=basis",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {"check", "complete", "outcome", "reasons", "refs", "next"}
    assert data["complete"] is False and data["outcome"] is None
    assert data["next"]["fact"] == "werken"
    assert {"value": "ja", "label": "Ja, kan en wil werken"} in data["next"]["options"]
    done = json.loads(
        runner.invoke(main, ["check", "kandidaat", "--answers", "ggz=poh", "--json"]).output
    )
    assert done["complete"] and done["outcome"] == "nee" and "faq:1.1" in done["refs"]
    assert done["next"] is None and done["reasons"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "bestaatniet", "--json"], "unknown check"),
        (["check", "kandidaat", "--answers", "leeftijd=40", "--json"], "unknown fact"),
        (["check", "kandidaat", "--answers", "ggz=huisarts", "--json"], "unknown value"),
        (["check", "kandidaat", "--answers", "ggz", "--json"], "FACT=VALUE"),
    ],
)
def test_cli_bad_input_exits_2(args: list[str], message: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert message in result.output


def test_cli_list_diagram_and_interactive() -> None:
    runner = CliRunner()
    listing = runner.invoke(main, ["check", "--list"])
    assert "/kandidaat" in listing.output and "/cofinanciering" in listing.output
    diagram = runner.invoke(main, ["check", "traject", "--diagram"]).output
    assert diagram.startswith("flowchart TD") and "professional" in diagram
    interactive = runner.invoke(main, ["check", "kandidaat"], input="1\n2\n")
    assert interactive.exit_code == 0
    assert "Nee, de persoon moet kunnen én willen werken" in interactive.output


def test_docs_show_every_tree(kb: KnowledgeBase) -> None:
    docs = (Path(__file__).parents[2] / "docs" / "checks.md").read_text(encoding="utf-8")
    for check in kb.checks.values():
        assert f"(`/{check.command}`)" in docs
        for outcome in check.outcomes.values():
            assert outcome.title.replace('"', "'") in docs, (check.id, outcome.title)


# -- the Telegram flow -------------------------------------------------------------------------


def _button(out: list[Output], label: str) -> str:
    for o in reversed(out):
        for text, data in o.buttons:
            if text == label:
                return str(data)
    raise AssertionError(f"no button {label!r} in {out}")


async def _check_logs(bot: OfflineBot) -> list[CheckLog]:
    async with bot.services.db.session() as session:
        return list((await session.execute(select(CheckLog))).scalars())


async def test_telegram_check_with_back_restart_and_help(bot: OfflineBot) -> None:
    chat = bot.chat()
    out = await chat.send("/kandidaat")
    assert "Valt deze kandidaat binnen de doelgroep?" in out[-1].text
    msg = out[-1].message_id
    out = await chat.press(_button(out, "Alleen bij de POH-GGZ (huisarts)"), msg)
    assert "Nee, alleen de POH-GGZ telt (nog) niet" in out[-1].text
    assert "Bron: FAQ 1.1" in out[-1].text
    assert any(d == "qa:rel:faq-1-1" for _, d in out[-1].buttons)  # tappable FAQ follow-up
    # back to the first question, then a yes path
    out = await chat.press(_button(out, "« Terug"), msg)
    assert "Vraag 1." in out[-1].text
    out = await chat.press(_button(out, "Basis-ggz bij een GGZ-instelling"), msg)
    assert "Vraag 2." in out[-1].text and "Behandeling: Basis-ggz" in out[-1].text
    help_out = await chat.press(_button(out, "Uitleg"), msg)
    popup = bot.api.sent("answerCallbackQuery")[-1].params
    assert "uitkering" in popup["text"] and popup.get("show_alert") in (True, "true")
    assert help_out[-1].method == "answerCallbackQuery"
    out = await chat.press(_button(out, "Ja, kan en wil werken"), msg)
    assert "✅" in out[-1].text and "Ja, dit is een kandidaat" in out[-1].text
    out = await chat.press(_button(out, "↺ Opnieuw"), msg)
    assert "Vraag 1." in out[-1].text
    logs = await _check_logs(bot)
    assert [(row.check_id, row.verdict) for row in logs] == [
        ("kandidaat", "nee"),
        ("kandidaat", "ja"),
    ]


async def test_stale_and_foreign_check_buttons(bot: OfflineBot) -> None:
    chat = bot.chat(1001)
    await chat.send("/traject")
    for data in ("chk:t:1001:9", "chk:x:1001:", "chk:t:1001:00000000000", "chk:t:abc:0"):
        await chat.press(data)
        assert bot.api.sent("answerCallbackQuery")[-1].params.get("text"), data
    # in a group only the person who started the check can press its buttons
    group_a = bot.chat(2001, chat_id=-500, chat_type="group")
    group_b = bot.chat(2002, chat_id=-500, chat_type="group")
    out = await group_a.send("/traject")
    await group_b.press(_button(out, "Ja"), out[-1].message_id)
    assert "van iemand anders" in bot.api.sent("answerCallbackQuery")[-1].params["text"]
    out = await group_a.press(_button(out, "Ja"), out[-1].message_id)
    assert "Vraag 2." in out[-1].text


async def test_check_survives_a_restart(settings: Settings, matcher: Matcher) -> None:
    api = FakeBotAPI()
    app = build_application(
        settings,
        request=api,
        services=build_services(settings, matcher=matcher),
        token=OFFLINE_TOKEN,
    )
    await start_app(app)
    chat = ChatSimulator(app, api, user_id=7007)
    out = await chat.send("/cofinanciering")
    out = await chat.press(_button(out, "Ja, IPS"))
    out = await chat.press(_button(out, "Specialistische ggz (GGZ-instelling)"))
    pending = out[-1]
    await stop_app(app)
    # a new process: new Application and services, the same database and Telegram messages
    app2 = build_application(
        settings,
        request=api,
        services=build_services(settings, matcher=matcher),
        token=OFFLINE_TOKEN,
    )
    await start_app(app2)
    try:
        chat2 = ChatSimulator(app2, api, user_id=7007)
        out = await chat2.press(_button([pending], "Ja, kan en wil werken"), pending.message_id)
        assert "Vraag 4." in out[-1].text and "Behandeling: Specialistische ggz" in out[-1].text
    finally:
        await stop_app(app2)


async def test_faq_answer_offers_the_check_and_start_has_buttons(bot: OfflineBot) -> None:
    chat = bot.chat()
    out = await chat.send("wie zijn de kandidaten?")
    start = _button(out, "Doe de check: Valt deze kandidaat binnen de doelgroep?")
    assert start == "chk:k:0:"
    out = await chat.press(start, out[-1].message_id)
    assert any(o.method == "editMessageText" and "Vraag 1." in o.text for o in out)
    welcome = await chat.send("/start")
    assert any(d.startswith("chk:c:0:") for _, d in welcome[-1].buttons)


async def test_programme_team_sees_how_often_each_outcome_occurs(bot: OfflineBot) -> None:
    chat = bot.chat()
    for data in ("chk:k:1001:2", "chk:k:1001:2", "chk:k:1001:00"):
        await chat.send("/kandidaat")
        await chat.press(data)
    report = await bot.chat(ADMIN_ID).send("/checkstats")
    text = report[-1].text
    assert "Valt deze kandidaat binnen de doelgroep?" in text
    assert "Nee, alleen de POH-GGZ telt (nog) niet: <b>2×</b>" in text
    assert "Ja, dit is een kandidaat: <b>1×</b>" in text
    refused = await bot.chat(5050).send("/checkstats")
    assert "alleen voor het programmateam" in refused[-1].text


def test_cli_check_stats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'stats.db'}")
    runner = CliRunner()
    runner.invoke(main, ["chat"], input="/traject\n2\n")  # professional: nee → verdict
    result = runner.invoke(main, ["check", "--stats", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [
        {"check": "traject", "outcome": "nee_professional", "verdict": "nee", "count": 1}
    ]


def test_check_help_names_every_fact_and_value(kb: KnowledgeBase) -> None:
    from bot.cli.checks import FACTS_HELP

    lines = {line.split()[0]: line.split()[1:] for line in FACTS_HELP.splitlines()[2:11]}
    assert {f: [v for v in vs if v != "|"] for f, vs in lines.items()} == {
        f: list(fact.options) for f, fact in kb.facts.facts.items()
    }
