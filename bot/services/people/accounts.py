"""Joining with an invite code and seeing your own role: the chat side of users.py."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import Callback, Flow, build, typed_arg
from bot.domain import Role, values
from bot.render import Renderer
from bot.services import Services
from bot.services.people.users import (
    Joined,
    UserInputError,
    create_invite,
    deactivate,
    effective_role,
    list_users,
    mark_blocked,
    mark_unblocked,
    record_seen,
    redeem_invite,
    set_user,
)
from bot.services.shared.replies import Button, Notice, Person, Reply, region_rows
from bot.storage.models import User
from bot.storage.users import UserRepo


def role_name(role: str) -> str:
    """A role as users read it: 'jobcoach', 'regio', 'programmateam' (texts.yaml, role_*)."""
    if role not in values(Role):
        return role
    return Renderer.shared().text(f"role_{role}")


def _role_or_none(role: str | None) -> str | None:
    return role_name(role) if role else None


async def blocked(services: Services, telegram_id: int, blocked: bool) -> bool:
    """Someone blocked the bot in their private chat (`blocked`), or unblocked it: inactive
    or active again (users.mark_blocked, mark_unblocked), committed. True when a registered
    user changed."""
    async with services.db.session() as session:
        if blocked:
            changed = await mark_blocked(session, telegram_id, services.clock())
        else:
            changed = await mark_unblocked(session, telegram_id)
        await session.commit()
    if changed:
        services.seen.forget(telegram_id)
    return changed


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
            role=_role_or_none(user.role),
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
    region = user.region if user and role in (Role.COACH, Role.REGIO) else None
    return Reply(
        services.renderer.render(
            "users/me.html.j2",
            role=_role_or_none(role),
            region=services.region_name(region),
            code=region,
            inactive=bool(user and not user.active and role is None),
        )
    )


# -- /uitnodigen: invites by chat (regio: coaches for its own region; programma: anyone) ------

INVITE_USES = 1
INVITE_DAYS = 14


@dataclass(frozen=True)
class Caller:
    """Who is asking, as far as permissions go (checked again on every command and button)."""

    telegram_id: int
    user_id: int | None  # users.id, None if the person never talked to the bot
    role: str | None  # coach | regio | programma | None (not registered)
    region: str | None  # the own region of a coach or regio user

    def can(self, *roles: str) -> bool:
        return self.role in roles


async def caller(
    services: Services, session: AsyncSession, person: Person, record: bool = False
) -> Caller:
    """The caller's effective role and region; `record` makes sure a users row exists."""
    if record:
        await record_seen(session, person, services.clock(), services.seen)
        await session.commit()
    user = await UserRepo(session).by_telegram_id(person.telegram_id)
    role = effective_role(user, person.telegram_id, services.settings.admins)
    region = user.region if user is not None and role in (Role.COACH, Role.REGIO) else None
    return Caller(person.telegram_id, user.id if user else None, role, region)


async def _role(
    services: Services, session: AsyncSession, person: Person
) -> tuple[str | None, str | None]:
    who = await caller(services, session, person)
    return who.role, who.region


def _allowed(inviter: str | None, role: str) -> bool:
    return inviter == Role.PROGRAMME or (inviter == Role.REGIO and role == Role.COACH)


# Role names as people type them after /uitnodigen.
TYPED_ROLES = {
    "coach": Role.COACH,
    "jobcoach": Role.COACH,
    "regio": Role.REGIO,
    "programma": Role.PROGRAMME,
    "programmateam": Role.PROGRAMME,
}


