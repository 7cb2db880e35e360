"""What every command shares: settings (read once per invocation), logging without secrets,
clear errors, the database."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

import knowledge
from bot import collector

if TYPE_CHECKING:
    from bot.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.services import Services
    from bot.storage.db import Database
    from knowledge.matcher import Matcher

EVAL_SETS = Path(knowledge.__file__).resolve().parent / "eval_sets"
# The evaluation sets ship with the package (knowledge/eval_sets). What the classifier and the
# decision are fitted on; faq_test.tsv and the faq_blind sets are kept out of every fit and every
# tuning choice: measured only.
DEFAULT_EVAL = EVAL_SETS / "faq_eval.tsv"
CALIBRATION_SETS = (
    DEFAULT_EVAL,
    EVAL_SETS / "faq_holdout.tsv",
    EVAL_SETS / "faq_tune.tsv",
    EVAL_SETS / "faq_train.tsv",
    EVAL_SETS / "faq_train2.tsv",
    EVAL_SETS / "faq_train3.tsv",
)
MEASURE_SETS = (
    EVAL_SETS / "faq_test.tsv",
    EVAL_SETS / "faq_blind.tsv",
    EVAL_SETS / "faq_blind2.tsv",
)
# Data questions (knowledge/data_questions.py): the recogniser's rules were tuned on the
# data_tune sets, never on data_blind.tsv or data_blind2.tsv.
DATA_SET_PREFIX = "data_"
DATA_TUNED = tuple(EVAL_SETS / f"data_tune{n}.tsv" for n in ("", "2", "3", "4", "5"))
DATA_SETS = (*DATA_TUNED, EVAL_SETS / "data_blind.tsv", EVAL_SETS / "data_blind2.tsv")


class RedactingFormatter(logging.Formatter):
    """Telegram URLs carry the bot token (…/bot<token>/method), and an error can quote a
    secret: the whole formatted line (message, arguments of any type, traceback) is
    cleaned, so neither the token nor the webhook secret nor a database password reaches a
    log."""

    _token = re.compile(r"\d+:[A-Za-z0-9_-]{8,}")

    def __init__(self, fmt: str, secrets: tuple[str, ...] = ()) -> None:
        super().__init__(fmt)
        self.secrets = tuple(sorted((s for s in secrets if s), key=len, reverse=True))

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        for secret in self.secrets:
            line = line.replace(secret, "<secret>")
        return self._token.sub("<token>", line)


def secrets_of(settings: Settings | None) -> tuple[str, ...]:
    from sqlalchemy import make_url

    if settings is None:
        return ()
    found = [
        s.get_secret_value() for s in (settings.telegram_bot_token, settings.webhook_secret) if s
    ]
    password = make_url(settings.db_url).password
    if password:
        found.append(str(password))
    return tuple(found)


def setup_logging(level: int = logging.INFO, settings: Settings | None = None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets_of(settings))
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "apscheduler", "aiosqlite", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def fail(message: str, code: int = 1) -> NoReturn:
    click.echo(f"error: {message}", err=True)
    sys.exit(code)


class Runtime:
    """What one invocation of `hoofdzaak` shares, kept in the Click context: the settings,
    read from the environment once (and only when a command needs them: `--help` and
    `kb eval` work without a valid configuration)."""

    def __init__(self) -> None:
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = _read_settings()
        return self._settings


def _read_settings() -> Settings:
    from pydantic import ValidationError

    from bot.config import Settings

    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        field = first.get("loc", ("?",))[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        fail(f"configuration: {field}: {message}", 2)


def load_settings() -> Settings:
    """The invocation's settings (from the Click context; read once)."""
    ctx = click.get_current_context(silent=True)
    runtime = ctx.find_object(Runtime) if ctx is not None else None
    return runtime.settings if runtime is not None else _read_settings()


def pct(x: object) -> str:
    return f"{100 * float(str(x)):.1f}%"


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False))


T = TypeVar("T")


def check_database(database: Database) -> None:
    """Fail with one line when the database cannot be reached, or was migrated by a newer
    version of the bot (before anything starts)."""
    from bot.storage.db import DatabaseUnavailable, SchemaTooNew

    async def ping() -> None:
        try:
            await database.ping()
            await database.check_schema()
        finally:
            await database.engine.dispose()  # the bot's own loop makes new connections

    try:
        asyncio.run(ping())
    except (DatabaseUnavailable, SchemaTooNew) as exc:
        fail(f"database: {exc}")


class NotReady(Exception):
    """The database cannot answer (unreachable, or not at this version's migration)."""


def query(
    run: Callable[[Services, AsyncSession], Awaitable[T]],
    write: bool = False,
    soft: bool = False,
    matcher: Matcher | None = None,
) -> T:
    """Run one service call against the configured database. A command that writes
    migrates it first (as the bot does at start-up); one that only reads leaves it as it is
    and says so when it is not at this version's newest migration. `soft`: raise NotReady with
    that message instead of ending the command. `matcher`: the one the command built already
    (else the services build one when asked)."""
    from bot.storage.db import DatabaseUnavailable, SchemaTooNew
    from bot.wiring import build_services

    def problem(message: str) -> NoReturn:
        if soft:
            raise NotReady(message)
        fail(f"database: {message}")

    async def go() -> T:
        services = build_services(load_settings(), matcher=matcher)
        collector.started()
        try:
            try:
                await services.db.ping()
                await services.db.check_schema()
            except (DatabaseUnavailable, SchemaTooNew) as exc:
                problem(str(exc))
            if write:
                await services.db.upgrade()
            else:
                found, head = await services.db.revisions()
                if found != head:
                    problem(
                        ("it is empty" if found is None else f"it is at migration {found}")
                        + f", this version needs {head}: run hoofdzaak db upgrade (starting "
                        "the bot does it too)"
                    )
            async with services.db.session() as session:
                return await run(services, session)
        finally:
            await services.db.dispose()

    prepare_sqlite_dir()
    return asyncio.run(go())


def prepare_sqlite_dir() -> None:
    path = load_settings().sqlite_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


def database() -> Database:
    from bot.storage.db import Database

    return Database(load_settings().db_url)


def current_year() -> int:
    from bot.services import amsterdam_now

    return amsterdam_now().year
