"""The 35 labour market regions, and their division and annual target per year.

The regions themselves come from `knowledge/regions.yaml` (seeded into the database at
start-up); which division a region plays in and its target change per year and are set by the
programme team (`hoofdzaak regions set` / `import`, later in the bot).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Region
from bot.storage.regions import RegionRepo
from knowledge.kb import KnowledgeBase

YEAR_MIN, YEAR_MAX = 2017, 2100
TARGET_MAX = 10_000


class RegionInputError(ValueError):
    """Bad region input; the message says what and where (line numbers for imports)."""


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    centrumgemeente: str
    year: int
    division: str | None
    target: int | None


@dataclass(frozen=True)
class RegionSetting:
    code: str
    year: int
    division: str | None
    target: int | None


async def ensure_regions(session: AsyncSession, kb: KnowledgeBase) -> int:
    """Insert the regions the database does not have yet (names are refreshed); commits."""
    repo = RegionRepo(session)
    existing = {r.code: r for r in await repo.all()}
    added = 0
    for region in kb.regions.regions:
        row = existing.get(region.code)
        if row is None:
            repo.add(
                Region(code=region.code, name=region.name, centrumgemeente=region.centrumgemeente)
            )
            added += 1
        else:
            row.name, row.centrumgemeente = region.name, region.centrumgemeente
    await session.commit()
    return added


def validate_setting(kb: KnowledgeBase, setting: RegionSetting) -> None:
    codes = {r.code for r in kb.regions.regions}
    divisions = {d.id for d in kb.regions.divisions}
    if setting.code not in codes:
        raise RegionInputError(f"unknown region {setting.code!r} (AM01 … AM38, see regions list)")
    if not YEAR_MIN <= setting.year <= YEAR_MAX:
        raise RegionInputError(f"year {setting.year} is outside {YEAR_MIN}-{YEAR_MAX}")
    if setting.division is not None and setting.division not in divisions:
        raise RegionInputError(
            f"unknown division {setting.division!r} (divisions: {', '.join(sorted(divisions))})"
        )
    if setting.target is not None and not 0 <= setting.target <= TARGET_MAX:
        raise RegionInputError(f"target {setting.target} is outside 0-{TARGET_MAX}")


async def set_regions(
    session: AsyncSession, kb: KnowledgeBase, settings: Sequence[RegionSetting]
) -> None:
    """Validate all settings first, then store them in one transaction (all or nothing).

    A division or target left out (None) keeps what was stored for that year.
    """
    for setting in settings:
        validate_setting(kb, setting)
    await ensure_regions(session, kb)
    repo = RegionRepo(session)
    for setting in settings:
        row = await repo.year_or_new(setting.code, setting.year)
        if setting.division is not None:
            row.division = setting.division
        if setting.target is not None:
            row.target = setting.target
        row.demo = False  # set by the programme team: real data from now on (demo clear keeps it)
    await session.commit()


async def list_regions(session: AsyncSession, year: int) -> list[RegionRow]:
    return [
        RegionRow(
            region.code,
            region.name,
            region.centrumgemeente,
            year,
            ry.division if ry else None,
            ry.target if ry else None,
        )
        for region, ry in await RegionRepo(session).with_year(year)
    ]


def parse_csv(text: str) -> list[RegionSetting]:
    """Rows `code,year,division,target` (header required; division or target may be empty).

    Every problem is collected with its line number; nothing is returned half.
    """
    reader = csv.DictReader(io.StringIO(text))
    needed = {"code", "year", "division", "target"}
    if reader.fieldnames is None or not needed <= {f.strip() for f in reader.fieldnames}:
        raise RegionInputError("the CSV needs a header line: code,year,division,target")
    out: list[RegionSetting] = []
    errors: list[str] = []
    for line, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        try:
            year = int(row["year"])
            target = int(row["target"]) if row["target"] else None
        except ValueError:
            errors.append(f"line {line}: year and target must be whole numbers")
            continue
        out.append(RegionSetting(row["code"].upper(), year, row["division"] or None, target))
    if errors:
        raise RegionInputError("; ".join(errors))
    return out


def check_all(kb: KnowledgeBase, settings: Sequence[RegionSetting]) -> list[str]:
    """Every invalid setting, with its position (line numbers count the header as line 1)."""
    problems = []
    for line, setting in enumerate(settings, start=2):
        try:
            validate_setting(kb, setting)
        except RegionInputError as exc:
            problems.append(f"line {line}: {exc}")
    return problems
