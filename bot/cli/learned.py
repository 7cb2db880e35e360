"""`hoofdzaak kb learned list|export|remove`: the phrasings learned in /onbeantwoord, on their
way into the knowledge base's YAML (docs/learning.md)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from bot.cli.kb import kb
from bot.cli.runtime import echo_json, fail, query
from bot.domain import LearnedStatus, values

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.services import Services


@kb.group()
def learned() -> None:
    """Questions linked to an entry in the chat (/onbeantwoord): list, export to YAML, remove."""


def _row(services: Services, r: Any) -> dict[str, Any]:
    entry = services.kb.by_id.get(r.entry_id)
    return {
        "id": r.id,
        "status": r.status,
        "entry": r.entry_id,
        "title": entry.title if entry else None,
        "question": r.text,
        "created_at": r.created_at.isoformat(),
        "confirmed_at": r.confirmed_at.isoformat() if r.confirmed_at else None,
    }


@learned.command("list")
@click.option(
    "--status",
    type=click.Choice([*values(LearnedStatus), "all"]),
    default="all",
    show_default=True,
)
@click.option("--json", "as_json", is_flag=True)
def learned_list(status: str, as_json: bool) -> None:
    """Learned phrasings: proposals (not used yet), confirmed (used by the bot), exported
    (written into the YAML, used until the release that has them)."""
    from bot.storage.questions import LearnedRepo

    wanted = values(LearnedStatus) if status == "all" else (status,)

    async def run(services: Services, session: AsyncSession) -> list[dict[str, Any]]:
        return [_row(services, r) for r in await LearnedRepo(session).with_status(*wanted)]

    rows = query(run)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no learned phrasings")
    for r in rows:
        click.echo(f"{r['id']:5}  {r['status']:<9}  {r['entry']:<20}  {r['question']}")


@learned.command("export")
@click.option(
    "--kb-dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=None,
    help="The knowledge base to write into (default: the one this bot runs).",
)
@click.option("--json", "as_json", is_flag=True)
def learned_export(kb_dir: Path | None, as_json: bool) -> None:
    """Write the confirmed phrasings into their entries' YAML (as alternatives) and mark them
    exported. Review the change, run `hoofdzaak kb calibrate --write` (the classifier learns
    the new phrasings) and release: the released bot removes them from the table."""
    from bot.storage.questions import LearnedRepo
    from knowledge.alternatives import add_alternatives
    from knowledge.kb import KB_DIR, KBError

    target = kb_dir or KB_DIR

    async def run(services: Services, session: AsyncSession) -> dict[str, Any]:
        repo = LearnedRepo(session)
        rows = await repo.with_status(LearnedStatus.CONFIRMED)
        wanted: dict[str, list[str]] = {}
        for r in rows:
            wanted.setdefault(r.entry_id, []).append(r.text)
        try:
            added = add_alternatives(wanted, target)
        except KBError as exc:
            fail(f"the knowledge base would not load after the export, nothing written: {exc}")
        await repo.set_status([r.id for r in rows], LearnedStatus.EXPORTED)
        await session.commit()
        return {
            "exported": len(rows),
            "written": sum(len(v) for v in added.values()),
            "entries": added,
            "kb_dir": str(target),
        }

    result = query(run, write=True)
    if as_json:
        echo_json(result)
        return
    click.echo(
        f"{result['exported']} confirmed phrasings exported; {result['written']} new "
        f"alternatives written to {result['kb_dir']} (the others were there already)"
    )
    for entry, texts in result["entries"].items():
        for text in texts:
            click.echo(f"  {entry}: {text}")
    if result["written"]:
        click.echo("next: review, hoofdzaak kb calibrate --write, hoofdzaak kb check, release")


@learned.command("remove")
@click.argument("ids", nargs=-1, type=int)
@click.option(
    "--released",
    is_flag=True,
    help="Remove the phrasings the knowledge base now has (the running bot does this too).",
)
def learned_remove(ids: tuple[int, ...], released: bool) -> None:
    """Remove learned phrasings by ID (the bot stops using them within a minute)."""
    from bot.services.faq.learning import released as in_kb
    from bot.storage.questions import LearnedRepo

    if not ids and not released:
        fail("give one or more IDs, or --released", 2)

    async def run(services: Services, session: AsyncSession) -> int:
        repo = LearnedRepo(session)
        gone = list(ids)
        if released:
            rows = await repo.with_status(*values(LearnedStatus))
            gone += [r.id for r in rows if in_kb(services.kb, r)]
        removed = await repo.delete(sorted(set(gone)))
        await session.commit()
        return removed

    click.echo(f"{query(run, write=True)} learned phrasings removed")
