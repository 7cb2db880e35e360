"""Announcements: `announce`, `announce status|resend-uncertain|cancel`."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli.root import main
from bot.cli.runtime import (
    echo_json,
    fail,
    query,
)
from bot.domain import DeliveryStatus

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.services import Services


IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
PICKED_UP = "the running bot (hoofdzaak run or hoofdzaak chat) picks it up within seconds"


def _audience(specs: tuple[str, ...]) -> dict[str, list[str]]:
    """`all`, `region=AM18+AM19`, `division=eredivisie`, `role=coach`, comma-separated;
    --audience may be repeated (the same key adds values)."""
    keys = {"region": "regions", "division": "divisions", "role": "roles"}
    out: dict[str, list[str]] = {"regions": [], "divisions": [], "roles": []}
    for spec in specs:
        for item in filter(None, (p.strip() for p in spec.split(","))):
            if item.lower() in ("all", "iedereen"):
                continue
            key, sep, value = item.partition("=")
            key = key.strip().lower().removesuffix("s")
            if not sep or key not in keys or not value.strip():
                fail(
                    f"--audience: {item!r}: use all, region=AM18[+AM19], division=NAME "
                    "or role=coach|regio|programma",
                    2,
                )
            values = [v.strip() for v in value.split("+") if v.strip()]
            out[keys[key]] += [v.upper() for v in values] if key == "region" else values
    return out


def _when(at: str | None) -> datetime | None:
    if at is None:
        return None
    from bot.config import TIMEZONE

    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        fail(f"--at: {at!r} is not an ISO date-time such as 2026-12-05T09:00", 2)
    return when if when.tzinfo is not None else when.replace(tzinfo=TIMEZONE)


@main.group(invoke_without_command=True)
@click.option(
    "--text-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The message: Telegram HTML (b, i, u, s, a href, code, pre, blockquote, tg-spoiler).",
)
@click.option(
    "--audience",
    "audience_specs",
    multiple=True,
    help="all | region=AM18[+AM19] | division=eredivisie | role=coach, comma-separated.",
)
@click.option(
    "--at", default=None, help="Send later: ISO date-time (Europe/Amsterdam if no offset)."
)
@click.option(
    "--file",
    "media",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A photo (jpg, png, webp) or document sent with the text as its caption.",
)
@click.option("--dry-run", is_flag=True, help="Only count the recipients; write nothing.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def announce(
    ctx: click.Context,
    text_file: Path | None,
    audience_specs: tuple[str, ...],
    at: str | None,
    media: Path | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Send an announcement: write it and its deliveries; the running bot sends them.

    \b
    hoofdzaak announce --text-file F --audience region=AM18,role=coach [--at ISO]
                       [--file PATH] [--dry-run] [--json]
    hoofdzaak announce status ID [--json]
    hoofdzaak announce resend-uncertain ID
    hoofdzaak announce cancel ID
    """
    if ctx.invoked_subcommand is not None:
        if text_file or audience_specs or at or media or dry_run or as_json:
            fail("put the options after the sub-command (e.g. announce status 3 --json)", 2)
        return
    if text_file is None or not audience_specs:
        fail("--text-file and --audience are required (e.g. --audience all)", 2)
    from bot.services.messaging import announcements as svc
    from bot.services.shared.inputs import InputError

    text = text_file.read_text(encoding="utf-8").strip()
    media_kind = None
    if media is not None:
        media_kind = "photo" if media.suffix.lower() in IMAGE_SUFFIXES else "document"
    try:
        svc.check_message(text, media_kind is not None)
    except InputError as exc:
        fail(f"{text_file}: {exc}", 2)
    audience = svc.Audience.of(dict(_audience(audience_specs)))
    when = _when(at)
    draft = svc.Draft(
        text, audience, media_kind, None, str(media.resolve()) if media is not None else None
    )

    async def run(services: Services, session: AsyncSession) -> dict[str, Any]:
        from bot.services.progress import regions as regions_svc

        await regions_svc.ensure_regions(session, services.kb)
        svc.validate(services, audience)
        if when is not None:
            svc.check_when(when, services.clock())
        found = await svc.recipients(services, session, audience)
        result: dict[str, Any] = {
            "audience": audience.as_dict(),
            "audience_label": svc.label(services, audience),
            "recipients": len(found),
        }
        if dry_run:
            return result | {"dry_run": True, "breakdown": svc.breakdown(found)}
        created = await svc.create(
            services, session, draft, created_by=None, progress_chat_id=None, scheduled_at=when
        )
        return result | {
            "id": created.id,
            "status": created.status,
            "scheduled_at": when.isoformat() if when else None,
        }

    try:
        out = query(run, write=True)
    except (svc.AnnounceError, InputError) as exc:
        fail(str(exc), 2)
    if as_json:
        echo_json(out)
        return
    click.echo(f"audience: {out['audience_label']}: {out['recipients']} recipients")
    if dry_run:
        for key in ("regions", "roles"):
            parts = ", ".join(f"{k} {n}" for k, n in out["breakdown"][key].items())
            click.echo(f"  {key}: {parts}")
        click.echo("dry run: nothing written")
    elif when is not None:
        click.echo(f"announcement {out['id']}: scheduled for {when.isoformat()}; {PICKED_UP}")
    else:
        click.echo(f"announcement {out['id']}: sending; {PICKED_UP}")


