"""The `hoofdzaak` command: the ask JSON contract, the console, configuration errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main

KEYS = {"question", "answered", "entry", "refs", "score", "answer", "suggestions"}


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    return CliRunner()


def test_ask_json_one_question(runner: CliRunner) -> None:
    result = runner.invoke(main, ["ask", "wie betaalt de eerste 8 gesprekken?", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == KEYS
    assert data["answered"] is True and data["entry"] == "faq-5-5"
    assert data["refs"] == ["faq:5.5"] and 0 <= data["score"] <= 1
    assert "<" not in data["answer"] and "zorgverzekeraar" in data["answer"]


def test_ask_json_reads_stdin_one_object_per_line(runner: CliRunner) -> None:
    questions = "wat is een wsp?\nhoeveel kost een treinkaartje naar Groningen\n\nwerkgevers\n"
    result = runner.invoke(main, ["ask", "--json"], input=questions)
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["question"] for r in rows] == [
        "wat is een wsp?",
        "hoeveel kost een treinkaartje naar Groningen",
        "werkgevers",
    ]
    assert rows[0]["answered"] and rows[0]["entry"] == "faq-9-23"
    assert not rows[1]["answered"] and rows[1]["entry"] is None and rows[1]["answer"] is None
    assert all(set(r) == KEYS for r in rows)
    for row in rows:
        assert len(row["suggestions"]) <= 3
        for s in row["suggestions"]:
            assert set(s) == {"entry", "refs", "title"}


def test_ask_human_readable(runner: CliRunner) -> None:
    result = runner.invoke(main, ["ask", "wat is een wsp"])
    assert result.exit_code == 0 and "faq:9.23" in result.output


def test_chat_piped_prints_replies_and_exits(runner: CliRunner) -> None:
    script = "hoi\nwie betaalt de eerste 8 gesprekken?\n1\n/faq\n99\n"
    result = runner.invoke(main, ["chat"], input=script)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "jij> wie betaalt de eerste 8 gesprekken?" in out
    assert "Bron: FAQ 5.5" in out
    assert "[1] 👍" in out
    assert "Fijn dat het hielp" in out  # pressing button 1
    assert "Veelgestelde vragen" in out
    assert "Er is geen knop 99" in out


def test_run_without_token_is_a_clear_error(runner: CliRunner) -> None:
    result = runner.invoke(main, ["run"])
    assert result.exit_code == 2
    assert "TELEGRAM_BOT_TOKEN" in result.output and "Traceback" not in result.output


def test_malformed_admin_ids_fail_with_one_line(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOFDZAAK_ADMINS", "12,abc")
    result = runner.invoke(main, ["run"])
    assert result.exit_code == 2
    assert "HOOFDZAAK_ADMINS" in result.output


def test_unknown_subcommand_is_usage_error(runner: CliRunner) -> None:
    assert runner.invoke(main, ["frobnicate"]).exit_code == 2


def test_db_upgrade_and_backup(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    target = tmp_path / "backup" / "copy.db"
    result = runner.invoke(main, ["db", "backup", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0


def test_kb_unanswered_json(runner: CliRunner) -> None:
    runner.invoke(main, ["chat"], input="wat is de zin van het leven\n")
    result = runner.invoke(main, ["kb", "unanswered", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert rows and rows[0]["question"] == "wat is de zin van het leven"
