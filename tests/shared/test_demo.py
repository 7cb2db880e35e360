"""Demo data: seeded, consistent, marked, and removed without touching real rows."""

from __future__ import annotations

import io
import json
import re
from collections.abc import AsyncIterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.cli import main
from bot.config import TIMEZONE
from bot.services.progress import regions
from bot.services.shared import demo
from bot.services.trajectories import records as trajectories
from bot.storage.db import Database
from bot.storage.models import RegionYear, Trajectory, TrajectoryEvent, User
from bot.storage.users import UserRepo
from knowledge.kb import KnowledgeBase

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TIMEZONE)
REFERENCE = re.compile(r"^HW-(\d{4})-\d{5}$")


@pytest.fixture
async def db(db_url: str, kb: KnowledgeBase) -> AsyncIterator[Database]:
    """A database with real rows: a user, a trajectory with its event, a region year."""
    database = Database(db_url)
    await database.upgrade()
    async with database.session() as session:
        await regions.ensure_regions(session, kb)
        coach = await UserRepo(session).seen(501, "Echte", "Coach", None, NOW)
        coach.role, coach.region = "coach", "AM18"
        await session.commit()
        new = trajectories.NewTrajectory(
            "AM18", "KL-07", date(2024, 3, 4), "ips", "epa", "uwv", "ggz", "ww", "basis"
        )
        await trajectories.register(session, new, coach.id, NOW)
        await regions.set_regions(
            session, kb, [regions.RegionSetting("AM18", 2024, "eredivisie", 40)]
        )
    yield database
    await database.dispose()


async def _real_rows(db: Database) -> list[list[tuple[object, ...]]]:
    """Every column of every real row (demo=False) of the tables demo data touches."""
    out = []
    async with db.session() as session:
        for model in (User, Trajectory, RegionYear):
            stmt = select(model).where(model.demo.is_(False)).order_by(model.id)
            out.append(
                [
                    tuple(getattr(row, c.key) for c in model.__table__.columns)
                    for row in (await session.execute(stmt)).scalars()
                ]
            )
        real = select(Trajectory.id).where(Trajectory.demo.is_(False))
        events = select(TrajectoryEvent).where(TrajectoryEvent.trajectory_id.in_(real))
        out.append(
            [
                (e.id, e.trajectory_id, e.field, e.old, e.new, e.at)
                for e in (await session.execute(events)).scalars()
            ]
        )
    return out


async def test_seed_is_consistent_and_clear_leaves_real_rows(
    db: Database, kb: KnowledgeBase
) -> None:
    real_before = await _real_rows(db)
    async with db.session() as session:
        counts = await demo.seed(session, kb, NOW)
    assert counts.users == 35 * 4
    assert counts.region_years == 35 * 6 - 1  # 2021–2026, not AM18 2024 (set by the team)
    assert 3000 <= counts.trajectories <= 8000
    assert counts.events >= counts.trajectories

    async with db.session() as session:
        assert await demo.present(session) == counts
        ry = (
            await session.execute(
                select(RegionYear).where(RegionYear.region_code == "AM18", RegionYear.year == 2024)
            )
        ).scalar_one()
        assert (ry.division, ry.target, ry.demo) == ("eredivisie", 40, False)  # not overwritten
        plan = (await session.execute(select(RegionYear).where(RegionYear.demo))).scalars().all()
        per_year: dict[int, dict[str, int]] = {}
        for row in plan:
            per_year.setdefault(row.year, {}).setdefault(row.division or "", 0)
            per_year[row.year][row.division or ""] += 1
        assert per_year[2021] == {
            "champions-league": 10,
            "eredivisie": 10,
            "keuken-kampioen-divisie": 15,
        }
        assert per_year[2022] == {"champions-league": 20, "eredivisie": 15}
        # later years (not in the sources): all three divisions, so they show in the figures
        assert per_year[2025] == {
            "champions-league": 20,
            "eredivisie": 10,
            "keuken-kampioen-divisie": 5,
        }
        assert {r.target for r in plan if r.division == "champions-league"} == {100}

        people = (await session.execute(select(User).where(User.demo))).scalars().all()
        assert all(u.telegram_id < 0 and u.active for u in people)
        assert {u.role for u in people} == {"coach", "regio"}
        assert "Demo coach 3" in {u.first_name for u in people}

        rows = (await session.execute(select(Trajectory).where(Trajectory.demo))).scalars().all()
        events = (await session.execute(select(TrajectoryEvent))).scalars().all()
    demo_user_ids = {u.id for u in people}
    first_event = {e.trajectory_id: e for e in sorted(events, key=lambda e: e.id, reverse=True)}
    references = [t.reference for t in rows]
    assert len(set(references)) == len(references) and "HW-2024-00001" not in references
    assert len({t.pseudonym for t in rows}) == len(rows)
    today = NOW.date()
    placed = 0
    for t in rows:
        m = REFERENCE.match(t.reference)
        assert m and int(m[1]) == t.start_date.year
        assert t.pseudonym is not None and re.fullmatch(r"DEMO-\d{4,}", t.pseudonym)
        assert t.coach_id in demo_user_ids
        assert date(2021, 1, 1) <= t.start_date <= today
        assert t.created_at.tzinfo is not None and t.created_at <= t.updated_at <= NOW
        last_day = t.end_date or today
        if t.method == "ips":
            assert (last_day - t.start_date).days <= 3 * 365
        if t.placement_date is not None:
            placed += 1
            assert t.start_date < t.placement_date <= today
            assert t.hours_per_week is not None and 8 <= t.hours_per_week <= 36
            assert t.contract in trajectories.CONTRACTS
        else:
            assert t.hours_per_week is None and t.contract is None
        if t.end_date is not None:
            assert t.status == "beeindigd" and t.end_reason in trajectories.END_REASONS
            assert (t.placement_date or t.start_date) <= t.end_date <= today
        else:
            assert t.end_reason is None
            assert t.status == ("geplaatst" if t.placement_date else "lopend")
        first = first_event[t.id]
        assert (first.field, first.old, first.new) == ("status", None, "lopend")
    assert 0.25 <= placed / len(rows) <= 0.45  # about a third finds paid work
    assert {t.method for t in rows} == set(trajectories.METHODS)
    assert sum(t.method == "ips" for t in rows) > len(rows) / 2
    assert len({t.region for t in rows}) == 35

    async with db.session() as session:
        with pytest.raises(demo.DemoError, match="already there"):
            await demo.seed(session, kb, NOW)
        removed = await demo.clear(session)
    assert removed == counts
    async with db.session() as session:
        assert (await demo.present(session)).empty
        left = await session.scalar(select(func.count(TrajectoryEvent.id)))
    assert left == 1
    assert await _real_rows(db) == real_before