@announce.command("status")
@click.argument("announcement_id", type=int)
@click.option("--json", "as_json", is_flag=True)
def announce_status(announcement_id: int, as_json: bool) -> None:
    """Status and delivery counts of an announcement (or a week's digest)."""
    from bot.services.messaging import announcements as svc

    async def run(services: Services, session: AsyncSession) -> dict[str, Any]:
        return (await svc.status(services, session, announcement_id)).as_json()

    try:
        out = query(run)
    except svc.AnnounceError as exc:
        fail(str(exc))
    if as_json:
        echo_json(out)
        return
    counts = out["counts"]
    click.echo(
        f"announcement {out['id']} ({out['kind']}): {out['status']}, {out['audience_label']}"
    )
    click.echo(
        "  "
        + ", ".join(f"{k} {v}" for k, v in counts.items() if k != "total")
        + f" (total {counts['total']})"
    )
    if counts[DeliveryStatus.UNCERTAIN]:
        click.echo(
            f"  {counts['uncertain']} uncertain: hoofdzaak announce resend-uncertain {out['id']}"
        )


@announce.command("resend-uncertain")
@click.argument("announcement_id", type=int)
def announce_resend_uncertain(announcement_id: int) -> None:
    """Send again to exactly the recipients whose delivery is uncertain."""
    from bot.services.messaging import announcements as svc

    async def run(services: Services, session: AsyncSession) -> int:
        await svc.status(services, session, announcement_id)  # exists?
        return await svc.resend(services, announcement_id)

    try:
        n = query(run, write=True)
    except svc.AnnounceError as exc:
        fail(str(exc))
    if n == 0:
        click.echo(f"announcement {announcement_id} has no uncertain deliveries")
        return
    click.echo(
        f"{n} uncertain deliveries of announcement {announcement_id} queued again; {PICKED_UP}"
    )


@announce.command("cancel")
@click.argument("announcement_id", type=int)
def announce_cancel(announcement_id: int) -> None:
    """Cancel a scheduled announcement (or stop one that is sending)."""
    from bot.services.messaging import announcements as svc

    async def run(services: Services, session: AsyncSession) -> str:
        return await svc.cancel(services, session, announcement_id)

    try:
        before = query(run, write=True)
    except svc.AnnounceError as exc:
        fail(str(exc))
    click.echo(f"announcement {announcement_id} cancelled (was {before})")
