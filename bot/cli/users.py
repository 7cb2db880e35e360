"""Users and invites: `users invite|revoke|list|set|deactivate|forget`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from bot.cli.root import main
from bot.cli.runtime import (
    echo_json,
    fail,
    load_settings,
    query,
)
from bot.domain import Role, values

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.services import Services


@main.group()
def users() -> None:
    """Users, roles and invites."""


@users.command("invite")
@click.option("--role", required=True, type=click.Choice(values(Role)))
@click.option("--region", default=None, help="AMxx; required for coach and regio.")
@click.option("--uses", default=1, show_default=True, type=int)
@click.option("--days", default=14, show_default=True, type=int)
@click.option("--json", "as_json", is_flag=True)
def users_invite(role: str, region: str | None, uses: int, days: int, as_json: bool) -> None:
    """Make an invite code and its deep link (https://t.me/<bot>?start=<code>)."""
    from bot.services.people import users as svc
    from bot.services.progress import regions as regions_svc

    async def run(services: Services, session: AsyncSession) -> tuple[str, str]:
        await regions_svc.ensure_regions(session, services.kb)
        invite = await svc.create_invite(
            session, services.region_codes(), role, region, uses, days, services.clock()
        )
        return invite.code, invite.expires_at.isoformat()

    try:
        code, expires = query(run, write=True)
    except svc.UserInputError as exc:
        fail(str(exc), 2)
    username = load_settings().bot_username
    link = f"https://t.me/{username}?start={code}" if username else None
    if as_json:
        echo_json(
            {
                "code": code,
                "link": link,
                "role": role,
                "region": region.upper() if region else None,
                "uses": uses,
                "expires_at": expires,
            }
        )
        return
    click.echo(f"code: {code}")
    click.echo(
        f"link: {link}"
        if link
        else "link: set TELEGRAM_BOT_USERNAME to print https://t.me/<bot>?start=<code>"
    )
    click.echo(f"valid until {expires}, {uses} use(s)")


@users.command("revoke")
@click.argument("code")
def users_revoke(code: str) -> None:
    """Revoke an invite code."""
    from bot.services.people import users as svc

    if not query(lambda _services, session: svc.revoke_invite(session, code), write=True):
        fail(f"no invite with code {code!r}")
    click.echo("revoked")


@users.command("list")
@click.option("--json", "as_json", is_flag=True)
def users_list(as_json: bool) -> None:
    """Everyone who has talked to the bot, with role, region and status."""
    from bot.services.people import users as svc

    async def run(services: Services, session: AsyncSession) -> list[dict[str, object]]:
        admins = services.settings.admins
        return [
            {
                "telegram_id": u.telegram_id,
                "name": " ".join(filter(None, [u.first_name, u.last_name])),
                "role": svc.effective_role(u, u.telegram_id, admins),
                "region": u.region,
                "active": u.active,
                "last_seen": u.last_seen.isoformat(),
            }
            for u in await svc.list_users(session)
        ]

    rows = query(run)
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        status = "" if r["active"] else " (non-actief)"
        click.echo(
            f"{r['telegram_id']:>12}  {r['role'] or '-':<10} {r['region'] or '-':<5} "
            f"{r['name']}{status}"
        )


@users.command("set")
@click.argument("telegram_id", type=int)
@click.option("--role", type=click.Choice(values(Role)), default=None)
@click.option("--region", default=None)
def users_set(telegram_id: int, role: str | None, region: str | None) -> None:
    """Change someone's role and/or region (they are active again)."""
    from bot.services.people import users as svc

    async def run(services: Services, session: AsyncSession) -> None:
        await svc.set_user(session, services.region_codes(), telegram_id, role, region)
        services.seen.forget(telegram_id)

    try:
        query(run, write=True)
    except svc.UserInputError as exc:
        fail(str(exc), 2)
    click.echo("saved")


@users.command("deactivate")
@click.argument("telegram_id", type=int)
def users_deactivate(telegram_id: int) -> None:
    """Take someone's role away (they can still ask questions)."""
    from bot.services.people import users as svc

    async def run(_services: Services, session: AsyncSession) -> None:
        await svc.deactivate(session, telegram_id)

    try:
        query(run, write=True)
    except svc.UserInputError as exc:
        fail(str(exc), 2)
    click.echo("deactivated")


@users.command("forget")
@click.argument("telegram_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def users_forget(telegram_id: int, as_json: bool) -> None:
    """Remove a person's personal data (AVG); the figures they are part of stay."""
    from bot.services.people import privacy

    async def run(services: Services, session: AsyncSession) -> privacy.ForgetReport:
        report = await privacy.forget_user(session, telegram_id)
        services.seen.forget(telegram_id)
        return report

    try:
        report = query(run, write=True)
    except privacy.UnknownUser:
        fail(f"no user with Telegram id {telegram_id}", 2)
    if as_json:
        echo_json({"telegram_id": telegram_id, **report.as_dict()})
        return
    click.echo(
        f"forgotten: names and Telegram id removed; {report.questions} question text(s) "
        f"anonymised, {report.pseudonyms} pseudonym(s) removed, {report.messages} message "
        f"text(s) cleared, {report.forms} unfinished form(s) dropped"
    )
