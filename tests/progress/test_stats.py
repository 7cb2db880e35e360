"""Progress figures: /regio and /landelijk per role, numbers, charts, forged buttons, CLI."""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from matplotlib import image

from bot.cli import main
from bot.config import TIMEZONE
from bot.offline import OfflineBot
from bot.services.progress import figures as stats
from bot.services.progress import regions
from bot.simulator import Output
from bot.storage.models import Trajectory, User, table_of
from bot.storage.stats import Counts
from bot.telegram_html import strip as strip_html
from tests.support import ADMIN_ID

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 7, 2, 12, 0, tzinfo=TIMEZONE)  # day 183 of 365: 50 of 100 expected
COACH, REGIO, OTHER_REGIO, NO_REGION, INACTIVE, STRANGER = 4001, 4002, 4003, 4004, 4005, 4006
PNG = b"\x89PNG\r\n\x1a\n"

_numbers = iter(range(1, 10_000))


def trajectory(
    region: str,
    start: date,
    placement: date | None = None,
    end: date | None = None,
    reason: str | None = None,
    demo: bool = False,
) -> Trajectory:
    status = "beeindigd" if end else "geplaatst" if placement else "lopend"
    return Trajectory(
        reference=f"HW-T-{next(_numbers):05d}",
        region=region,
        method="ips",
        target_group="epa",
        initiator="uwv",
        provider="ggz",
        benefit="geen",
        treatment="basis",
        start_date=start,
        placement_date=placement,
        end_date=end,
        end_reason=reason,
        status=status,
        created_at=NOW,
        updated_at=NOW,
        demo=demo,
    )


# AM18 in 2026 (target 100, Champions League): 3 started (one a demo row: demo rows count),
# 1 of them placed, 1 ended; 1 more ended in 2026 (lasting work) and 1 started in 2025 runs on.
def data_set() -> list[Trajectory]:
    return [
        trajectory("AM18", date(2026, 1, 15), placement=date(2026, 3, 1)),
        trajectory("AM18", date(2026, 2, 10), end=date(2026, 5, 1), reason="gestopt_kandidaat"),
        trajectory("AM18", date(2026, 6, 20), demo=True),
        trajectory(
            "AM18", date(2025, 11, 1), date(2025, 12, 1), date(2026, 2, 1), reason="werk_duurzaam"
        ),
        trajectory("AM18", date(2025, 3, 1)),
        *(trajectory("AM01", date(2026, 3, day)) for day in range(1, 6)),  # 5 of 25: 20%
        trajectory("AM03", date(2026, 4, 1)),  # no target
    ]


TARGETS = [
    regions.RegionSetting("AM18", 2026, "champions-league", 100),
    regions.RegionSetting("AM01", 2026, "eredivisie", 25),
    regions.RegionSetting("AM02", 2026, "keuken-kampioen-divisie", 10),
]


@pytest.fixture
async def sbot(bot: OfflineBot) -> AsyncIterator[OfflineBot]:
    """The bot on 2 July 2026 with the data set above and users of every kind."""
    bot.services.clock = lambda: NOW
    async with bot.services.db.session() as session:
        await regions.set_regions(session, bot.services.kb, TARGETS)
        session.add_all(data_set())
        for telegram_id, role, region, active in [
            (COACH, "coach", "AM18", True),
            (REGIO, "regio", "AM18", True),
            (OTHER_REGIO, "regio", "AM01", True),
            (NO_REGION, "coach", None, True),
            (INACTIVE, "regio", "AM18", False),
        ]:
            session.add(
                User(
                    telegram_id=telegram_id,
                    first_name="Test",
                    role=role,
                    region=region,
                    active=active,
                    first_seen=NOW,
                    last_seen=NOW,
                )
            )
        await session.commit()
    yield bot


def texts(out: list[Output], method: str = "sendMessage") -> list[str]:
    return [strip_html(o.text) for o in out if o.method == method]


def photos(bot: OfflineBot, chat_id: int) -> list[bytes]:
    return [m.file or b"" for m in bot.api.chat_messages(chat_id) if m.kind == "photo"]


def last_alert(bot: OfflineBot) -> tuple[str, bool]:
    call = bot.api.sent("answerCallbackQuery")[-1]
    return str(call.params.get("text", "")), bool(call.params.get("show_alert"))


