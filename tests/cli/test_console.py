"""`hoofdzaak chat`: roles for the console user, demo data, files saved under data/console."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bot.cli import main


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'console.db'}")
    monkeypatch.delenv("HOOFDZAAK_ADMINS", raising=False)
    return CliRunner()


def test_programme_team_by_default_with_demo_data_and_saved_files(
    runner: CliRunner, tmp_path: Path
) -> None:
    result = runner.invoke(main, ["chat", "--demo"], input="/ik\n/export\n2\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Demo-gegevens geladen" in out
    assert "programmateam" in out
    assert "[bestand opgeslagen: data/console/trajecten-alle-jaren.xlsx] Excel-bestand." in out
    saved = tmp_path / "data" / "console"
    sheet = load_workbook(saved / "trajecten-alle-jaren.xlsx").active
    assert sheet is not None and sheet.max_row > 1000
    rows = list(
        csv.reader(
            io.StringIO((saved / "trajecten-alle-jaren.csv").read_text("utf-8-sig")),
            delimiter=";",
        )
    )
    assert len(rows) == sheet.max_row and {r[-1] for r in rows[1:]} == {"ja"}

    # a second start does not add demo data again; a coach cannot export
    again = runner.invoke(main, ["chat", "--demo", "--rol", "coach"], input="/ik\n/export\n")
    assert again.exit_code == 0, again.output
    assert "staan al in de database" in again.output
    assert "jobcoach" in again.output and "Groot Amsterdam" in again.output
    assert "Exporteren kan alleen" in again.output


def test_regio_role_and_region(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(
        main, ["chat", "--rol", "regio", "--regio", "am30"], input="/ik\n/export\n1\n"
    )
    assert result.exit_code == 0, result.output
    assert "regio voor regio Zuid-Limburg (AM30)" in result.output
    assert "Er zijn geen trajecten" in result.output  # no demo data: header-only files
    assert list((tmp_path / "data" / "console").glob("trajecten-AM30-*.csv"))

    bad = runner.invoke(main, ["chat", "--rol", "regio", "--regio", "AM04"], input="")
    assert bad.exit_code == 2 and "AM04" in bad.output


def test_each_role_has_its_own_console_user(runner: CliRunner) -> None:
    """A coach's trajectory does not show up as the regio user's own, and the programme team
    does not keep the region a regio run gave."""
    coach = runner.invoke(
        main,
        ["chat", "--rol", "coach", "--regio", "AM30"],
        input="/registreer\nKL-07\n12-3-2026\n1\n1\n1\n1\n1\n1\n1\n9\n/mijntrajecten\n",
    )
    assert coach.exit_code == 0, coach.output
    assert "KL-07" in coach.output.split("/mijntrajecten")[-1]  # saved, the coach's own
    regio = runner.invoke(
        main, ["chat", "--rol", "regio", "--regio", "AM30"], input="/mijntrajecten\n"
    )
    assert regio.exit_code == 0, regio.output
    assert "Je hebt nog geen trajecten" in regio.output
    programme = runner.invoke(main, ["chat"], input="/ik\n")
    assert "programmateam" in programme.output and "Zuid-Limburg" not in programme.output
