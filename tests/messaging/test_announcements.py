"""Announcements without Telegram: HTML checks, planning times, audiences, permissions and
`hoofdzaak announce`."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from bot.cli import main
from bot.config import TIMEZONE, Settings
from bot.offline import OfflineBot
from bot.services import Services
from bot.services.messaging import announcements as svc
from bot.services.people import users
from bot.services.people.accounts import Caller
from bot.services.progress import regions
from bot.services.shared.inputs import InputError
from bot.services.shared.replies import Person
from bot.storage.models import Announcement, Delivery, RegionYear, User
from bot.wiring import build_services
from tests.support import ADMIN_ID

NOW = datetime(2026, 12, 4, 12, 45, tzinfo=TIMEZONE)

# -- HTML --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Hallo allemaal",
        "<b>Let op</b>: de <i>nieuwe</i> cijfers staan online.",
        '<a href="https://hoofdzaakwerk.nl">site</a> &amp; meer &lt;3 &#128512;',
        '<blockquote>citaat</blockquote><pre><code class="language-python">x</code></pre>',
        '<tg-spoiler>geheim</tg-spoiler> <span class="tg-spoiler">ook</span>',
        "<strong><em><u><s>alles</s></u></em></strong> <ins>i</ins> <del>d</del>",
    ],
)
def test_valid_telegram_html(text: str) -> None:
    assert svc.check_html(text) == text


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("<b>vet", "<b> wordt niet gesloten"),
        ("<b><i>x</b></i>", "gesloten moet worden"),
        ("x</b>", "nergens geopend"),
        ("<div>x</div>", "kent Telegram niet"),
        ("<h1>kop</h1>", "kent Telegram niet"),
        ("a < b", "losse <"),
        ("a > b", "losse >"),
        ("Jansen & Zn", "losse &"),
        ("&nbsp;", "losse &"),
        ("<a>link</a>", "href"),
        ('<b class="x">x</b>', "mag class niet"),
        ('<span class="rood">x</span>', "tg-spoiler"),
        ("   ", "leeg"),
    ],
)
def test_invalid_html_says_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(InputError) as err:
        svc.check_html(text)
    assert says in str(err.value)


def test_length_limits_for_text_and_caption() -> None:
    svc.check_message("x" * 4096, has_media=False)
    with pytest.raises(InputError, match="hoogstens 4096"):
        svc.check_message("x" * 4097, has_media=False)
    with pytest.raises(InputError, match="hoogstens 1024"):
        svc.check_message("x" * 1025, has_media=True)
    assert svc.check_message("", has_media=True) == ""  # a photo without a caption


# -- when --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5-12 9:00", datetime(2026, 12, 5, 9, 0, tzinfo=TIMEZONE)),
        ("5 december 14:30", datetime(2026, 12, 5, 14, 30, tzinfo=TIMEZONE)),
        ("2026-12-05 09:00", datetime(2026, 12, 5, 9, 0, tzinfo=TIMEZONE)),
        ("5-12-2026 om 9.15", datetime(2026, 12, 5, 9, 15, tzinfo=TIMEZONE)),
        ("morgen 8:00", datetime(2026, 12, 5, 8, 0, tzinfo=TIMEZONE)),
        ("vandaag 17:00", datetime(2026, 12, 4, 17, 0, tzinfo=TIMEZONE)),
        ("3 jan 10:00", datetime(2027, 1, 3, 10, 0, tzinfo=TIMEZONE)),  # next one
        ("3-1 10:00", datetime(2027, 1, 3, 10, 0, tzinfo=TIMEZONE)),
    ],
)
def test_parse_when(text: str, expected: datetime) -> None:
    assert svc.parse_when(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("morgen", "Typ een datum en tijd"),
        ("vandaag 9:00", "al voorbij"),
        ("2026-12-01 09:00", "al voorbij"),
        ("31-2 9:00", "bestaat niet"),
        ("5-12 25:00", "bestaat niet"),
        ("2028-01-01 09:00", "hoogstens een jaar"),
        ("volgende week", "Typ een datum en tijd"),
    ],
)
def test_parse_when_refuses(text: str, says: str) -> None:
    with pytest.raises(InputError, match=says):
        svc.parse_when(text, NOW)


# -- audiences ---------------------------------------------------------------------------------

PEOPLE = {
    # telegram id: (role, region)
    101: ("coach", "AM18"),
    102: ("coach", "AM18"),
    103: ("regio", "AM18"),
    104: ("coach", "AM19"),
    105: ("regio", "AM19"),
    106: ("coach", "AM05"),
    107: ("programma", None),
    108: ("coach", "AM18"),  # will block the bot: inactive
    109: ("coach", "AM18"),  # demo user
    110: (None, None),  # never registered
}


async def _people(services: Services) -> None:
    year = services.clock().year
    async with services.db.session() as session:
        await regions.ensure_regions(session, services.kb)
        for telegram_id, (role, region) in PEOPLE.items():
            await users.record_seen(session, Person(telegram_id, f"P{telegram_id}"), NOW)
            await session.commit()
            if role:
                await users.set_user(session, services.region_codes(), telegram_id, role, region)
        await users.record_seen(session, Person(ADMIN_ID, "Admin"), NOW)
        await session.execute(update(User).where(User.telegram_id == 108).values(active=False))
        await session.execute(update(User).where(User.telegram_id == 109).values(demo=True))
        session.add_all(
            [
                RegionYear(region_code="AM18", year=year, division="champions-league"),
                RegionYear(region_code="AM19", year=year, division="eredivisie"),
                RegionYear(region_code="AM05", year=year - 1, division="eredivisie"),
            ]
        )
        await session.commit()


async def _ids(services: Services, audience: svc.Audience) -> set[int]:
    async with services.db.session() as session:
        return {r.telegram_id for r in await svc.recipients(services, session, audience)}


@pytest.mark.parametrize(
    ("audience", "expected"),
    [
        (svc.Audience(), {101, 102, 103, 104, 105, 106, 107, ADMIN_ID}),
        (svc.Audience(regions=("AM18",)), {101, 102, 103}),
        (svc.Audience(regions=("AM18", "AM19")), {101, 102, 103, 104, 105}),
        (svc.Audience(divisions=("eredivisie",)), {104, 105}),  # AM05 was last year's
        (svc.Audience(roles=("programma",)), {107, ADMIN_ID}),
        (svc.Audience(roles=("coach",)), {101, 102, 104, 106}),
        (svc.Audience(regions=("AM18",), roles=("regio",)), {103}),
        (
            svc.Audience(regions=("AM05",), divisions=("champions-league",), roles=("coach",)),
            {101, 102, 106},
        ),
    ],
)
async def test_audiences(bot: OfflineBot, audience: svc.Audience, expected: set[int]) -> None:
    await _people(bot.services)
    assert await _ids(bot.services, audience) == expected


def test_regio_reaches_only_its_own_region() -> None:
    regio = Caller(103, 3, "regio", "AM18")
    assert svc.allowed(regio, svc.Audience(regions=("AM18",)))
    assert svc.allowed(regio, svc.Audience(regions=("AM18",), roles=("coach",)))
    assert not svc.allowed(regio, svc.Audience())
    assert not svc.allowed(regio, svc.Audience(regions=("AM19",)))
    assert not svc.allowed(regio, svc.Audience(regions=("AM18", "AM19")))
    assert not svc.allowed(regio, svc.Audience(regions=("AM18",), divisions=("eredivisie",)))
    assert not svc.allowed(Caller(101, 1, "coach", "AM18"), svc.Audience(regions=("AM18",)))
    assert svc.allowed(Caller(107, 7, "programma", None), svc.Audience())


async def test_create_writes_one_delivery_per_recipient(bot: OfflineBot) -> None:
    services = bot.services
    await _people(services)
    assert services.sender is not None
    await services.sender.stop()  # written only: this test reads the rows as they were made
    services.sender = None
    draft = svc.Draft("<b>Nieuws</b>", svc.Audience(regions=("AM18",)))
    async with services.db.session() as session:
        created = await svc.create(
            services, session, draft, created_by=None, progress_chat_id=None
        )
    assert created.recipients == 3 and created.status == "sending"
    async with services.db.session() as session:
        rows = (await session.execute(select(Delivery))).scalars().all()
        ann = await session.get(Announcement, created.id)
    assert sorted(r.chat_id for r in rows) == [101, 102, 103]
    assert {r.status for r in rows} == {"pending"}
    assert ann is not None and ann.audience_label == "regio AM18"
    nobody = svc.Draft("x", svc.Audience(regions=("AM30",)))
    async with services.db.session() as session:
        with pytest.raises(svc.AnnounceError, match="geen actieve ontvangers"):
            await svc.create(services, session, nobody, created_by=None, progress_chat_id=None)


# -- the command line --------------------------------------------------------------------------


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("HOOFDZAAK_ADMINS", str(ADMIN_ID))
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)

    async def prepare() -> None:
        services = build_services(Settings(DATABASE_URL=url, HOOFDZAAK_ADMINS=str(ADMIN_ID)))
        await services.db.upgrade()
        await _people(services)
        await services.db.dispose()

    asyncio.run(prepare())
    return CliRunner()


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "bericht.html"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_cli_dry_run_counts_without_writing(runner: CliRunner, tmp_path: Path) -> None:
    text = _write(tmp_path, "<b>Nieuws</b>")
    args = ["announce", "--text-file", text, "--audience", "region=AM18+AM19,role=coach"]
    result = runner.invoke(main, [*args, "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["recipients"] == 3 and out["dry_run"] is True
    assert out["breakdown"] == {"regions": {"AM18": 2, "AM19": 1}, "roles": {"coach": 3}}
    human = runner.invoke(main, [*args, "--dry-run"])
    assert "3 recipients" in human.output and "nothing written" in human.output
    status = runner.invoke(main, ["announce", "status", "1", "--json"])
    assert status.exit_code == 1 and "bestaat niet" in status.output


def test_cli_announce_status_and_cancel(runner: CliRunner, tmp_path: Path) -> None:
    text = _write(tmp_path, "Hallo <i>iedereen</i>")
    result = runner.invoke(main, ["announce", "--text-file", text, "--audience", "all", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["status"] == "sending" and out["recipients"] == 8
    status = runner.invoke(main, ["announce", "status", str(out["id"]), "--json"])
    data = json.loads(status.output)
    assert data["counts"]["pending"] == 8 and data["counts"]["total"] == 8
    assert data["audience_label"] == "iedereen"

    later = runner.invoke(
        main,
        ["announce", "--text-file", text, "--audience", "region=AM19", "--at", "2099-01-01T09:00"],
    )
    assert later.exit_code == 2 and "hoogstens een jaar" in later.output
    when = (datetime.now(TIMEZONE) + timedelta(days=2)).replace(microsecond=0).isoformat()
    planned = runner.invoke(
        main,
        ["announce", "--text-file", text, "--audience", "region=AM19", "--at", when, "--json"],
    )
    assert planned.exit_code == 0, planned.output
    pid = json.loads(planned.output)["id"]
    assert json.loads(planned.output)["status"] == "scheduled"
    cancelled = runner.invoke(main, ["announce", "cancel", str(pid)])
    assert cancelled.exit_code == 0 and "cancelled (was scheduled)" in cancelled.output
    again = runner.invoke(main, ["announce", "cancel", str(pid)])
    assert again.exit_code == 1 and "geannuleerd" in again.output
    resend = runner.invoke(main, ["announce", "resend-uncertain", str(out["id"])])
    assert resend.exit_code == 0 and "no uncertain deliveries" in resend.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--audience", "planet=mars"], "--audience"),
        (["--audience", "region=AM99"], "AM99 bestaat niet"),
        (["--audience", "role=baas"], "Rol baas bestaat niet"),
        (["--audience", "all", "--at", "gisteren"], "ISO"),
        (["--audience", "all", "--at", "2020-01-01T09:00"], "al voorbij"),
        ([], "--audience are required"),
    ],
)
def test_cli_bad_usage_exits_2(
    runner: CliRunner, tmp_path: Path, args: list[str], says: str
) -> None:
    text = _write(tmp_path, "Hallo")
    result = runner.invoke(main, ["announce", "--text-file", text, *args])
    assert result.exit_code == 2 and says in result.output, result.output


def test_cli_refuses_invalid_html(runner: CliRunner, tmp_path: Path) -> None:
    text = _write(tmp_path, "<b>Hallo")
    result = runner.invoke(main, ["announce", "--text-file", text, "--audience", "all"])
    assert result.exit_code == 2 and "wordt niet gesloten" in result.output


async def test_count_of_deliveries_is_unique(bot: OfflineBot) -> None:
    services = bot.services
    await _people(services)
    assert services.sender is not None
    await services.sender.stop()
    services.sender = None
    async with services.db.session() as session:
        await svc.create(
            services,
            session,
            svc.Draft("a", svc.Audience()),
            created_by=None,
            progress_chat_id=None,
        )
        n = await session.scalar(select(func.count(func.distinct(Delivery.user_id))))
        total = await session.scalar(select(func.count()).select_from(Delivery))
    assert n == total == 8


@pytest.mark.parametrize(
    ("text", "expected", "asked"),
    [
        ("1-12 9:00", datetime(2027, 12, 1, 9, 0, tzinfo=TIMEZONE), True),  # passed: next year?
        ("9:00", datetime(2026, 12, 5, 9, 0, tzinfo=TIMEZONE), True),  # passed today: tomorrow?
        ("3 jan 10:00", datetime(2027, 1, 3, 10, 0, tzinfo=TIMEZONE), False),  # plainly next one
        ("5-12 9:00", datetime(2026, 12, 5, 9, 0, tzinfo=TIMEZONE), False),
    ],
)
def test_a_moment_that_passed_is_moved_and_flagged(
    text: str, expected: datetime, asked: bool
) -> None:
    assert svc.read_when(text, NOW) == (expected, asked)
