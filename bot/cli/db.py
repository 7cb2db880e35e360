"""The database: `db upgrade|current|downgrade|retention|backup`."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.cli.root import main
from bot.cli.runtime import (
    check_database,
    database,
    echo_json,
    fail,
    load_settings,
    prepare_sqlite_dir,
    query,
)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.services import Services


@main.group()
def db() -> None:
    """Database: migrations and backups."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (also done at start-up)."""
    from bot.storage.db import upgrade

    prepare_sqlite_dir()
    check_database(database())
    upgrade(load_settings().db_url)
    click.echo("database is up to date")


@db.command("current")
@click.option("--json", "as_json", is_flag=True)
def db_current(as_json: bool) -> None:
    """Show the database's migration revision and this version's newest."""
    from bot.storage.db import DatabaseUnavailable, known_revisions

    db_ = database()

    async def go() -> tuple[str | None, str]:
        try:
            await db_.ping()
            return await db_.revisions()
        finally:
            await db_.dispose()

    prepare_sqlite_dir()
    try:
        found, head = asyncio.run(go())
    except DatabaseUnavailable as exc:
        fail(f"database: {exc}")
    if found == head:
        state = "up to date"
    elif found is not None and found not in known_revisions():
        state = "newer than this version of the bot"
    else:
        state = "behind: hoofdzaak db upgrade (or starting the bot) applies the rest"
    if as_json:
        echo_json({"current": found, "head": head, "state": state})
    else:
        click.echo(
            f"database at {found or 'nothing (empty)'}, this version's newest is {head}: {state}"
        )


@db.command("downgrade")
@click.argument("revision")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def db_downgrade(revision: str, yes: bool) -> None:
    """Migrate down to REVISION (e.g. 0008), to go back to an older version of the bot.

    Drops the tables and columns the later migrations added, with their data: take a backup
    first. Run it with the newer version still installed (only it knows its migrations).
    """
    from bot.storage.db import downgrade, known_revisions

    if revision not in known_revisions():
        fail(f"unknown revision {revision}: see hoofdzaak db current", 2)
    check_database(database())
    if not yes:
        click.confirm(
            f"Migrate the database down to {revision}? Data in newer tables is lost.", abort=True
        )
    downgrade(load_settings().db_url, revision)
    click.echo(f"database is at {revision}")


@db.command("retention")
@click.option("--dry-run", is_flag=True, help="Count what would go; change nothing.")
@click.option("--json", "as_json", is_flag=True)
def db_retention(dry_run: bool, as_json: bool) -> None:
    """Apply the retention periods now (the bot also does this every night at 03:30)."""
    from bot.services.people import privacy

    async def run(services: Services, session: AsyncSession) -> privacy.RetentionReport:
        policy = privacy.policy_from(services.settings)
        return await privacy.apply_retention(session, policy, services.clock(), dry_run)

    report = query(run, write=True)
    if as_json:
        echo_json({"dry_run": dry_run, **report.as_dict()})
        return
    would = "would be " if dry_run else ""
    click.echo(f"question texts {would}anonymised: {report.questions}")
    click.echo(f"pseudonyms {would}removed: {report.pseudonyms} (+{report.events} in histories)")
    click.echo(f"message texts {would}cleared: {report.messages}")


@db.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
def db_backup(target: Path) -> None:
    """Copy the SQLite database to TARGET (consistent, while the bot runs)."""
    source = load_settings().sqlite_path()
    if source is None:
        fail("db backup is for SQLite; for PostgreSQL use pg_dump (see docs/deploy.md)", 2)
    if not source.exists():
        fail(f"no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    click.echo(f"backed up {source} to {target}")


if __name__ == "__main__":
    main()
