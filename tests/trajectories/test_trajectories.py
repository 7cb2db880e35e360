"""Registering trajectories (service level): validation, references, duplicates, audit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from bot.config import TIMEZONE
from bot.services.shared.inputs import InputError
from bot.services.trajectories import records as svc
from bot.storage.db import Database
from bot.storage.models import Region, Trajectory, TrajectoryEvent
from bot.storage.users import UserRepo

pytestmark = pytest.mark.both_databases

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TIMEZONE)
REGIONS = {"AM18", "AM01"}
NEW = svc.NewTrajectory(
    region="AM18",
    pseudonym="KL-07",
    start_date=date(2026, 11, 2),
    method="ips",
    target_group="epa",
    initiator="gemeente",
    provider="ggz",
    benefit="participatiewet",
    treatment="specialistisch",
)


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[Database]:
    database = Database(db_url)
    await database.upgrade()
    async with database.session() as session:
        session.add_all(
            [
                Region(code="AM18", name="Groot Amsterdam", centrumgemeente="Amsterdam"),
                Region(code="AM01", name="Groningen", centrumgemeente="Groningen"),
            ]
        )
        await UserRepo(session).seen(501, "Coach", None, None, NOW)
        await session.commit()
    yield database
    await database.dispose()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"pseudonym": "111222333"}, "BSN"),
        ({"start_date": date(2016, 5, 1)}, "2017"),
        ({"start_date": date(2027, 2, 1)}, "maand"),
        ({"region": "AM04"}, "regio"),
        ({"method": "magie"}, "knoppen"),
    ],
)
def test_validation(change: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        svc.validate(replace(NEW, **change), REGIONS, NOW.date())  # type: ignore[arg-type]


async def test_register_numbers_per_year_and_logs(db: Database) -> None:
    async with db.session() as session:
        first = await svc.register(session, svc.validate(NEW, REGIONS, NOW.date()), 1, NOW)
        second = await svc.register(session, replace(NEW, pseudonym="KL-08"), 1, NOW)
        older = await svc.register(
            session, replace(NEW, pseudonym="KL-09", start_date=date(2025, 6, 1)), 1, NOW
        )
    assert (first.reference, second.reference, older.reference) == (
        "HW-2026-00001",
        "HW-2026-00002",
        "HW-2025-00001",
    )
    async with db.session() as session:
        events = (await session.execute(select(TrajectoryEvent))).scalars().all()
        assert [(e.field, e.new) for e in events] == [("status", "lopend")] * 3
        dup = await svc.find_duplicate(session, 1, "kl-07", date(2026, 11, 2))
        assert dup is not None and dup.reference == "HW-2026-00001"
        assert await svc.find_duplicate(session, 1, "KL-07", date(2026, 11, 3)) is None


async def test_concurrent_edits_do_not_overwrite(db: Database) -> None:
    async with db.session() as session:
        created = await svc.register(session, NEW, 1, NOW)
    async with db.session() as one, db.session() as two:
        a = await one.get(Trajectory, created.id)
        b = await two.get(Trajectory, created.id)
        assert a is not None and b is not None
        a.hours_per_week = 24
        await one.commit()
        b.hours_per_week = 32
        with pytest.raises(StaleDataError):
            await two.commit()
    async with db.session() as session:
        stored = await session.get(Trajectory, created.id)
        assert stored is not None and stored.hours_per_week == 24 and stored.version == 2


def test_every_stored_value_has_a_dutch_label() -> None:
    """A value without a label would show up as a bare code in the bot and the export."""
    from bot.services.trajectories import records as t
    from bot.services.trajectories.fields import fields

    f = fields()
    for name, codes in {
        "method": t.METHODS,
        "target_group": t.TARGET_GROUPS,
        "initiator": t.INITIATORS,
        "provider": t.PROVIDERS,
        "benefit": t.BENEFITS,
        "treatment": t.TREATMENTS,
        "contract": t.CONTRACTS,
        "end_reason": t.END_REASONS,
        "status": t.STATUSES,
    }.items():
        assert tuple(f[name].values) == codes, name
