"""What reaches the logs: never the bot token, the webhook secret or the database password,
in whatever shape they come (a URL object, an exception's text); and no message texts at
INFO level."""

from __future__ import annotations

import logging

import httpx
import pytest

from bot.cli.runtime import RedactingFormatter
from bot.cli.runtime import secrets_of as _secrets
from bot.config import Settings
from bot.offline import OfflineBot

TOKEN = "7712345678:AAH-real-looking_token-value-0123456789"
SECRET = "hook-Secret_42"
PASSWORD = "pg-Pa55word"


def _settings() -> Settings:
    return Settings(
        TELEGRAM_BOT_TOKEN=TOKEN,
        WEBHOOK_SECRET=SECRET,
        DATABASE_URL=f"postgresql://hoofdzaak:{PASSWORD}@db.example.nl:5432/hoofdzaak",
    )


def _format(record: logging.LogRecord) -> str:
    formatter = RedactingFormatter("%(levelname)s %(name)s: %(message)s", _secrets(_settings()))
    return formatter.format(record)


def test_a_request_url_object_in_the_arguments_is_cleaned() -> None:
    url = httpx.URL(f"https://api.telegram.org/bot{TOKEN}/sendMessage")
    record = logging.LogRecord(
        "httpx", logging.INFO, __file__, 1, "HTTP Request: POST %s", (url,), None
    )
    line = _format(record)
    assert TOKEN not in line and "sendMessage" in line


def test_a_traceback_quoting_the_secrets_is_cleaned() -> None:
    try:
        raise RuntimeError(f"connect to postgresql://hoofdzaak:{PASSWORD}@db failed; {SECRET}")
    except RuntimeError:
        import sys

        record = logging.LogRecord("bot", logging.ERROR, __file__, 1, "boom", (), sys.exc_info())
    line = _format(record)
    assert "RuntimeError" in line
    assert PASSWORD not in line and SECRET not in line


def test_a_token_that_is_not_configured_is_still_recognised() -> None:
    other = "5550001111:BBxOtherBotTokenOfSomeoneElse_12345"
    record = logging.LogRecord("telegram", logging.WARNING, __file__, 1, "%s", (other,), None)
    assert other not in _format(record)


def test_settings_never_show_the_database_password() -> None:
    settings = _settings()
    assert PASSWORD not in repr(settings) and PASSWORD not in str(settings.model_dump())
    assert PASSWORD in settings.db_url  # but the bot can connect with it


async def test_message_texts_stay_out_of_the_log_at_info(
    bot: OfflineBot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    question = "Mag mijn cliënt Zeldzaamwoord-4711 meedoen aan IPS?"
    chat = bot.chat(4711)
    await chat.send(question)
    await chat.send("/registreer")
    await chat.send("Geheimzinnig-antwoord-0815")
    assert chat.last_bot_message().text  # the bot answered
    logged = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    assert "Zeldzaamwoord" not in logged and "Geheimzinnig" not in logged


async def test_a_failed_write_does_not_log_what_was_written(
    bot: OfflineBot, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    """The database is locked by another program: the question fails and the error is
    logged, but neither the question's text nor the person's name is in the log."""
    import sqlite3

    path = settings.sqlite_path()
    assert path is not None
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # holds SQLite's write lock
    try:
        with caplog.at_level(logging.ERROR):
            chat = bot.chat(7301, first_name="Pieternella", last_name="Jansenius")
            out = await chat.send("mag Gerritdina Bakkerveld uit Zwolle meedoen aan IPS?")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert out, "the person still gets an answer (the apology)"
    logged = "\n".join(
        f"{r.getMessage()}\n{logging.Formatter().formatException(r.exc_info)}"
        if r.exc_info
        else r.getMessage()
        for r in caplog.records
    )
    assert "database is locked" in logged
    for private in ("Pieternella", "Jansenius", "Gerritdina", "Bakkerveld"):
        assert private not in logged