def assert_png(data: bytes) -> None:
    assert data.startswith(PNG)
    pixels = image.imread(io.BytesIO(data), format="png")
    height, width = pixels.shape[:2]
    assert 300 <= width <= 2000 and 300 <= height <= 2500


def table_codes(text: str) -> list[str]:
    """The region codes of /landelijk's per-region lines, in order."""
    part = text.split("Per regio")[-1]
    return re.findall(r"^(AM\d\d) ", part, re.M)


# -- /regio ----------------------------------------------------------------------------------


async def test_regio_user_sees_own_region_with_chart(sbot: OfflineBot) -> None:
    out = await sbot.chat(REGIO).send("/regio")
    assert [o.method for o in out] == ["sendMessage", "sendPhoto"]
    (text,) = texts(out)
    assert text.startswith("Groot Amsterdam (AM18) · 2026\n3 van de 100 trajecten gestart (3%).")
    assert "Achter op schema: naar rato waren er op 2-7-2026 50 verwacht." in text
    assert "Lopend op 2-7-2026: 3" in text
    assert "Aan het werk gegaan in 2026: 1" in text
    assert "Beëindigd in 2026: 2" in text
    assert "Van de in 2026 gestarte trajecten heeft 33% al betaald werk (1 van 3)" in text
    assert (
        "Van de in 2026 beëindigde trajecten eindigde 50% in duurzaam betaald werk (1 van 2)"
        in text
    )
    assert "Divisie: Champions League" in text
    assert "Zo tellen we" in text
    photo = out[-1]
    assert "Groot Amsterdam" in photo.text and len(photo.text) <= 1024
    # this year: only a step back; no region choice for a region's own staff
    assert photo.buttons == (("« 2025", "st:r:AM18:2025"),)
    (png,) = photos(sbot, REGIO)
    assert_png(png)


async def test_year_button_shows_last_year_without_target(sbot: OfflineBot) -> None:
    chat = sbot.chat(REGIO)
    await chat.send("/regio")
    out = await chat.press("st:r:AM18:2025")
    (text,) = texts(out)
    assert "2 trajecten gestart. Voor 2025 is nog geen doel ingesteld." in text
    assert "Lopend op 31-12-2025: 2" in text  # the reference date of a past year
    assert "Van de in 2025 gestarte trajecten heeft 50% al betaald werk (1 van 2)" in text
    assert "Duurzaam betaald werk: – (nog geen trajecten beëindigd in 2025)" in text
    assert "op schema" not in text.lower()
    assert ("2026 »", "st:r:AM18:2026") in out[-1].buttons
    assert len(photos(sbot, REGIO)) == 2


async def test_coach_sees_own_region_and_cannot_forge_buttons(sbot: OfflineBot) -> None:
    chat = sbot.chat(COACH)
    out = await chat.send("/regio")
    assert texts(out)[0].startswith("Groot Amsterdam (AM18)")
    for forged in ("st:r:AM01:2026", "st:p:2026", "st:l:2026"):
        out = await chat.press(forged)
        assert [o.method for o in out] == ["answerCallbackQuery"]
        text, alert = last_alert(sbot)
        assert alert and ("eigen regio" in text or "regio-medewerkers" in text)
    assert len(photos(sbot, COACH)) == 1
    # a year of the own region is fine
    out = await chat.press("st:r:AM18:2025")
    assert "Voor 2025 is nog geen doel ingesteld" in texts(out)[0]


async def test_coach_is_refused_the_national_overview(sbot: OfflineBot) -> None:
    out = await sbot.chat(COACH).send("/landelijk")
    (text,) = texts(out)
    assert "regio-medewerkers en het programmateam" in text and "/regio" in text
    assert not photos(sbot, COACH)


