"""An announcement `sending` to many users, for the tests that run senders in other processes
(tests/support/sender_worker.py) and kill or race them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from bot.storage.db import Database
from bot.storage.models import Announcement, Delivery, User

WORKER = Path(__file__).with_name("sender_worker.py")
RECIPIENTS = 400
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)


async def prepare(db_url: str, recipients: int = RECIPIENTS) -> int:
    """Users and one announcement `sending` to all of them; returns its id."""
    db = Database(db_url)
    await db.upgrade()
    async with db.session() as session:
        users = [
            User(telegram_id=700_000 + i, first_seen=NOW, last_seen=NOW, role="coach")
            for i in range(recipients)
        ]
        session.add_all(users)
        ann = Announcement(text="Nieuws", status="sending", created_at=NOW, started_at=NOW)
        session.add(ann)
        await session.flush()
        session.add_all(
            Delivery(
                announcement_id=ann.id,
                user_id=u.id,
                chat_id=u.telegram_id,
                status="pending",
                updated_at=NOW,
            )
            for u in users
        )
        await session.commit()
        ann_id = ann.id
    await db.dispose()
    return ann_id


async def rows_of(db_url: str, ann_id: int) -> tuple[list[Delivery], str]:
    db = Database(db_url)
    async with db.session() as session:
        rows = (
            await session.execute(select(Delivery).where(Delivery.announcement_id == ann_id))
        ).scalars()
        ann = await session.get(Announcement, ann_id)
        result = list(rows), ann.status if ann else ""
    await db.dispose()
    return result


def lines(log: Path) -> list[int]:
    if not log.exists():
        return []
    return [int(line.split("\t")[0]) for line in log.read_text().splitlines() if line]
