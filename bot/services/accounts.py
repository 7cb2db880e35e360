"""Joining with an invite code and seeing your own role: the chat side of users.py."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import Services
from bot.services.replies import Person, Reply
from bot.services.users import Joined, effective_role, record_seen, redeem_invite
from bot.storage.repos import UserRepo

ROLE_NAMES = {"coach": "jobcoach", "regio": "regio", "programma": "programmateam"}


async def join(services: Services, session: AsyncSession, person: Person, code: str) -> Reply:
    """/start <code>: join with the invite's role and region, or a clear Dutch reason why not."""
    status, user = await redeem_invite(
        session, person, code, services.clock(), services.invite_attempts
    )
    services.seen.forget(person.telegram_id)
    r = services.renderer
    if status is not Joined.OK or user is None:
        return Reply(r.render("users/join_failed.html.j2", status=status.value))
    return Reply(
        r.render(
            "users/joined.html.j2",
            role=ROLE_NAMES.get(user.role or "", user.role),
            region=services.region_name(user.region),
            code=user.region,
        )
    )


async def me(services: Services, session: AsyncSession, person: Person) -> Reply:
    """/ik: your role and region."""
    await record_seen(session, person, services.clock(), services.seen)
    await session.commit()
    user = await UserRepo(session).by_telegram_id(person.telegram_id)
    role = effective_role(user, person.telegram_id, services.settings.admins)
    region = user.region if user and role in ("coach", "regio") else None
    return Reply(
        services.renderer.render(
            "users/me.html.j2",
            role=ROLE_NAMES.get(role or "", role),
            region=services.region_name(region),
            code=region,
            inactive=bool(user and not user.active and role is None),
        )
    )