async def test_same_seed_same_data(tmp_path: Path, kb: KnowledgeBase) -> None:
    made = []
    for name in ("a", "b"):
        database = Database(f"sqlite+aiosqlite:///{tmp_path / name}.db")
        await database.upgrade()
        async with database.session() as session:
            await regions.ensure_regions(session, kb)
            await demo.seed(session, kb, NOW, seed_value=7, scale=0.2)
            stmt = select(Trajectory.reference, Trajectory.region, Trajectory.status)
            made.append(sorted((await session.execute(stmt)).tuples().all()))
        await database.dispose()
    assert made[0] == made[1] and len(made[0]) > 100


async def test_references_continue_after_real_ones(db: Database, kb: KnowledgeBase) -> None:
    """Real registrations made while demo data is there get fresh references."""
    async with db.session() as session:
        await demo.seed(session, kb, NOW, scale=0.1)
        reference = await trajectories.next_reference(session, 2024)
        assert (
            await session.scalar(select(func.count()).where(Trajectory.reference == reference))
            == 0
        )


# -- the command line ------------------------------------------------------------------------


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli-demo.db'}")
    return CliRunner()


def test_cli_seed_export_clear(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(main, ["demo", "seed", "--json", "--scale", "0.3"])
    assert result.exit_code == 0, result.output
    counts = json.loads(result.output)
    assert counts["users"] == 140 and counts["trajectories"] > 500
    assert counts["seconds"] < 10

    again = runner.invoke(main, ["demo", "seed"])
    assert again.exit_code == 1 and "already there" in again.output

    year = datetime.now(TIMEZONE).year
    listed = runner.invoke(main, ["regions", "list", "--year", str(year), "--json"])
    this_year = json.loads(listed.output)
    assert {r["division"] for r in this_year} == {
        "champions-league",
        "eredivisie",
        "keuken-kampioen-divisie",
    }
    assert {r["target"] for r in this_year} == {100, 25, None}

    out = tmp_path / "demo.xlsx"
    exported = runner.invoke(
        main, ["export", "trajectories", "--format", "xlsx", "--out", str(out), "--json"]
    )
    assert json.loads(exported.output)["rows"] == counts["trajectories"]
    sheet = load_workbook(io.BytesIO(out.read_bytes())).active
    assert sheet is not None and sheet["R2"].value == "ja" and sheet["Q2"].value == "DEMO-0001"

    cleared = runner.invoke(main, ["demo", "clear", "--json"])
    assert cleared.exit_code == 0
    assert json.loads(cleared.output) == {k: counts[k] for k in counts if k != "seconds"}


def test_updated_after_created(kb: KnowledgeBase) -> None:
    """A quick guard on the event clock: placement and end never come before registration."""
    import random

    rng = random.Random(3)
    for i in range(2000):
        start = NOW.date() - timedelta(days=i)
        made = demo._trajectory(rng, "AM18", 1, start, NOW)
        moments = [at for _, _, at in made.events]
        assert moments == sorted(moments) and moments[-1] <= NOW
        assert made.row["updated_at"] == moments[-1]
