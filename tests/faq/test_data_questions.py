"""Questions about the programme's own data, answered from the database in free text: through
the real Application and the fake Bot API, with the same permissions as /regio and
/landelijk, and through `hoofdzaak ask --json`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from bot.cli import main
from bot.config import TIMEZONE, Settings
from bot.offline import OfflineBot
from bot.services.faq import answers
from bot.services.progress import regions
from bot.services.shared.replies import Reply
from bot.simulator import Output
from bot.storage.models import QuestionLog, Trajectory, User
from bot.telegram_html import strip as strip_html
from tests.support import ADMIN_ID

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=TIMEZONE)
COACH, REGIO, STRANGER = 5101, 5102, 5103
SETTINGS = [
    regions.RegionSetting("AM18", 2026, "champions-league", 120),
    regions.RegionSetting("AM30", 2026, "eredivisie", 40),
    regions.RegionSetting("AM05", 2026, "eredivisie", 60),
    regions.RegionSetting("AM30", 2025, "keuken-kampioen-divisie", 25),
]


def _trajectory(n: int, region: str, coach_id: int | None, **kw: object) -> Trajectory:
    values: dict[str, object] = {
        "reference": f"HW-2026-{n:05d}",
        "region": region,
        "coach_id": coach_id,
        "pseudonym": f"KL-{n}",
        "method": "ips",
        "target_group": "epa",
        "initiator": "gemeente",
        "provider": "ggz",
        "benefit": "geen",
        "treatment": "basis",
        "start_date": date(2026, 3, 1),
        "status": "lopend",
        "created_at": NOW - timedelta(days=90),
        "updated_at": NOW - timedelta(days=2),
    }
    values.update(kw)
    return Trajectory(**values)


@pytest.fixture
async def dbot(bot: OfflineBot) -> AsyncIterator[OfflineBot]:
    """Divisions and targets for 2025 and 2026; a coach in AM18 with 3 running trajectories
    (one untouched for 45 days), 1 placed and 1 ended; a regio user in AM18."""
    bot.services.clock = lambda: NOW
    async with bot.services.db.session() as session:
        await regions.set_regions(session, bot.services.kb, SETTINGS)
        ids = {}
        for telegram_id, role in ((COACH, "coach"), (REGIO, "regio")):
            user = User(
                telegram_id=telegram_id,
                first_name="Test",
                role=role,
                region="AM18",
                first_seen=NOW,
                last_seen=NOW,
            )
            session.add(user)
            await session.flush()
            ids[role] = user.id
        coach = ids["coach"]
        session.add_all(
            [
                _trajectory(1, "AM18", coach),
                _trajectory(2, "AM18", coach),
                _trajectory(3, "AM18", coach, updated_at=NOW - timedelta(days=45)),
                _trajectory(4, "AM18", coach, status="geplaatst", placement_date=date(2026, 6, 1)),
                _trajectory(
                    5,
                    "AM18",
                    coach,
                    status="beeindigd",
                    end_date=date(2026, 9, 1),
                    end_reason="gestopt_kandidaat",
                    updated_at=NOW - timedelta(days=60),
                ),
                _trajectory(6, "AM30", None),
            ]
        )
        await session.commit()
    yield bot


def said(out: list[Output]) -> str:
    return "\n".join(strip_html(o.text) for o in out if o.method == "sendMessage")


def buttons(out: list[Output]) -> list[str]:
    return [data for o in out for _, data in o.buttons]


async def test_a_regio_user_asks_the_division_of_a_named_region_and_of_their_own(
    dbot: OfflineBot,
) -> None:
    chat = dbot.chat(REGIO)
    out = await chat.send("in welke divisie zit Zuid-Limburg?")
    text = said(out)
    assert "Zuid-Limburg (AM30) zit in 2026 in de Eredivisie" in text
    assert "Het doel voor 2026 is 40 trajecten" in text
    assert "Stand: 7 december 2026" in text
    assert "st:r:AM30:2026" not in buttons(out)  # not their region: no figures button

    out = await chat.send("in welke divisie zit onze regio")
    assert "Groot Amsterdam (AM18) zit in 2026 in de Champions League" in said(out)
    assert "st:r:AM18:2026" in buttons(out)  # the matching command, /regio AM18 2026

    out = await chat.send("in welke divisie zat zuid limbrug vorig jaar")  # a typo, last year
    assert "Zuid-Limburg (AM30) zit in 2025 in de Keuken Kampioen divisie" in said(out)


async def test_division_members_and_facts_are_for_everyone(dbot: OfflineBot) -> None:
    chat = dbot.chat(STRANGER)
    out = await chat.send("welke regio's zitten in de Eredivisie")
    text = said(out)
    assert "2 regio's in de Eredivisie" in text
    assert "AM05 Twente (doel 60)" in text and "AM30 Zuid-Limburg (doel 40)" in text
    out = await chat.send("wat is het doel van AM18 dit jaar")
    assert "Het doel voor 2026 is 120 trajecten" in said(out)
    # a named region's division mates
    out = await chat.send("met welke regio's zit Twente in dezelfde divisie?")
    text = said(out)
    assert "Twente (AM05) zit in 2026 in de Eredivisie" in text
    assert "2 regio's in de Eredivisie" in text and "AM30 Zuid-Limburg (doel 40)" in text


async def test_a_coach_gets_the_count_and_the_untouched_ones(dbot: OfflineBot) -> None:
    chat = dbot.chat(COACH)
    out = await chat.send("hoeveel lopende trajecten heb ik")
    text = said(out)
    assert "Je hebt 3 lopende trajecten en 1 met een plaatsing" in text
    assert "mt:l:m:0" in buttons(out)  # /mijntrajecten

    out = await chat.send("welke trajecten hebben al een maand geen update")
    text = said(out)
    assert "1 van je trajecten heeft al 30 dagen of langer geen update" in text
    labels = [label for o in out for label, _ in o.buttons]
    assert any(label.startswith("HW-2026-00003") for label in labels)
    assert not any(label.startswith("HW-2026-00005") for label in labels)  # ended

    out = await chat.send("welke van mijn trajecten zijn al 2 maanden niet bijgewerkt")
    assert "Al je lopende trajecten zijn in de laatste 60 dagen bijgewerkt" in said(out)
    # someone with no trajectories at all is not told that they are all up to date
    out = await dbot.chat(REGIO).send("welke van mijn trajecten zijn al 2 maanden niet bijgewerkt")
    assert "Je hebt op dit moment geen lopende trajecten" in said(out)

    async with dbot.services.db.session() as session:
        log = (
            (await session.execute(sa.select(QuestionLog).order_by(QuestionLog.id.desc())))
            .scalars()
            .first()
        )
    assert log is not None and log.outcome == "data" and log.entry_id is None


async def test_figures_only_for_who_may_see_them(dbot: OfflineBot) -> None:
    stranger = dbot.chat(STRANGER)
    out = await stranger.send("hoe staat Groot Amsterdam ervoor")
    text = said(out)
    assert "medewerkers van Hoofdzaak Werk met een account" in text
    assert "Gestart" not in text
    out = await stranger.send("hoeveel lopende trajecten heb ik")
    assert "alleen voor medewerkers met een account" in said(out)

    regio = dbot.chat(REGIO)
    out = await regio.send("hoe staat zuid-limburg ervoor dit jaar")
    assert "De voortgang van Zuid-Limburg (AM30) is voor die regio" in said(out)
    out = await regio.send("hoeveel trajecten zijn er dit jaar gestart in onze regio")
    text = said(out)
    assert "Groot Amsterdam (AM18) · 2026" in text
    assert "Gestart: 5 van de 120 trajecten" in text
    assert "uit de registraties in deze bot" in text

    coach = dbot.chat(COACH)
    out = await coach.send("hoeveel mensen hebben landelijk betaald werk gevonden in 2026")
    assert "Het landelijke overzicht is voor regio-medewerkers" in said(out)
    admin = dbot.chat(ADMIN_ID)
    out = await admin.send("hoeveel mensen hebben landelijk betaald werk gevonden in 2026")
    text = said(out)
    assert "Landelijk · 2026" in text and "Aan het werk gegaan in 2026: 1 persoon" in text
    assert "st:l:2026" in buttons(out)


async def test_a_figure_and_a_rule_gets_both(dbot: OfflineBot) -> None:
    out = await dbot.chat(REGIO).send("hoeveel trajecten moet Twente dit jaar halen")
    assert "Het doel voor 2026 is 60 trajecten" in said(out)
    rule = [(label, data) for o in out for label, data in o.buttons if data.startswith("qa:rel:")]
    assert rule and rule[0][0].startswith("Bedoel je de regel?")
    # a question without a rule in it gets no guess at one
    out = await dbot.chat(REGIO).send("hoe staat Groot Amsterdam ervoor")
    assert "Gestart" in said(out)
    assert not [data for o in out for _, data in o.buttons if data.startswith("qa:rel:")]
    # a long title is cut with "…", never in the middle of a word without saying so
    title = dbot.services.kb.entry("doc-doel").title  # "Wat is het landelijke doel van …?"
    reply = answers.with_rule(dbot.services, Reply("figures"), "doc-doel")
    [(button,)] = reply.buttons
    assert len(button.text) <= 64 and len(f"Bedoel je de regel? {title}") > 64
    assert button.text.endswith("…") and title.startswith(button.text[20:-1])


async def test_faq_questions_still_get_the_faq(dbot: OfflineBot) -> None:
    """A rule question that names the region stays with the FAQ matcher (an answer or its
    "Bedoel je …?" buttons), not the figures."""
    for question in (
        "hoeveel trajecten moeten we als regio per jaar halen?",
        "wat gebeurt er als onze regio het doel niet haalt",
    ):
        out = await dbot.chat(REGIO).send(question)
        assert "Stand:" not in said(out)
        assert any(data.startswith(("qa:up:", "qa:pick:")) for data in buttons(out))


def test_ask_json_answers_data_questions(settings: Settings) -> None:
    env = {"DATABASE_URL": settings.db_url}
    runner = CliRunner()
    seeded = runner.invoke(
        main,
        ["regions", "set", "AM30", "--year", "2026", "--division", "eredivisie", "--target", "40"],
        env=env,
    )
    assert seeded.exit_code == 0, seeded.output
    result = runner.invoke(
        main, ["ask", "--json", "in welke divisie zit Heerlen in 2026"], env=env
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output.strip().splitlines()[-1])
    assert data["entry"] is None and data["refs"] == ["data:region"] and data["answered"]
    assert "Zuid-Limburg (AM30) zit in 2026 in de Eredivisie" in data["answer"]
