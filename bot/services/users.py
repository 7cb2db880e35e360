"""People who talk to the bot."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.replies import Person
from bot.storage.repos import UserRepo

SEEN_REFRESH = timedelta(minutes=5)
CACHE_MAX = 10_000


@dataclass
class SeenCache:
    """Telegram id → (user row id, names, when last written): spares a write per message."""

    rows: dict[int, tuple[int, tuple[str | None, ...], datetime]] = field(default_factory=dict)

    def fresh(self, person: Person, now: datetime) -> int | None:
        cached = self.rows.get(person.telegram_id)
        names = (person.first_name, person.last_name, person.username)
        if cached and cached[1] == names and now - cached[2] < SEEN_REFRESH:
            return cached[0]
        return None

    def remember(self, person: Person, user_id: int, now: datetime) -> None:
        if len(self.rows) >= CACHE_MAX:
            self.rows.clear()
        self.rows[person.telegram_id] = (
            user_id,
            (person.first_name, person.last_name, person.username),
            now,
        )

    def forget(self, telegram_id: int) -> None:
        self.rows.pop(telegram_id, None)


async def record_seen(
    session: AsyncSession, person: Person, now: datetime, cache: SeenCache | None = None
) -> int:
    """The user's row id; creates the user or refreshes names and last-seen time (at most
    every few minutes). The caller's service commits."""
    if cache is not None:
        user_id = cache.fresh(person, now)
        if user_id is not None:
            return user_id
    user = await UserRepo(session).seen(
        person.telegram_id, person.first_name, person.last_name, person.username, now
    )
    if cache is not None:
        cache.remember(person, user.id, now)
    return user.id