async def test_programme_team_picks_a_region(sbot: OfflineBot) -> None:
    chat = sbot.chat(ADMIN_ID)
    out = await chat.send("/regio")
    assert texts(out) == ["Van welke regio wil je de cijfers zien?"]
    markup = chat.last_bot_message().reply_markup or {}
    rows = markup["inline_keyboard"]
    assert [len(row) for row in rows] == [2] * 17 + [1]
    data = [b["callback_data"] for row in rows for b in row]
    assert data[0] == "st:r:AM01:2026" and "st:r:AM18:2026" in data and len(data) == 35
    out = await chat.press("st:r:AM18:2026")
    assert texts(out)[0].startswith("Groot Amsterdam (AM18) · 2026\n3 van de 100")
    assert out[-1].buttons == (("« 2025", "st:r:AM18:2025"), ("Andere regio", "st:p:2026"))
    out = await chat.press("st:p:2026")
    assert texts(out) == ["Van welke regio wil je de cijfers zien?"]
    out = await chat.press("st:r:AM01:2026")
    assert "5 van de 25 trajecten gestart (20%)" in texts(out)[0]


async def test_region_without_target_this_year(sbot: OfflineBot) -> None:
    out = await sbot.chat(ADMIN_ID).press("st:r:AM03:2026", 1)
    text = texts(out)[0]
    assert "1 traject gestart. Voor 2026 is nog geen doel ingesteld." in text
    assert "Divisie" not in text and "schema" not in text
    assert_png(photos(sbot, ADMIN_ID)[-1])


@pytest.mark.parametrize("user", [STRANGER, INACTIVE])
async def test_no_account_gets_a_friendly_refusal(sbot: OfflineBot, user: int) -> None:
    chat = sbot.chat(user)
    for command in ("/regio", "/landelijk"):
        (text,) = texts(await chat.send(command))
        assert "uitnodiging van je regio of van het programmateam" in text
    out = await chat.press("st:r:AM18:2026")
    assert [o.method for o in out] == ["answerCallbackQuery"]
    text, alert = last_alert(sbot)
    assert alert and "uitnodiging" in text
    assert not photos(sbot, user)


async def test_role_without_region(sbot: OfflineBot) -> None:
    chat = sbot.chat(NO_REGION)
    (text,) = texts(await chat.send("/regio"))
    assert "nog geen regio gekoppeld" in text
    await chat.press("st:r:AM18:2026")
    assert "nog geen regio gekoppeld" in last_alert(sbot)[0]


@pytest.mark.parametrize(
    "data", ["st:r:AM04:2026", "st:r:AM18:2099", "st:r:AM18:1999", "st:l:x", "st:q", "st:r:AM18"]
)
async def test_stale_or_strange_buttons(sbot: OfflineBot, data: str) -> None:
    out = await sbot.chat(ADMIN_ID).press(data, 1)
    assert [o.method for o in out] == ["answerCallbackQuery"]
    assert "werkt niet meer" in last_alert(sbot)[0]


# -- /landelijk ------------------------------------------------------------------------------


async def test_national_overview_sorted_with_division_totals(sbot: OfflineBot) -> None:
    out = await sbot.chat(ADMIN_ID).send("/landelijk")
    assert [o.method for o in out] == ["sendMessage", "sendPhoto"]
    raw = out[0].text
    assert len(raw) <= 4096
    text = strip_html(raw)
    assert text.startswith("Landelijk · 2026 (stand 2-7-2026)")
    assert "9 trajecten gestart van het opgetelde doel van de regio's: 135 (7%)." in text
    assert "Achter op schema: naar rato waren er op 2-7-2026 68 verwacht." in text
    assert "Landelijke ambitie: 3.500 per jaar (100 per regio)." in text
    assert "Champions League (1 regio): 3 gestart van 100 (3%)" in text
    assert "Eredivisie (1 regio): 5 gestart van 25 (20%)" in text
    assert "Keuken Kampioen divisie (1 regio): 0 gestart van 10 (0%)" in text
    assert "Geen divisie (32 regio's): 1 gestart, geen doel" in text
    codes = table_codes(raw)
    assert len(codes) == 35
    # by progress; then the regions without a target, most started first
    assert codes[:5] == ["AM01", "AM18", "AM02", "AM03", "AM05"]
    assert "AM01 Groningen · ED · 5/25 · 20%" in text
    assert "AM03 Drenthe · – · 1/– · –" in text
    # full names, never cut; the two work measures named so that they cannot be confused
    assert "AM06 Stedendriehoek en Noordwest Veluwe ·" in text
    assert "Aan het werk gegaan in 2026: 1 (trajecten met hun eerste betaalde werkdag" in text
    assert "Van de in 2026 gestarte trajecten heeft" in text
    assert out[-1].buttons == (("« 2025", "st:l:2025"),)
    assert_png(photos(sbot, ADMIN_ID)[-1])


