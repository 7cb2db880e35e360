"""Configuration errors stop the bot at start with one clear line, never a traceback."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.support.net import free_port


@pytest.mark.parametrize("command", [["run"], ["stats"], ["users", "list"]])
@pytest.mark.parametrize(
    ("env", "code", "expected"),
    [
        ({"DATABASE_URL": "hoofdzaak.db"}, 2, "DATABASE_URL: not a database URL"),
        ({"DATABASE_URL": "mysql://u@db/hz"}, 2, "DATABASE_URL: mysql is not supported"),
        ({"HOOFDZAAK_ADMINS": "12345,anna"}, 2, "HOOFDZAAK_ADMINS: must be Telegram user ids"),
        # the value is a secret: it is not echoed
        ({"TELEGRAM_BOT_TOKEN": "geheim-token"}, 2, "TELEGRAM_BOT_TOKEN: does not look like"),
        (
            {"WEBHOOK_URL": "http://bot.example.nl/hook"},
            2,
            "WEBHOOK_URL: must be the public https",
        ),
        (
            {"DATABASE_URL": "postgresql://hz:geheim@127.0.0.1:{port}/hz"},
            1,
            "database: cannot connect to postgresql+asyncpg://hz:***@127.0.0.1:",
        ),
    ],
)
def test_one_clear_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    env: dict[str, str],
    code: int,
    expected: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST-token-abc")
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(port=free_port()))
    result = CliRunner().invoke(main, command)
    assert result.exit_code == code, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and expected in lines[0], result.output
    assert "Traceback" not in result.output and "geheim" not in result.output


@pytest.mark.parametrize("token", [None, "", "  "])
def test_run_without_a_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, token: str | None
) -> None:
    monkeypatch.chdir(tmp_path)
    if token is None:
        monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    else:
        monkeypatch.setenv("TELEGRAM_BOT_TOKEN", token)  # an empty line in the env file
    result = CliRunner().invoke(main, ["run"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: TELEGRAM_BOT_TOKEN is not set: the bot cannot log in to Telegram"
    )


def test_migrations_can_be_inspected_and_undone_and_a_newer_schema_stops_the_bot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.storage.db import head_revision

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST-token-abc")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'hz.db'}")
    runner, head = CliRunner(), head_revision()

    def current() -> dict[str, str]:
        result = runner.invoke(main, ["db", "current", "--json"])
        assert result.exit_code == 0, result.output
        data: dict[str, str] = json.loads(result.output)
        return data

    assert current()["current"] is None and current()["state"].startswith("behind")
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    assert current() == {"current": head, "head": head, "state": "up to date"}
    undo = runner.invoke(main, ["db", "downgrade", "0007", "--yes"])
    assert undo.exit_code == 0 and "0007" in undo.output
    assert current()["current"] == "0007"
    unknown = runner.invoke(main, ["db", "downgrade", "0007b", "--yes"])
    assert unknown.exit_code == 2 and "unknown revision 0007b" in unknown.output
    # a newer version of the bot migrated it further: say so in one line, touch nothing
    with sqlite3.connect(tmp_path / "hz.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0999'")
    assert current()["state"] == "newer than this version of the bot"
    for command in (["run"], ["stats"], ["db", "upgrade"]):
        result = runner.invoke(main, command)
        assert result.exit_code == 1, result.output
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "database is at migration 0999" in lines[0], result.output
    assert current()["current"] == "0999"
