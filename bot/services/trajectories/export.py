"""Exports of trajectories: a CSV and an XLSX file, with the candidate's pseudonym only.

Who may export what: the programme team everything (national), a regio user its own region,
nobody else. The files hold no coach and nothing about the candidate but the pseudonym.

Rows are streamed from the database in batches (`yield_per`) and each batch is written in a
worker thread, so a large export neither fills memory nor blocks the bot.

CSV for Dutch Excel: `;` between fields, UTF-8 with a byte order mark (Excel then reads the
accents right), dates ISO 8601 (2026-03-12: Excel in Dutch recognises them as dates, and
scripts read them without guessing the day/month order), whole numbers as digits.
XLSX: a header row in bold, frozen, with an autofilter; dates are real dates shown as
dd-mm-jjjj, hours are numbers.
"""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import Flow, build, parse
from bot.domain import Role
from bot.render import Renderer
from bot.services import Services
from bot.services.people.accounts import caller
from bot.services.progress.regions import YEAR_MIN
from bot.services.shared.inputs import as_number
from bot.services.shared.replies import Button, Notice, Person, Reply
from bot.services.trajectories.fields import fields
from bot.storage.trajectories import TrajectoryRepo

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

Format = Literal["csv", "xlsx"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx")
BATCH = 1000  # rows per database fetch and per write in the worker thread
DATE_FORMAT = "DD-MM-YYYY"  # how Excel shows the dates in the XLSX (they stay real dates)
MAX_WIDTH = 40
# Cells that Excel would read as a formula when they start with one of these (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Kind = Literal["text", "label", "date", "int", "flag"]


@dataclass(frozen=True)
class Column:
    key: str  # the Trajectory attribute (or region_name)
    header: str  # Dutch
    kind: Kind
    width: float
    values: dict[str, str]  # Dutch labels of stored values (kind "label")


# (attribute, kind); headers and value labels come from templates/fields.yaml and texts.yaml
_LAYOUT: tuple[tuple[str, Kind], ...] = (
    ("reference", "text"),
    ("region", "text"),
    ("region_name", "text"),
    ("status", "label"),
    ("start_date", "date"),
    ("method", "label"),
    ("target_group", "label"),
    ("initiator", "label"),
    ("provider", "label"),
    ("benefit", "label"),
    ("treatment", "label"),
    ("placement_date", "date"),
    ("hours_per_week", "int"),
    ("contract", "label"),
    ("end_date", "date"),
    ("end_reason", "label"),
    ("pseudonym", "text"),
    ("demo", "flag"),
)
# Typical widest content of the free-text columns (in characters).
_TEXT_WIDTH = {"reference": 13, "region": 4, "pseudonym": 16}


def columns(services: Services) -> tuple[Column, ...]:
    """The export's columns: Dutch headers, value labels and a width that fits their content."""
    r = services.renderer
    specs = fields()
    own = {
        "reference": r.text("export_col_reference"),
        "region": r.text("export_col_region_code"),
        "region_name": r.text("export_col_region_name"),
        "demo": r.text("export_col_demo"),
    }
    out = []
    for key, kind in _LAYOUT:
        spec = specs.get(key)
        header = own.get(key) or (spec.label if spec else key)
        values = dict(spec.values) if spec and kind == "label" else {}
        if kind == "label":
            content = max((len(v) for v in values.values()), default=0)
        elif kind == "date":
            content = 10
        elif kind == "flag":
            content = 3
        elif key == "region_name":
            content = max(len(reg.name) for reg in services.kb.regions.regions)
        else:
            content = _TEXT_WIDTH.get(key, 6)
        width = min(MAX_WIDTH, max(len(header), content) + 2)
        out.append(Column(key, header, kind, float(width), values))
    return tuple(out)


@dataclass(frozen=True)
class Selection:
    """Which trajectories: one region or all (None), one start year or all (None)."""

    region: str | None = None
    year: int | None = None

    def file_name(self, fmt: Format) -> str:
        """trajecten-AM18-2026.csv, trajecten-2026.xlsx, trajecten-AM18-alle-jaren.csv"""
        t = Renderer.shared().text
        parts = [t("export_file_prefix")]
        if self.region:
            parts.append(self.region)
        parts.append(str(self.year) if self.year is not None else t("export_file_all_years"))
        return f"{'-'.join(parts)}.{fmt}"


class _Writer(Protocol):
    def write(self, rows: Sequence[Sequence[Any]]) -> None: ...
    def close(self) -> None: ...


def _safe(text: str) -> str:
    """Text that Excel shows as text, never runs as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


class CsvWriter:
    def __init__(self, out: BinaryIO, cols: Sequence[Column], flags: tuple[str, str]) -> None:
        self.cols = cols
        self.yes, self.no = flags
        self.text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
        self.csv = csv.writer(self.text, delimiter=";", lineterminator="\r\n")
        self.csv.writerow([c.header for c in cols])

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        self.csv.writerows(
            [self._cell(c, v) for c, v in zip(self.cols, row, strict=True)] for row in rows
        )

    def _cell(self, col: Column, value: Any) -> str:
        if value is None:
            return ""
        if col.kind == "date":
            return str(value.isoformat())
        if col.kind == "int":
            return str(int(value))
        if col.kind == "flag":
            return self.yes if value else self.no
        if col.kind == "label":
            return _safe(col.values.get(str(value), str(value)))
        return _safe(str(value))

    def close(self) -> None:
        self.text.flush()
        self.text.detach()  # leave `out` open for the caller


class XlsxWriter:
    def __init__(
        self, out: BinaryIO, cols: Sequence[Column], flags: tuple[str, str], sheet: str
    ) -> None:
        # openpyxl is imported here: only an export needs it (starting the bot stays quicker)
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self.out, self.cols = out, cols
        self.yes, self.no = flags
        self.new_cell, self.column_letter = WriteOnlyCell, get_column_letter
        self.book = Workbook(write_only=True)
        self.sheet: WriteOnlyWorksheet = self.book.create_sheet(sheet)
        self.sheet.freeze_panes = "A2"
        for i, col in enumerate(cols, start=1):
            self.sheet.column_dimensions[get_column_letter(i)].width = col.width
        bold = Font(bold=True)
        header = []
        for col in cols:
            cell = self.new_cell(self.sheet, value=col.header)
            cell.font = bold
            header.append(cell)
        self.sheet.append(header)
        self.rows = 1

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        for row in rows:
            self.sheet.append([self._cell(c, v) for c, v in zip(self.cols, row, strict=True)])
        self.rows += len(rows)

    def _cell(self, col: Column, value: Any) -> Any:
        if value is None:
            return None
        if col.kind == "date":
            cell = self.new_cell(self.sheet, value=value)
            cell.number_format = DATE_FORMAT
            return cell
        if col.kind == "int":
            return int(value)
        if col.kind == "flag":
            return self.yes if value else self.no
        text = col.values.get(str(value), str(value)) if col.kind == "label" else str(value)
        if not text.startswith(("=", "#")):
            return text
        cell = self.new_cell(self.sheet, value=text)
        cell.data_type = "s"  # a pseudonym like "=1+1" or "#N/A" stays text, never a formula
        return cell

    def close(self) -> None:
        last = self.column_letter(len(self.cols))
        # openpyxl has the autofilter on write-only sheets too; its type stubs lack it
        self.sheet.auto_filter.ref = f"A1:{last}{self.rows}"  # type: ignore[attr-defined]
        self.book.save(self.out)


async def write_export(
    services: Services,
    session: AsyncSession,
    selection: Selection,
    outputs: Mapping[Format, BinaryIO],
) -> int:
    """Write the selected trajectories to one output per format; the number of rows."""
    cols = columns(services)
    r = services.renderer
    flags = (r.text("export_yes"), r.text("export_no"))
    writers: list[_Writer] = [
        CsvWriter(out, cols, flags)
        if fmt == "csv"
        else XlsxWriter(out, cols, flags, r.text("export_sheet"))
        for fmt, out in outputs.items()
    ]
    count = 0
    keys = [key for key, _ in _LAYOUT]
    repo = TrajectoryRepo(session)
    async for rows in repo.export_rows(keys, selection.region, selection.year, BATCH):
        count += len(rows)
        for writer in writers:
            await asyncio.to_thread(writer.write, rows)
    for writer in writers:
        await asyncio.to_thread(writer.close)
    return count


# -- /export in the bot --------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    name: str
    content: bytes
    caption: str


@dataclass(frozen=True)
class ExportDone:
    """The menu message becomes `reply`; then the files follow as documents."""

    reply: Reply
    files: tuple[ExportFile, ...]


async def export_menu(
    services: Services, session: AsyncSession, person: Person, chat_type: str
) -> Reply:
    """/export: which years (this year or all), for the caller's own scope."""
    r = services.renderer
    who = await caller(services, session, person)
    if chat_type != "private":
        return Reply(r.text("export_private_only"))
    scope = _scope(who.role, who.region)
    if scope is None:
        return Reply(r.text("export_not_allowed"))
    year = services.clock().year
    buttons = [
        Button(r.text("export_this_year", year=year), build(Flow.EXPORT, "get", scope, year)),
        Button(r.text("export_all_years"), build(Flow.EXPORT, "get", scope, "all")),
    ]
    return Reply.column(
        r.render(
            "export/menu.html.j2",
            region=services.region_name(who.region) if scope != "nl" else None,
        ),
        buttons,
    )


def _scope(role: str | None, region: str | None) -> str | None:
    """What the caller may export: 'nl' (everything), its own region code, or nothing."""
    if role == Role.PROGRAMME:
        return "nl"
    if role == Role.REGIO and region is not None:
        return region
    return None


async def export_press(
    services: Services, session: AsyncSession, person: Person, chat_type: str, data: str
) -> ExportDone | Notice:
    """exp:get:<nl|AMxx>:<year|all>: the role is checked again; a forged scope gets nothing."""
    r = services.renderer
    who = await caller(services, session, person)
    allowed = _scope(who.role, who.region)
    if allowed is None:
        return Notice(r.text("export_not_allowed"), alert=True)
    if chat_type != "private":
        return Notice(r.text("export_private_only"), alert=True)
    pressed = parse(data)
    if pressed is None or pressed.flow is not Flow.EXPORT:
        return Notice(r.text("stale_button"))
    scope, year_text = pressed.args
    if scope != allowed and not (allowed == "nl" and scope in services.region_codes()):
        return Notice(r.text("export_own_region_only"), alert=True)
    this_year = services.clock().year
    year: int | None = None
    if year_text != "all":
        year = as_number(year_text)
        if year is None or not YEAR_MIN <= year <= this_year + 1:
            return Notice(r.text("stale_button"))
    selection = Selection(None if scope == "nl" else scope, year)
    buffers = {fmt: io.BytesIO() for fmt in FORMATS}
    count = await write_export(services, session, selection, buffers)
    region = services.region_name(selection.region)
    files = tuple(
        ExportFile(
            selection.file_name(fmt),
            buffers[fmt].getvalue(),
            r.text(f"export_caption_{fmt}"),
        )
        for fmt in FORMATS
    )
    text = r.render(
        "export/done.html.j2", count=count, region=region, code=selection.region, year=year
    )
    return ExportDone(Reply(text), files)
