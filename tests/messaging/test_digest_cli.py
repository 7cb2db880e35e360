"""`hoofdzaak digest preview|send`: readable and --json output, --dry-run, never twice, and
clear errors (exit 2) for bad usage."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.cli import main
from bot.config import Settings
from bot.services import amsterdam_now
from bot.services.messaging.digest.week import Week
from bot.services.people import users
from bot.services.progress import regions
from bot.services.shared.replies import Person
from bot.services.trajectories import records as t
from bot.storage.db import Database
from bot.storage.models import Announcement, Delivery, User
from bot.wiring import build_services
from knowledge.matcher import Matcher

COACH, REGIO, TEAM, OFF = 7401, 7402, 7403, 7404
THIS_WEEK = Week.of(amsterdam_now()).label


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture
def runner(db_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.delenv("HOOFDZAAK_ADMINS", raising=False)
    return CliRunner()


async def _prepare(db_url: str, matcher: Matcher) -> None:
    services = build_services(Settings(DATABASE_URL=db_url), matcher=matcher)
    try:
        await services.db.upgrade()
        async with services.db.session() as session:
            await regions.ensure_regions(session, services.kb)
            for telegram_id, role, region in (
                (COACH, "coach", "AM18"),
                (REGIO, "regio", "AM18"),
                (TEAM, "programma", None),
                (OFF, "coach", "AM05"),
            ):
                await users.record_seen(session, Person(telegram_id, "Sam"), services.clock())
                await session.commit()
                await users.set_user(session, services.region_codes(), telegram_id, role, region)
            off = (await session.execute(select(User).where(User.telegram_id == OFF))).scalar_one()
            off.digest = False
            coach = (
                await session.execute(select(User).where(User.telegram_id == COACH))
            ).scalar_one()
            await session.commit()
            today = services.clock().date()
            new = t.NewTrajectory(
                "AM18",
                "KL-31",
                today - timedelta(days=200),
                "ips",
                "epa",
                "uwv",
                "ggz",
                "ww",
                "basis",
            )
            await t.register(session, new, coach.id, services.clock() - timedelta(days=90))
    finally:
        await services.db.dispose()


async def _count(db_url: str) -> tuple[int, int]:
    db = Database(Settings(DATABASE_URL=db_url).db_url)
    try:
        async with db.session() as session:
            announcements = await session.scalar(select(func.count(Announcement.id)))
            rows = await session.scalar(select(func.count(Delivery.id)))
            return int(announcements or 0), int(rows or 0)
    finally:
        await db.dispose()


def test_preview_user_and_samples(runner: CliRunner, db_url: str, matcher: Matcher) -> None:
    asyncio.run(_prepare(db_url, matcher))
    result = runner.invoke(main, ["digest", "preview", "--user", str(COACH)])
    assert result.exit_code == 0, result.output
    assert f"# week {THIS_WEEK}; user {COACH} (coach, AM18)" in result.output
    assert "Je weekoverzicht" in result.output and "<b>" not in result.output
    assert "KL-31" in result.output and "[Bijwerken: HW-" in result.output

    result = runner.invoke(
        main, ["digest", "preview", "--role", "coach", "--region", "am18", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["user"] == COACH and data["role"] == "coach" and data["region"] == "AM18"
    assert data["shown"].startswith("sample: the digest of user")
    assert "<b>Je weekoverzicht</b>" in data["html"] and "<b>" not in data["text"]
    assert data["buttons"][0][0]["callback_data"].startswith("mt:d:")
    assert data["length"] == len(data["html"]) <= 4096

    result = runner.invoke(main, ["digest", "preview", "--role", "coach", "--region", "AM30"])
    assert result.exit_code == 0, result.output
    assert "no coach user in AM30; an empty sample" in result.output
    assert "geen lopende trajecten" in result.output

    result = runner.invoke(main, ["digest", "preview", "--role", "programma", "--week", THIS_WEEK])
    assert result.exit_code == 0, result.output
    assert "Landelijk in" in result.output
    assert asyncio.run(_count(db_url)) == (0, 0)  # a preview writes nothing


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["preview"], "give either --user"),
        (["preview", "--user", "1", "--role", "coach"], "give either --user"),
        (["preview", "--role", "regio"], "needs --region"),
        (["preview", "--role", "regio", "--region", "AM99"], "unknown region"),
        (["preview", "--user", "424242"], "no user with Telegram id 424242"),
        (["preview", "--user", str(COACH), "--week", "week 48"], "YYYY-Www"),
        (["send", "--week", "2026-W60"], "has no ISO week 60"),
        (["send", "--week", "2999-W01"], "has not started yet"),
    ],
)
def test_bad_usage_exits_2_with_a_clear_message(
    runner: CliRunner, db_url: str, matcher: Matcher, args: list[str], message: str
) -> None:
    asyncio.run(_prepare(db_url, matcher))
    result = runner.invoke(main, ["digest", *args])
    assert result.exit_code == 2, result.output
    assert message in result.stderr


def test_send_dry_run_then_send_then_never_twice(
    runner: CliRunner, db_url: str, matcher: Matcher
) -> None:
    asyncio.run(_prepare(db_url, matcher))
    result = runner.invoke(main, ["digest", "send", "--week", THIS_WEEK, "--dry-run", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert (data["queued"], data["already"], data["skipped"], data["dry_run"]) == (3, 0, 1, True)
    assert {u["telegram_id"]: u["result"] for u in data["users"]} == {
        COACH: "queued",
        REGIO: "queued",
        TEAM: "queued",
        OFF: "skipped",
    }
    assert [u["reason"] for u in data["users"] if u["result"] == "skipped"] == ["off"]
    assert asyncio.run(_count(db_url)) == (0, 0)

    result = runner.invoke(main, ["digest", "send", "--week", THIS_WEEK])
    assert result.exit_code == 0, result.output
    assert f"week {THIS_WEEK}: 3 queued, 0 already had it, 1 skipped (off: 1)" in result.output
    assert asyncio.run(_count(db_url)) == (1, 3)

    result = runner.invoke(main, ["digest", "send", "--week", THIS_WEEK, "--json"])
    data = json.loads(result.output)
    assert (data["queued"], data["already"], data["skipped"]) == (0, 3, 1)
    assert asyncio.run(_count(db_url)) == (1, 3)

    last_week = Week.of(amsterdam_now() - timedelta(days=7)).label
    result = runner.invoke(main, ["digest", "send", "--week", last_week, "--json"])
    assert json.loads(result.output)["queued"] == 3
    assert asyncio.run(_count(db_url)) == (2, 6)
