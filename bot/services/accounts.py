"""Joining with an invite code and seeing your own role: the chat side of users.py."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import Services
from bot.services.replies import Button, Notice, Person, Reply
from bot.services.users import (
    Joined,
    UserInputError,
    create_invite,
    effective_role,
    record_seen,
    redeem_invite,
)
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


# -- /uitnodigen: invites by chat (regio: coaches for its own region; programma: anyone) ------

INVITE_USES = 1
INVITE_DAYS = 14


async def _role(
    services: Services, session: AsyncSession, person: Person
) -> tuple[str | None, str | None]:
    user = await UserRepo(session).by_telegram_id(person.telegram_id)
    role = effective_role(user, person.telegram_id, services.settings.admins)
    return role, (user.region if user else None)


def _allowed(inviter: str | None, role: str) -> bool:
    return inviter == "programma" or (inviter == "regio" and role == "coach")


async def invite_menu(services: Services, session: AsyncSession, person: Person) -> Reply:
    r = services.renderer
    inviter, _ = await _role(services, session, person)
    if inviter not in ("regio", "programma"):
        return Reply(r.text("invite_not_allowed"))
    roles = ["coach"] if inviter == "regio" else ["coach", "regio", "programma"]
    buttons = [Button(ROLE_NAMES[role].capitalize(), f"inv:{role}") for role in roles]
    return Reply.column(r.render("users/invite_menu.html.j2"), buttons)


async def invite_press(
    services: Services,
    session: AsyncSession,
    person: Person,
    role: str,
    region: str | None,
    bot_username: str,
) -> Reply | Notice:
    """A button of /uitnodigen: pick a region if needed, then make the invite."""
    r = services.renderer
    inviter, own_region = await _role(services, session, person)
    if role not in ROLE_NAMES or not _allowed(inviter, role):
        return Notice(r.text("invite_not_allowed"), alert=True)
    if inviter == "regio":
        region = own_region  # a region invites for itself only, whatever the button says
    if role in ("coach", "regio") and region is None:
        if inviter == "regio":
            return Notice(r.text("invite_no_region"), alert=True)
        rows = [
            tuple(
                Button(f"{reg.code} {reg.name}"[:40], f"inv:{role}:{reg.code}")
                for reg in services.kb.regions.regions[i : i + 2]
            )
            for i in range(0, len(services.kb.regions.regions), 2)
        ]
        return Reply(r.render("users/invite_region.html.j2", role=ROLE_NAMES[role]), tuple(rows))
    if role == "programma":
        region = None
    try:
        invite = await create_invite(
            session,
            services.region_codes(),
            role,
            region,
            INVITE_USES,
            INVITE_DAYS,
            services.clock(),
        )
    except UserInputError:
        return Notice(r.text("stale_button"))
    link = f"https://t.me/{bot_username}?start={invite.code}"
    return Reply(
        r.render(
            "users/invite_made.html.j2",
            role=ROLE_NAMES[role],
            region=services.region_name(region),
            code=invite.code,
            link=link,
            days=INVITE_DAYS,
        )
    )
