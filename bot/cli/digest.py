"""The weekly digest: `digest preview|send`."""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

import click

from bot.cli.root import main
from bot.cli.runtime import (
    echo_json,
    fail,
    query,
)
from bot.domain import Role, values

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.services import Services


@main.group("digest")
def digest_group() -> None:
    """The weekly digest: preview one, or queue a week's digests for the running bot to send."""


def _week(text: str | None) -> tuple[Any, Any]:
    """The week asked for (default: this week) and now; exit 2 for a bad or future week."""
    from bot.services import amsterdam_now
    from bot.services.messaging.digest.week import Week

    now = amsterdam_now()
    if text is None:
        return Week.of(now), now
    try:
        week = Week.parse(text)
    except ValueError as exc:
        fail(str(exc), 2)
    if week > Week.of(now):
        fail(f"week {week.label} has not started yet (this week is {Week.of(now).label})", 2)
    return week, now


def _buttons_json(buttons: Any) -> list[list[dict[str, str]]]:
    return [[{"text": b.text, "callback_data": b.data} for b in row] for row in buttons]


@digest_group.command("preview")
@click.option("--user", "telegram_id", type=int, default=None, help="A user's Telegram id.")
@click.option(
    "--role",
    type=click.Choice(values(Role)),
    default=None,
    help="A sample for a role (with --region for coach and regio).",
)
@click.option("--region", default=None, help="AMxx, for --role coach or regio.")
@click.option("--week", "week_text", default=None, help="YYYY-Www, e.g. 2026-W48 (default: now).")
@click.option("--json", "as_json", is_flag=True)
def digest_preview(
    telegram_id: int | None,
    role: str | None,
    region: str | None,
    week_text: str | None,
    as_json: bool,
) -> None:
    """Print a digest as it is (or would be) sent: of one user, or a sample for a role."""
    from bot.services.messaging.digest import queue as svc
    from bot.services.progress import regions as regions_svc
    from bot.telegram_html import strip as strip_html

    if (telegram_id is None) == (role is None):
        fail("give either --user TELEGRAM_ID or --role ROLE (with --region AMxx)", 2)
    code = region.upper() if region else None
    if role in (Role.COACH, Role.REGIO) and code is None:
        fail(f"--role {role} needs --region AMxx", 2)
    week, now = _week(week_text)

    async def run(services: Services, session: AsyncSession) -> svc.Preview | str:
        await regions_svc.ensure_regions(session, services.kb)
        if code is not None and code not in services.region_codes():
            return f"unknown region {code!r} (AM01 … AM38, see regions list)"
        if telegram_id is not None:
            return await svc.preview_user(services, session, telegram_id, week, now)
        assert role is not None
        return await svc.preview_sample(services, session, role, code, week, now)

    result = query(run)
    if isinstance(result, str):
        fail(result, 2)
    d, who = result.digest, result.recipient
    if as_json:
        echo_json(
            {
                "week": week.label,
                "shown": result.note,
                "user": who.telegram_id,
                "role": who.role,
                "region": who.region,
                "html": d.text,
                "text": strip_html(d.text),
                "buttons": _buttons_json(d.buttons),
                "length": len(d.text),
            }
        )
        return
    click.echo(f"# week {week.label}; {result.note}")
    click.echo(strip_html(d.text))
    for row in d.buttons:
        click.echo("  " + "  ".join(f"[{b.text}]" for b in row))


@digest_group.command("send")
@click.option("--week", "week_text", required=True, help="YYYY-Www, e.g. 2026-W48.")
@click.option("--dry-run", is_flag=True, help="Write nothing: say who would get it.")
@click.option("--json", "as_json", is_flag=True)
def digest_send(week_text: str, dry_run: bool, as_json: bool) -> None:
    """Queue the week's digest for every eligible user, whatever their weekday; never twice.

    The running bot sends what is queued.
    """
    from bot.services.messaging.digest import queue as svc
    from bot.services.progress import regions as regions_svc

    week, now = _week(week_text)

    async def run(services: Services, session: AsyncSession) -> svc.SendReport:
        await regions_svc.ensure_regions(session, services.kb)
        return await svc.send_week(services, session, week, now, dry_run)

    report = query(run, write=True)
    if as_json:
        echo_json(
            {
                "week": week.label,
                "dry_run": dry_run,
                "queued": report.count("queued"),
                "already": report.count("already"),
                "skipped": report.count("skipped"),
                "users": [
                    {
                        "telegram_id": o.telegram_id,
                        "role": o.role,
                        "region": o.region,
                        "result": o.result,
                        "reason": o.reason,
                    }
                    for o in report.outcomes
                ],
            }
        )
        return
    queued = "would be queued" if dry_run else "queued"
    reasons = Counter(o.reason for o in report.outcomes if o.result == "skipped")
    skipped = ", ".join(f"{reason}: {n}" for reason, n in sorted(reasons.items(), key=str))
    click.echo(
        f"week {week.label}: {report.count('queued')} {queued}, "
        f"{report.count('already')} already had it, {report.count('skipped')} skipped"
        + (f" ({skipped})" if skipped else "")
    )
    for o in report.outcomes:
        if o.result == "queued":
            click.echo(f"  {o.telegram_id}  {o.role}  {o.region or '-'}")
    if dry_run:
        click.echo("dry run: nothing was written")
    elif report.count("queued"):
        click.echo("the running bot sends them (hoofdzaak run)")