async def invite_menu(
    services: Services,
    session: AsyncSession,
    person: Person,
    typed: str = "",
    bot_username: str | None = None,
) -> Reply | Notice:
    """/uitnodigen: the role buttons; `/uitnodigen jobcoach Zuid-Limburg` (a role and a region
    by code or name, typos allowed) makes the invite at once."""
    r = services.renderer
    inviter, _ = await _role(services, session, person)
    if inviter not in (Role.REGIO, Role.PROGRAMME):
        return Reply(r.text("invite_not_allowed"))
    words = typed.lower().split()
    role = next((TYPED_ROLES[w] for w in words if w in TYPED_ROLES), None)
    if role is not None:
        rest = " ".join(w for w in words if w not in TYPED_ROLES)
        region = services.data_questions.region_in(rest) if rest else None
        if rest and region not in services.region_codes():
            return Reply(r.text("invite_region_unknown", typed=rest))
        return await invite_press(services, session, person, role, region, bot_username or "")
    roles = [Role.COACH] if inviter == Role.REGIO else [Role.COACH, Role.REGIO, Role.PROGRAMME]
    buttons = [
        Button(role_name(role).capitalize(), build(Flow.INVITE, "new", role)) for role in roles
    ]
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
    if role not in values(Role) or not _allowed(inviter, role):
        return Notice(r.text("invite_not_allowed"), alert=True)
    if inviter == Role.REGIO:
        region = own_region  # a region invites for itself only, whatever the button says
    if role in (Role.COACH, Role.REGIO) and region is None:
        if inviter == Role.REGIO:
            return Notice(r.text("invite_no_region"), alert=True)
        rows = region_rows(
            services.kb.regions.regions, lambda code: build(Flow.INVITE, "new", role, code)
        )
        return Reply(r.render("users/invite_region.html.j2", role=role_name(role)), rows)
    if role == Role.PROGRAMME:
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
            role=role_name(role),
            region=services.region_name(region),
            code=invite.code,
            link=link,
            days=INVITE_DAYS,
        )
    )


# -- /gebruikers: the programme team manages users ----------------------------------------------

USERS_PAGE = 10  # users per page of /gebruikers
QUERY_MAX = 40  # bytes of a search kept in the buttons' data (64 in all)


