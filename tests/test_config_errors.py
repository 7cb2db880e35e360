"""Configuration errors stop the bot at start with one clear line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from tests.net import free_port


@pytest.mark.parametrize("command", [["run"], ["stats"], ["users", "list"]])
@pytest.mark.parametrize(
    ("env", "code", "expected"),
    [
        ({"DATABASE_URL": "hoofdzaak.db"}, 2, "DATABASE_URL: not a database URL"),
        ({"DATABASE_URL": "mysql://u@db/hz"}, 2, "DATABASE_URL: mysql is not supported"),
        ({"HOOFDZAAK_ADMINS": "12345,anna"}, 2, "HOOFDZAAK_ADMINS: must be Telegram user ids"),
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


def test_run_without_a_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    result = CliRunner().invoke(main, ["run"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "error: TELEGRAM_BOT_TOKEN is not set: the bot cannot log in to Telegram"
    )
