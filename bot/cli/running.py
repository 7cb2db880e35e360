"""The bot itself: `run` (against Telegram), `chat` (the console), `ask`."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import TYPE_CHECKING, Any

import click

from bot import collector
from bot.cli.root import main
from bot.cli.runtime import (
    NotReady,
    check_database,
    echo_json,
    fail,
    load_settings,
    prepare_sqlite_dir,
    query,
    setup_logging,
)
from bot.domain import Role, values

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from bot.services import Services


@main.command()
def run() -> None:
    """Run the bot against Telegram. Needs TELEGRAM_BOT_TOKEN.

    Long polling (a health check at /healthz with HOOFDZAAK_HEALTH_PORT); with WEBHOOK_URL
    set, webhook mode (WEBHOOK_SECRET required) with a health check at /healthz. SIGTERM or
    Ctrl-C stops cleanly in both modes.
    """
    from bot.app import ConfigError, build_application, check_run_settings

    settings = load_settings()
    setup_logging(settings=settings)
    try:
        check_run_settings(settings)
        app = build_application(settings)
    except ConfigError as exc:
        fail(str(exc), 2)
    path = settings.sqlite_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    check_database(app.bot_data["services"].db)
    collector.started()
    from bot.runner import serve
    from bot.webserver import ALLOWED_UPDATES

    if settings.webhook_url:
        asyncio.run(serve(app))
        return
    from bot.app import SERVE_HEALTH

    app.bot_data[SERVE_HEALTH] = True
    logging.getLogger(__name__).info("starting the bot (long polling)")
    app.run_polling(allowed_updates=ALLOWED_UPDATES, drop_pending_updates=False)


@main.command()
@click.option(
    "--rol",
    "role",
    type=click.Choice(values(Role)),
    default=Role.PROGRAMME.value,
    show_default=True,
    help="Your role in this console.",
)
@click.option("--regio", "region", default=None, help="Your region as coach or regio (AM18).")
@click.option("--demo", is_flag=True, help="Fill an empty database with demo data first.")
def chat(role: str, region: str | None, demo: bool) -> None:
    """Talk to the bot in this terminal: no Telegram, no token (same database).

    Files the bot sends (exports, charts) are saved under data/console/.
    """
    from bot.console import ConsoleError, ConsoleOptions
    from bot.console import main as console_main

    settings = load_settings()
    setup_logging(logging.WARNING, settings)
    prepare_sqlite_dir()
    options = ConsoleOptions(role, region.upper() if region else None, demo)
    try:
        code = console_main(settings, options)
    except ConsoleError as exc:
        fail(str(exc), 2)
    sys.exit(code)


@main.command()
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per question.")
def ask(question: str | None, as_json: bool) -> None:
    """Ask the knowledge base a QUESTION; without one, read one question per line from stdin.
    Questions about the programme's own data (a region's division, target or progress, the
    national figures) are answered from the configured database."""
    from bot.services.faq.ask_json import answer_json
    from knowledge.data_questions import DataQuestionParser
    from knowledge.kb import load_kb_kept
    from knowledge.matcher import Matcher

    matcher = Matcher(load_kb_kept())
    parser = DataQuestionParser(matcher.kb.regions)
    collector.started()
    questions = [question] if question is not None else (ln.rstrip("\n") for ln in sys.stdin)
    for q in questions:
        if question is None and not q.strip():
            continue
        dq = parser.parse(q[:1000])
        result = answer_json(matcher, q) if dq is None else _data_answer(matcher, q, dq)
        if as_json:
            echo_json(result)
            continue
        if result["answered"] or (result["entry"] is None and result["answer"]):
            click.echo(
                f"{result['answer']}\n(bron: {', '.join(result['refs'])}; "
                f"score {result['score']:.2f})"
            )
        elif result["suggestions"]:
            click.echo("Bedoel je:")
            for s in result["suggestions"]:
                click.echo(f"  - {s['title']} ({', '.join(s['refs'])})")
        else:
            click.echo(f"Geen antwoord gevonden (score {result['score']:.2f}).")


def _data_answer(matcher: Any, question: str, dq: Any) -> dict[str, Any]:
    """A data question, answered from the database as the operator; when the database is
    not there (yet), an answer that says so (and why, on stderr)."""
    from bot.services.faq.answers import data_json
    from bot.services.faq.ask_json import rule_json

    async def run(services: Services, session: AsyncSession) -> dict[str, Any]:
        return await data_json(services, session, question, dq)

    try:
        return query(run, soft=True, matcher=matcher)
    except NotReady as exc:
        click.echo(f"database: {exc}", err=True)
        return {
            "question": question,
            "answered": False,
            "entry": None,
            "refs": [f"data:{dq.kind.value}"],
            "score": 0.0,
            "answer": "Die cijfers staan in de database van de bot, en die is hier nog niet "
            "klaar (hoofdzaak db upgrade).",
            "suggestions": rule_json(matcher, question),
        }