async def test_regio_staff_see_the_national_overview_and_other_years(sbot: OfflineBot) -> None:
    chat = sbot.chat(OTHER_REGIO)
    out = await chat.send("/landelijk")
    assert texts(out)[0].startswith("Landelijk · 2026")
    out = await chat.press("st:l:2025")
    text = texts(out)[0]
    assert text.startswith("Landelijk · 2025 (stand 31-12-2025)")
    assert "Voor 2025 is nog voor geen enkele regio een doel ingesteld." in text
    assert table_codes(out[1].text)[0] == "AM18"  # 2 started, no targets: most started first
    assert out[-1].buttons == (("« 2024", "st:l:2024"), ("2026 »", "st:l:2026"))


async def test_commands_in_the_command_lists(sbot: OfflineBot) -> None:
    calls = sbot.api.sent("setMyCommands")
    everyone = next(c for c in calls if "scope" not in c.params).params["commands"]
    admins = next(c for c in calls if str(ADMIN_ID) in str(c.params.get("scope"))).params[
        "commands"
    ]
    # not registered: neither (they would only be refused); staff get them in their own menu
    assert not {"regio", "landelijk"} & {c["command"] for c in everyone}
    assert {"regio", "landelijk"} <= {c["command"] for c in admins}


def test_short_texts_fit_telegram(bot: OfflineBot) -> None:
    """Pop-up notices (answerCallbackQuery) take at most 200 characters."""
    r = bot.services.renderer
    for key in (
        "stats_no_access",
        "stats_no_region",
        "stats_national_not_allowed",
        "stats_other_region_not_allowed",
    ):
        assert len(r.text(key)) <= 200


# -- definitions at the edges ----------------------------------------------------------------


async def test_definitions_at_the_edges(sbot: OfflineBot) -> None:
    ref = NOW.date()
    async with sbot.services.db.session() as session:
        session.add_all(
            [
                trajectory(
                    "AM05", date(2026, 1, 1), end=ref, reason="werk_duurzaam"
                ),  # ends on ref
                trajectory("AM05", date(2025, 1, 1), end=date(2026, 7, 3)),  # ends after ref
                trajectory("AM05", ref),  # starts on ref
                trajectory("AM05", date(2026, 7, 20)),  # starts later this year (allowed)
                trajectory("AM05", date(2025, 12, 31), placement=date(2026, 1, 1)),
                trajectory("AM06", date(2026, 3, 3)),  # another region
            ]
        )
        await session.commit()
        f = await stats.region_figures(session, "AM05", 2026, ref)
        assert await stats.region_figures(session, "AM04", 2026, ref) is None
    assert f is not None
    c = f.counts
    # ended counts every end date in the year, also one after the reference date
    assert (c.started, c.running, c.placed, c.ended) == (3, 3, 1, 2)
    assert (c.started_placed, c.ended_lasting) == (0, 1)
    assert f.per_month == (1, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0)
    assert f.cumulative() == [1, 1, 1, 1, 1, 1, 3]
    assert f.target is None and f.progress is None and f.on_schedule is None


def test_pro_rata_and_rounding() -> None:
    assert stats.period(2026, date(2026, 7, 2)).elapsed == pytest.approx(183 / 365)
    assert stats.period(2024, date(2026, 7, 2)).ref == date(2024, 12, 31)
    assert stats.period(2024, date(2026, 7, 2)).elapsed == 1.0  # leap year, 366 of 366
    assert stats.period(2028, date(2028, 12, 31)).days == 366
    assert [stats.percent(x) for x in (None, 0.0, 0.004, 0.005, 1 / 3, 1.2)] == [
        "–",
        "0%",
        "0%",
        "1%",
        "33%",
        "120%",
    ]
    assert stats.number(3500) == "3.500" and stats.number(49.5) == "50"


