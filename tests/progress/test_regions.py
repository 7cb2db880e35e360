"""Regions: seeded from the knowledge base; division and target per year by CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'regions.db'}")
    return CliRunner()


def _list(runner: CliRunner, year: int = 2026) -> dict[str, dict[str, object]]:
    result = runner.invoke(main, ["regions", "list", "--year", str(year), "--json"])
    assert result.exit_code == 0, result.output
    return {r["code"]: r for r in json.loads(result.output)}


def test_all_35_regions_are_there(runner: CliRunner) -> None:
    rows = _list(runner)
    assert len(rows) == 35
    assert rows["AM30"]["name"] == "Zuid-Limburg" and rows["AM30"]["centrumgemeente"] == "Heerlen"
    assert rows["AM18"]["division"] is None and rows["AM18"]["target"] is None


def test_set_per_year(runner: CliRunner) -> None:
    ok = runner.invoke(
        main,
        [
            "regions",
            "set",
            "am18",
            "--year",
            "2026",
            "--division",
            "champions-league",
            "--target",
            "100",
        ],
    )
    assert ok.exit_code == 0, ok.output
    runner.invoke(main, ["regions", "set", "AM18", "--year", "2027", "--target", "120"])
    runner.invoke(main, ["regions", "set", "AM18", "--year", "2026", "--target", "110"])
    assert _list(runner, 2026)["AM18"] | {} == {
        "code": "AM18",
        "name": "Groot Amsterdam",
        "centrumgemeente": "Amsterdam",
        "year": 2026,
        "division": "champions-league",
        "target": 110,
    }
    assert _list(runner, 2027)["AM18"]["target"] == 120
    assert _list(runner, 2027)["AM18"]["division"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["AM04", "--target", "5"], "unknown region"),
        (["AM18", "--division", "premier-league"], "unknown division"),
        (["AM18", "--target", "-3"], "outside"),
        (["AM18", "--year", "2010", "--target", "5"], "outside 2017"),
        (["AM18"], "--division and/or --target"),
    ],
)
def test_set_refuses_bad_input(runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(main, ["regions", "set", *args])
    assert result.exit_code == 2 and message in result.output


def test_import_is_all_or_nothing(runner: CliRunner, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text("code,year,division,target\nAM01,2026,eredivisie,25\nAM02,2026,,40\n")
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,year,division,target\nAM03,2026,eredivisie,25\nAM77,2026,x,1\nAM05,twee,,1\n"
    )
    assert runner.invoke(main, ["regions", "import", str(good)]).exit_code == 0
    result = runner.invoke(main, ["regions", "import", str(bad)])
    assert result.exit_code == 2 and "line 4" in result.output
    rows = _list(runner)
    assert rows["AM01"]["division"] == "eredivisie" and rows["AM02"]["target"] == 40
    assert rows["AM03"]["division"] is None  # nothing of the bad file was stored
    no_header = tmp_path / "nohead.csv"
    no_header.write_text("AM01,2026,eredivisie,25\n")
    result = runner.invoke(main, ["regions", "import", str(no_header)])
    assert result.exit_code == 2 and "header" in result.output
