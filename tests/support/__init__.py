"""What the tests share, besides the fixtures in tests/conftest.py: the programme team's test
user, making someone a registered user, pressing shown buttons and filling forms
(tests/support/chat.py), a throw-away PostgreSQL (pg.py), free ports (net.py) and a sender in
another process (senders.py, sender_worker.py). Test modules import from here, never from each
other."""

from __future__ import annotations

from bot.offline import OfflineBot

ADMIN_ID = 9001  # in HOOFDZAAK_ADMINS of the `settings` fixture: the programme team


async def give_role(bot: OfflineBot, telegram_id: int, role: str, region: str | None) -> None:
    """Make `telegram_id` a registered user with this role (what an invite does)."""
    from bot.services.people import users
    from bot.services.progress import regions
    from bot.services.shared.replies import Person

    services = bot.services
    async with services.db.session() as session:
        await regions.ensure_regions(session, services.kb)
        await users.record_seen(
            session, Person(telegram_id, f"Gebruiker {telegram_id}"), services.clock()
        )
        await session.commit()
        await users.set_user(session, services.region_codes(), telegram_id, role, region)
    services.seen.forget(telegram_id)