# -- hoofdzaak stats ---------------------------------------------------------------------------


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    url = f"sqlite:///{tmp_path / 'stats.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    cli = CliRunner()
    assert cli.invoke(main, ["db", "upgrade"]).exit_code == 0
    for code, division, target in [
        ("AM18", "champions-league", "100"),
        ("AM01", "eredivisie", "25"),
    ]:
        args = ["regions", "set", code, "--year", "2025", "--division", division]
        assert cli.invoke(main, [*args, "--target", target]).exit_code == 0
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        for t in [
            trajectory("AM18", date(2025, 1, 10), placement=date(2025, 2, 1)),
            trajectory("AM18", date(2025, 3, 5), end=date(2025, 9, 1), reason="werk_duurzaam"),
            trajectory("AM01", date(2025, 4, 1)),
            trajectory("AM01", date(2025, 4, 2)),
        ]:
            values = {c.name: getattr(t, c.key) for c in Trajectory.__table__.columns}
            values.pop("id")
            values["version"] = 1
            conn.execute(sa.insert(table_of(Trajectory)).values(values))
    engine.dispose()
    return cli


def test_cli_region_json(runner: CliRunner) -> None:
    result = runner.invoke(main, ["stats", "--region", "am18", "--year", "2025", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["region"] == "AM18" and data["reference_date"] == "2025-12-31"
    assert data["division"] == "champions-league" and data["target"] == 100
    assert (data["started"], data["running"], data["placed"], data["ended"]) == (2, 1, 1, 1)
    assert data["progress"] == 0.02 and data["expected"] == 100.0
    assert data["on_schedule"] is False
    assert data["paid_work_share"] == 0.5 and data["lasting_paid_work_share"] == 1.0
    assert data["started_per_month"][:3] == [1, 0, 1] and data["cumulative_started"][-1] == 2


def test_cli_national_json_and_chart(runner: CliRunner, tmp_path: Path) -> None:
    chart = tmp_path / "landelijk.png"
    result = runner.invoke(main, ["stats", "--year", "2025", "--json", "--chart", str(chart)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [r["region"] for r in data["regions"][:3]] == ["AM01", "AM18", "AM02"]
    assert data["regions"][0]["progress"] == 0.08
    divisions = {d["division"]: d for d in data["divisions"]}
    assert divisions["eredivisie"]["target"] == 25 and divisions["eredivisie"]["started"] == 2
    assert divisions[None]["regions"] == 33 and divisions[None]["target"] is None
    assert data["total"]["started"] == 4 and data["total"]["target"] == 125
    assert data["total"]["national_ambition"] == 3500
    assert_png(chart.read_bytes())


def test_cli_human_output_and_errors(runner: CliRunner) -> None:
    result = runner.invoke(main, ["stats", "--region", "AM18", "--year", "2025"])
    assert result.exit_code == 0 and "2 of 100 started (2.0%)" in result.output
    bad = runner.invoke(main, ["stats", "--region", "AM04", "--year", "2025"])
    assert bad.exit_code == 2 and "unknown region" in bad.output
    assert runner.invoke(main, ["stats", "--year", "1990"]).exit_code == 2


async def test_typed_region_and_year(sbot: OfflineBot) -> None:
    """/regio AM01 2026, /regio 2025 and /landelijk 2025 skip the buttons, same permissions."""
    admin = sbot.chat(ADMIN_ID)
    assert "5 van de 25 trajecten gestart (20%)" in texts(await admin.send("/regio am01 2026"))[0]
    coach = sbot.chat(COACH)
    out = texts(await coach.send("/regio 2025"))
    assert "Voor 2025 is nog geen doel ingesteld" in out[0]
    out = texts(await coach.send("/regio AM01"))
    assert len(out) == 1 and "eigen regio" in out[0]  # a message, not a silent pop-up
    out = texts(await sbot.chat(REGIO).send("/landelijk 2025"))
    assert "2025" in out[0]
    assert "regio-medewerkers" in texts(await coach.send("/landelijk 2025"))[0]


def test_the_national_text_does_not_repeat_the_ambition_when_the_targets_add_up_to_it(
    sbot: OfflineBot,
) -> None:
    """35 targets of 100 add up to the national ambition: one sentence, not the same figure
    and percentage twice."""
    when = stats.period(2026, NOW.date())
    counts = Counts(started=700)
    total = stats.GroupTotal(None, 35, 0, stats.NATIONAL_AMBITION, when, counts)
    n = stats.National(when, [], [], total)
    text = strip_html(stats.national_text(sbot.services, n))
    assert text.count("3.500") == 1 and "20%" in text
    assert "Dat opgetelde doel is ook de landelijke ambitie" in text
