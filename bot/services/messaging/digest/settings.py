"""/instellingen: the digest on or off and its weekday; callback data `set:d:on|off`,
`set:w:<0-6>`, checked again on every press."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import Flow, build, parse
from bot.services import Services
from bot.services.messaging.digest.week import Week
from bot.services.people.accounts import caller
from bot.services.shared.dates import WEEKDAYS, WEEKDAYS_SHORT
from bot.services.shared.inputs import as_number
from bot.services.shared.replies import Button, Notice, Person, Reply
from bot.storage.digest import DigestRepo
from bot.storage.models import User
from bot.storage.users import UserRepo


def _settings_reply(services: Services, user: User, note: str | None = None) -> Reply:
    t = services.renderer.text
    toggle = (
        Button(t("settings_digest_off"), build(Flow.SETTINGS, "d", "off"))
        if user.digest
        else Button(t("settings_digest_on"), build(Flow.SETTINGS, "d", "on"))
    )
    days = [
        Button(
            ("✓ " if user.digest and i == user.digest_weekday else "") + name,
            build(Flow.SETTINGS, "w", i),
        )
        for i, name in enumerate(WEEKDAYS_SHORT)
    ]
    buttons: tuple[tuple[Button, ...], ...] = ((toggle,),)
    if user.digest:
        buttons += (tuple(days[:4]), tuple(days[4:]))
    text = services.renderer.render(
        "digest/settings.html.j2",
        on=user.digest,
        weekday=WEEKDAYS[user.digest_weekday] if 0 <= user.digest_weekday <= 6 else WEEKDAYS[0],
        note=note,
    )
    return Reply(text, buttons)


async def _staff_user(services: Services, session: AsyncSession, person: Person) -> User | None:
    who = await caller(services, session, person, record=True)
    if who.role is None or who.user_id is None:
        return None
    return await UserRepo(session).get(who.user_id)


async def settings_command(services: Services, session: AsyncSession, person: Person) -> Reply:
    """/instellingen: the digest on or off, and its weekday."""
    user = await _staff_user(services, session, person)
    if user is None:
        return Reply(services.renderer.render("digest/no_access.html.j2"))
    return _settings_reply(services, user)


async def settings_press(
    services: Services, session: AsyncSession, person: Person, data: str
) -> Reply | Notice:
    """A `set:` button; the caller is checked again (callback data can be forged)."""
    t = services.renderer.text
    user = await _staff_user(services, session, person)
    if user is None:
        return Notice(t("settings_no_access"), alert=True)
    pressed = parse(data)
    if pressed is None or pressed.flow is not Flow.SETTINGS:
        return Notice(t("stale_button"))
    kind, value = pressed.action, pressed.arg(0)
    now = services.clock()
    week = Week.of(now)
    if kind == "d" and value in ("on", "off"):
        user.digest = value == "on"
        note = t("settings_saved_on" if user.digest else "settings_saved_off")
    elif kind == "w" and (day := as_number(value)) is not None and 0 <= day <= 6:
        if not user.digest:
            return Notice(t("stale_button"))
        user.digest_weekday = day
        note = t("settings_saved_day", day=WEEKDAYS[user.digest_weekday])
        if await _had_this_week(session, week, user.id):
            note += " " + t("settings_next_week")
    else:
        return Notice(t("stale_button"))
    await session.commit()
    reply = _settings_reply(services, user, note)
    return Reply(reply.text, reply.buttons, toast=t("form_saved_toast"))


async def _had_this_week(session: AsyncSession, week: Week, user_id: int) -> bool:
    repo = DigestRepo(session)
    announcement = await repo.week_announcement(week.key)
    return announcement is not None and user_id in await repo.had_digest(announcement.id)
