"""Exports: /export by role, the CSV and XLSX as Excel users see them, the CLI."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bot.cli import main
from bot.config import TIMEZONE
from bot.fakeapi import SentMessage
from bot.offline import OfflineBot
from bot.services.people import users
from bot.services.shared.replies import Person
from bot.storage.db import Database
from bot.storage.models import Region, Trajectory
from bot.storage.users import UserRepo
from tests.support import ADMIN_ID

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TIMEZONE)
HEADERS = [
    "Referentie",
    "Regiocode",
    "Regio",
    "Status",
    "Startdatum",
    "Methode",
    "Doelgroep",
    "Gestart door",
    "Uitgevoerd door",
    "Uitkering bij de start",
    "Behandeling",
    "Eerste betaalde werkdag",
    "Uren per week",
    "Soort contract",
    "Einddatum",
    "Reden van einde",
    "Pseudoniem",
    "Demo",
]


def _trajectory(reference: str, region: str, start: date, **kw: object) -> Trajectory:
    values: dict[str, object] = {
        "reference": reference,
        "region": region,
        "coach_id": None,
        "pseudonym": f"P-{reference[-3:]}",
        "method": "ips",
        "target_group": "epa",
        "initiator": "gemeente",
        "provider": "ggz",
        "benefit": "participatiewet",
        "treatment": "specialistisch",
        "start_date": start,
        "status": "lopend",
        "created_at": NOW,
        "updated_at": NOW,
    }
    values.update(kw)
    return Trajectory(**values)


ROWS = [
    _trajectory(
        "HW-2026-00001",
        "AM18",
        date(2026, 3, 12),
        status="geplaatst",
        placement_date=date(2026, 6, 1),
        hours_per_week=24,
        contract="tijdelijk",
        pseudonym="=HYPERLINK(1)",
    ),
    _trajectory("HW-2026-00002", "AM18", date(2026, 1, 5), method="jobcoaching", pseudonym="#N/A"),
    _trajectory(
        "HW-2025-00001",
        "AM18",
        date(2025, 4, 1),
        status="beeindigd",
        end_date=date(2025, 12, 1),
        end_reason="verhuisd",
    ),
    _trajectory("HW-2026-00003", "AM01", date(2026, 2, 2), target_group="cmd"),
]


async def _fill(db: Database, rows: list[Trajectory] = ROWS) -> None:
    async with db.session() as session:
        session.add_all([_copy(t) for t in rows])
        await session.commit()


def _copy(t: Trajectory) -> Trajectory:
    return Trajectory(**{c.key: getattr(t, c.key) for c in Trajectory.__table__.columns})


async def _as_user(bot: OfflineBot, telegram_id: int, role: str, region: str | None) -> None:
    services = bot.services
    async with services.db.session() as session:
        await users.record_seen(session, Person(telegram_id, "Test"), services.clock())
        await session.commit()
        await users.set_user(session, services.region_codes(), telegram_id, role, region)
    services.seen.forget(telegram_id)


def _documents(bot: OfflineBot, chat_id: int) -> dict[str, SentMessage]:
    return {m.file_name or "": m for m in bot.api.chat_messages(chat_id) if m.kind == "document"}


def _csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, for Excel"
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


async def test_programme_team_exports_everything_this_year(bot: OfflineBot) -> None:
    bot.services.clock = lambda: NOW
    await _fill(bot.services.db)
    chat = bot.chat(ADMIN_ID)
    menu = (await chat.send("/export"))[-1]
    assert "alle regio&#39;s" in menu.text
    assert [d for _, d in menu.buttons] == ["exp:get:nl:2026", "exp:get:nl:all"]
    out = await chat.press("exp:get:nl:2026", menu.message_id)
    edited = [o for o in out if o.method == "editMessageText"][-1]
    assert "3 trajecten" in edited.text and "gestart in 2026" in edited.text
    docs = _documents(bot, ADMIN_ID)
    assert set(docs) == {"trajecten-2026.csv", "trajecten-2026.xlsx"}

    rows = _csv(docs["trajecten-2026.csv"].file or b"")
    assert rows[0] == HEADERS
    assert [r[0] for r in rows[1:]] == ["HW-2026-00002", "HW-2026-00003", "HW-2026-00001"]
    placed = rows[3]
    assert placed[1:5] == ["AM18", "Groot Amsterdam", "Aan het werk", "2026-03-12"]
    assert placed[5] == "IPS" and placed[9] == "Participatiewet (bijstand)"
    assert placed[11:14] == ["2026-06-01", "24", "Tijdelijk contract"]
    assert placed[14] == "" and placed[16] == "'=HYPERLINK(1)" and placed[17] == "nee"

    book = load_workbook(io.BytesIO(docs["trajecten-2026.xlsx"].file or b""))
    sheet = book.active
    assert sheet is not None
    assert [c.value for c in sheet[1]] == HEADERS
    assert all(c.font.b for c in sheet[1])
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:R4"
    assert sheet.column_dimensions["C"].width >= len("Stedendriehoek en Noordwest Veluwe")
    row = [c for c in sheet[4]]
    assert row[4].value == datetime(2026, 3, 12) and row[4].is_date
    assert row[4].number_format == "DD-MM-YYYY"
    assert row[12].value == 24 and row[12].data_type == "n"
    assert row[14].value is None
    assert row[16].value == "=HYPERLINK(1)" and row[16].data_type == "s"  # text, not a formula
    assert sheet["Q2"].value == "#N/A" and sheet["Q2"].data_type == "s"  # text, not an error
    assert sheet["A2"].value == "HW-2026-00002" and sheet["F2"].value == "Jobcoaching"


async def test_regio_exports_only_its_own_region(bot: OfflineBot) -> None:
    bot.services.clock = lambda: NOW
    await _fill(bot.services.db)
    await _as_user(bot, 4001, "regio", "AM18")
    chat = bot.chat(4001)
    menu = (await chat.send("/export"))[-1]
    assert "Groot Amsterdam" in menu.text
    assert [d for _, d in menu.buttons] == ["exp:get:AM18:2026", "exp:get:AM18:all"]
    await chat.press("exp:get:AM18:all", menu.message_id)
    docs = _documents(bot, 4001)
    rows = _csv(docs["trajecten-AM18-alle-jaren.csv"].file or b"")
    assert {r[1] for r in rows[1:]} == {"AM18"} and len(rows) == 4
    # forged buttons: another region, or everything
    before = len(bot.api.chat_messages(4001))
    for forged in ("exp:get:AM01:all", "exp:get:nl:2026", "exp:get:AM18:1990", "exp:get:AM18"):
        out = await chat.press(forged, menu.message_id)
        assert out[-1].method == "answerCallbackQuery"
    assert len(bot.api.chat_messages(4001)) == before
    notices = [c.params.get("text", "") for c in bot.api.sent("answerCallbackQuery")]
    assert "eigen regio" in notices[-4] and "eigen regio" in notices[-3]


async def test_coaches_and_strangers_are_refused(bot: OfflineBot) -> None:
    await _fill(bot.services.db)
    await _as_user(bot, 4101, "coach", "AM18")
    for user_id in (4101, 4102):
        chat = bot.chat(user_id)
        out = await chat.send("/export")
        assert "alleen voor regio-medewerkers" in out[-1].text and not out[-1].buttons
        await chat.press("exp:get:AM18:all", out[-1].message_id)
        assert not _documents(bot, user_id)
    # a regio user who lost the role between /export and the press gets nothing either
    await _as_user(bot, 4103, "regio", "AM18")
    chat = bot.chat(4103)
    menu = (await chat.send("/export"))[-1]
    async with bot.services.db.session() as session:
        await users.deactivate(session, 4103)
    bot.services.seen.forget(4103)
    await chat.press("exp:get:AM18:all", menu.message_id)
    assert not _documents(bot, 4103)


async def test_group_chats_get_no_files(bot: OfflineBot) -> None:
    group = bot.chat(ADMIN_ID, chat_id=-500, chat_type="group")
    out = await group.send("/export")
    assert "privégesprek" in out[-1].text and not out[-1].buttons
    pressed = await group.press("exp:get:nl:all", out[-1].message_id)
    assert "privégesprek" in pressed[-1].text and not _documents(bot, -500)


async def test_empty_selection_gives_header_only_files(bot: OfflineBot) -> None:
    bot.services.clock = lambda: NOW
    await _as_user(bot, 4201, "regio", "AM30")
    chat = bot.chat(4201)
    menu = (await chat.send("/export"))[-1]
    out = await chat.press("exp:get:AM30:2026", menu.message_id)
    assert "geen trajecten" in out[1].text and "kolomkoppen" in out[1].text
    docs = _documents(bot, 4201)
    assert _csv(docs["trajecten-AM30-2026.csv"].file or b"") == [HEADERS]
    sheet = load_workbook(io.BytesIO(docs["trajecten-AM30-2026.xlsx"].file or b"")).active
    assert sheet is not None and sheet.max_row == 1


# -- the command line ------------------------------------------------------------------------


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'export.db'}")
    return CliRunner()


async def _fill_cli_db(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'export.db'}")
    await db.upgrade()
    async with db.session() as session:
        session.add_all(
            [
                Region(code="AM18", name="Groot Amsterdam", centrumgemeente="Amsterdam"),
                Region(code="AM01", name="Groningen", centrumgemeente="Groningen"),
            ]
        )
        await UserRepo(session).seen(1, None, None, None, NOW)
        await session.commit()
    await _fill(db)
    await db.dispose()


def test_cli_export_csv_and_xlsx(runner: CliRunner, tmp_path: Path) -> None:
    asyncio.run(_fill_cli_db(tmp_path))
    out = tmp_path / "out" / "am18.csv"
    result = runner.invoke(
        main,
        [
            "export",
            "trajectories",
            "--format",
            "csv",
            "--out",
            str(out),
            "--region",
            "am18",
            "--year",
            "2026",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "path": str(out),
        "format": "csv",
        "rows": 2,
        "region": "AM18",
        "year": 2026,
    }
    assert [r[0] for r in _csv(out.read_bytes())[1:]] == ["HW-2026-00002", "HW-2026-00001"]

    xlsx = tmp_path / "all.xlsx"
    result = runner.invoke(
        main, ["export", "trajectories", "--format", "xlsx", "--out", str(xlsx)]
    )
    assert result.exit_code == 0 and "wrote 4 trajectories" in result.output
    sheet = load_workbook(xlsx).active
    assert sheet is not None and sheet.max_row == 5
    assert not list(tmp_path.glob(".*.part"))


def test_cli_export_refuses_unknown_region(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    result = runner.invoke(
        main,
        ["export", "trajectories", "--format", "csv", "--out", str(out), "--region", "AM04"],
    )
    assert result.exit_code == 2 and "unknown region" in result.output
    assert not out.exists() and not list(tmp_path.glob(".*.part"))
    bad = runner.invoke(main, ["export", "trajectories", "--format", "ods", "--out", str(out)])
    assert bad.exit_code == 2