async def users_menu(
    services: Services, session: AsyncSession, person: Person, query: str = "", page: int = 0
) -> Reply:
    """/gebruikers [zoekwoorden]: the registered users, USERS_PAGE at a time, optionally only
    those whose name, username, role, region (code or name) or Telegram id has every word."""
    r = services.renderer
    inviter, _ = await _role(services, session, person)
    if inviter != Role.PROGRAMME:
        return Reply(r.text("not_admin"))
    query = typed_arg(query, QUERY_MAX)  # it rides along in the buttons' data
    everyone = [u for u in await list_users(session) if u.role or not u.active]
    people = [u for u in everyone if _matches(services, u, query)]
    pages = max(1, -(-len(people) // USERS_PAGE))
    page = min(max(page, 0), pages - 1)
    shown = people[page * USERS_PAGE : (page + 1) * USERS_PAGE]
    rows: list[tuple[Button, ...]] = [
        (Button(_label(services, u), build(Flow.USERS, "d", u.telegram_id)),) for u in shown
    ]
    paging = []
    if page > 0:
        paging.append(Button(r.text("list_previous"), _list_data(page - 1, query)))
    if page + 1 < pages:
        paging.append(Button(r.text("list_next"), _list_data(page + 1, query)))
    if paging:
        rows.append(tuple(paging))
    if query:
        rows.append((Button(r.text("users_all"), _list_data(0, "")),))
    text = r.render(
        "users/users.html.j2",
        total=len(everyone),
        count=len(people),
        query=query,
        page=page + 1,
        pages=pages,
    )
    return Reply(text, tuple(rows))


def _list_data(page: int, query: str) -> str:
    return build(Flow.USERS, "list", page, query) if query else build(Flow.USERS, "list", page)


def _matches(services: Services, user: User, query: str) -> bool:
    if not query:
        return True
    role = effective_role(user, user.telegram_id, services.settings.admins)
    haystack = " ".join(
        filter(
            None,
            [
                user.first_name,
                user.last_name,
                user.username,
                role,
                role_name(role) if role else None,
                user.region,
                services.region_name(user.region),
                str(user.telegram_id),
                None if user.active else services.renderer.text("users_inactive_word"),
            ],
        )
    ).lower()
    return all(word in haystack for word in query.lower().split())


def _label(services: Services, user: User) -> str:
    name = " ".join(filter(None, [user.first_name, user.last_name])) or str(user.telegram_id)
    role = effective_role(user, user.telegram_id, services.settings.admins)
    shown = role_name(role) if role else services.renderer.text("role_none")
    return f"{name} · {shown}{' · ' + user.region if user.region else ''}"[:60]


async def user_press(
    services: Services, session: AsyncSession, person: Person, pressed: Callback
) -> Reply | Notice:
    """usr:d:<id> (details) · usr:role:<id>:<role> · usr:region:<id>:<code>:<role> ·
    usr:pick:<id> · usr:off:<id> · usr:list"""
    r = services.renderer
    inviter, _ = await _role(services, session, person)
    if inviter != Role.PROGRAMME:
        return Notice(r.text("not_admin"), alert=True)
    if pressed.action == "list":
        page = pressed.number(0) or 0
        query = pressed.arg(1) if len(pressed.args) > 1 else ""
        return await users_menu(services, session, person, query, page)
    telegram_id = pressed.number(0)
    if telegram_id is None:
        return Notice(r.text("stale_button"))
    user = await UserRepo(session).by_telegram_id(telegram_id)
    if user is None:
        return Notice(r.text("stale_button"))
    try:
        if pressed.action == "role":
            role = pressed.arg(1)
            region = user.region if role != Role.PROGRAMME else None
            if role in (Role.COACH, Role.REGIO) and region is None:
                return _region_choice(services, telegram_id, role)
            await set_user(session, services.region_codes(), telegram_id, role, region)
        elif pressed.action == "region":
            await set_user(
                session, services.region_codes(), telegram_id, pressed.arg(2), pressed.arg(1)
            )
        elif pressed.action == "off":
            await deactivate(session, telegram_id)
        elif pressed.action == "pick":
            role = user.role if user.role in (Role.COACH, Role.REGIO) else Role.COACH
            services.pending.expect(
                person.telegram_id, USER_REGION, f"{telegram_id} {role}", services.clock()
            )
            return _region_choice(services, telegram_id, role)
    except UserInputError:
        return Notice(r.text("stale_button"))
    services.seen.forget(telegram_id)
    await session.refresh(user)
    return _user_detail(services, user)


def _region_choice(services: Services, telegram_id: int, role: str) -> Reply:
    rows = region_rows(
        services.kb.regions.regions,
        lambda code: build(Flow.USERS, "region", telegram_id, code, role),
    )
    return Reply(services.renderer.render("users/user_region.html.j2", role=role_name(role)), rows)


USER_REGION = "user_region"  # a typed region after "Regio wijzigen" (services.pending)


async def typed_user_region(
    services: Services, session: AsyncSession, person: Person, pending: str, typed: str
) -> Reply:
    """The region typed after "Regio wijzigen" in /gebruikers (a name or code, typos
    allowed): the same change as its button, with the same checks."""
    telegram_id, role = pending.split(" ", 1)
    code = services.data_questions.region_in(typed)
    if code not in services.region_codes():
        services.pending.expect(person.telegram_id, USER_REGION, pending, services.clock())
        return Reply(services.renderer.text("user_region_unknown", typed=typed[:60]))
    pressed = Callback(Flow.USERS, "region", (telegram_id, str(code), role))
    reply = await user_press(services, session, person, pressed)
    return reply if isinstance(reply, Reply) else Reply(reply.text)


def _user_detail(services: Services, user: User) -> Reply:
    role = effective_role(user, user.telegram_id, services.settings.admins)
    text = services.renderer.render(
        "users/user.html.j2",
        label=_label(services, user),
        role=_role_or_none(role),
        region=services.region_name(user.region),
        active=user.active,
        admin=user.telegram_id in services.settings.admins,
    )
    tid = user.telegram_id
    r = services.renderer
    rows = [
        tuple(Button(role_name(x).capitalize(), build(Flow.USERS, "role", tid, x)) for x in Role),
        (Button(r.text("user_change_region"), build(Flow.USERS, "pick", tid)),),
        (Button(r.text("user_deactivate"), build(Flow.USERS, "off", tid)),),
        (Button(r.text("user_back"), build(Flow.USERS, "list")),),
    ]
    return Reply(text, tuple(rows))
