"""Progress figures: a region's year against its target (/regio) and all regions (/landelijk).

For a year Y the reference date is today (Europe/Amsterdam) in the current year and
31 December of Y otherwise. The counts come from SQL aggregates (`bot.storage.stats`); this
module adds the ratios, sorts the 35 regional rows, sums them per division, renders the
messages and the charts, and checks who may see what on every command and button.
Definitions: docs/stats.md.

Callback data: `st:r:<region>:<year>` (a region), `st:l:<year>` (national), `st:p:<year>`
(pick a region, programme team only).
"""

from __future__ import annotations

import calendar
import html
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import Flow, build, parse
from bot.domain import Role
from bot.render import dutch_number
from bot.services import Services
from bot.services.people.accounts import Caller, caller
from bot.services.progress import charts
from bot.services.progress.regions import YEAR_MIN
from bot.services.shared.dates import show_day
from bot.services.shared.inputs import as_number
from bot.services.shared.replies import Button, Notice, Person, Reply, region_rows
from bot.storage.stats import Counts, StatsRepo
from knowledge.kb import KnowledgeBase

# The national ambition (programme page and FAQ): 100 trajectories a year in every region,
# about 3,500 people a year. Regional targets themselves are data (region_years).
AMBITION_PER_REGION = 100
NATIONAL_AMBITION = 3500


@dataclass(frozen=True)
class Period:
    year: int
    ref: date  # the reference date: today in the current year, else 31 December
    current: bool  # the year is this year

    @property
    def days(self) -> int:
        return 366 if calendar.isleap(self.year) else 365

    @property
    def elapsed(self) -> float:
        """The share of the year up to and including the reference date."""
        return self.ref.timetuple().tm_yday / self.days


def period(year: int, today: date) -> Period:
    return Period(year, today if year == today.year else date(year, 12, 31), year == today.year)


def whole(x: float) -> int:
    """Rounded half up (0.5 → 1), as people round."""
    return math.floor(x + 0.5)


def _share(part: int, whole_: int) -> float | None:
    return part / whole_ if whole_ else None


class _Rates:
    """Ratios over `counts` against `target` in `period` (shared by regions and totals)."""

    target: int | None
    period: Period
    counts: Counts

    @property
    def progress(self) -> float | None:
        """Started / target; None without a (non-zero) target."""
        return _share(self.counts.started, self.target or 0)

    @property
    def expected(self) -> float | None:
        """Target × the share of the year that has passed (pro rata)."""
        return self.target * self.period.elapsed if self.target else None

    @property
    def on_schedule(self) -> bool | None:
        """At least the expected number started (rounded to whole trajectories)."""
        expected = self.expected
        return None if expected is None else self.counts.started >= whole(expected)

    @property
    def paid_share(self) -> float | None:
        """Of the trajectories started in the year, the share with a placement date."""
        return _share(self.counts.started_placed, self.counts.started)

    @property
    def lasting_share(self) -> float | None:
        """Of the trajectories ended in the year, the share that ended in lasting paid work."""
        return _share(self.counts.ended_lasting, self.counts.ended)


@dataclass(frozen=True)
class RegionFigures(_Rates):
    code: str
    name: str
    division: str | None
    target: int | None
    period: Period
    counts: Counts
    per_month: tuple[int, ...] = ()  # started in each month (/regio only)

    def cumulative(self) -> list[int]:
        """Started so far at the end of each month, up to the reference month (or later,
        if trajectories already start in a later month)."""
        last = max([self.period.ref.month, *(i + 1 for i, n in enumerate(self.per_month) if n)])
        out, total = [], 0
        for n in self.per_month[:last]:
            total += n
            out.append(total)
        return out


@dataclass(frozen=True)
class GroupTotal(_Rates):
    """A sum over regions: a division, the regions without one, or the whole country."""

    division: str | None
    regions: int
    without_target: int  # regions with no (or a zero) target: their starts count, no target
    target: int | None  # sum of the targets that are set; None if none is
    period: Period
    counts: Counts


@dataclass(frozen=True)
class National:
    period: Period
    regions: list[RegionFigures]  # by progress, highest first; regions without a target last
    divisions: list[GroupTotal]  # in the order of knowledge/regions.yaml, then "no division"
    total: GroupTotal

    @property
    def ambition_progress(self) -> float:
        return self.total.counts.started / NATIONAL_AMBITION


# -- figures ---------------------------------------------------------------------------------


async def region_figures(
    session: AsyncSession, code: str, year: int, today: date
) -> RegionFigures | None:
    """One region's figures for the year, with starts per month; None for an unknown code."""
    repo = StatsRepo(session)
    rows = await repo.regions(year, code)
    if not rows:
        return None
    row = rows[0]
    when = period(year, today)
    counts = (await repo.counts_per_region(year, when.ref, code)).get(code, Counts())
    per_month = tuple(await repo.started_per_month(code, year))
    return RegionFigures(row.code, row.name, row.division, row.target, when, counts, per_month)


def _sort_key(f: RegionFigures) -> tuple[bool, float, int, str]:
    return (f.progress is None, -(f.progress or 0.0), -f.counts.started, f.code)


def _total(division: str | None, rows: list[RegionFigures], when: Period) -> GroupTotal:
    targets = [f.target for f in rows if f.target]
    counts = sum((f.counts for f in rows), Counts())
    return GroupTotal(
        division,
        len(rows),
        len(rows) - len(targets),
        sum(targets) if targets else None,
        when,
        counts,
    )


async def national_figures(
    session: AsyncSession, kb: KnowledgeBase, year: int, today: date
) -> National:
    """All regions in one GROUP BY, sorted by progress; totals per division and national.

    The totals add up the 35 aggregated rows (never trajectory rows).
    """
    repo = StatsRepo(session)
    when = period(year, today)
    counts = await repo.counts_per_region(year, when.ref)
    rows = sorted(
        (
            RegionFigures(r.code, r.name, r.division, r.target, when, counts.get(r.code, Counts()))
            for r in await repo.regions(year)
        ),
        key=_sort_key,
    )
    order = [d.id for d in kb.regions.divisions]
    order += sorted({f.division for f in rows if f.division and f.division not in order})
    divisions = [
        _total(d, [f for f in rows if f.division == d], when)
        for d in order
        if any(f.division == d for f in rows)
    ]
    if any(f.division is None for f in rows):
        divisions.append(_total(None, [f for f in rows if f.division is None], when))
    return National(when, rows, divisions, _total(None, rows, when))


# -- JSON (hoofdzaak stats --json) -----------------------------------------------------------


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def _rates_json(f: _Rates) -> dict[str, Any]:
    c = f.counts
    return {
        "target": f.target,
        "started": c.started,
        "progress": _r(f.progress),
        "expected": _r(f.expected),
        "on_schedule": f.on_schedule,
        "running": c.running,
        "placed": c.placed,
        "ended": c.ended,
        "started_with_paid_work": c.started_placed,
        "paid_work_share": _r(f.paid_share),
        "ended_in_lasting_paid_work": c.ended_lasting,
        "lasting_paid_work_share": _r(f.lasting_share),
    }


def region_json(f: RegionFigures) -> dict[str, Any]:
    return {
        "region": f.code,
        "name": f.name,
        "year": f.period.year,
        "reference_date": f.period.ref.isoformat(),
        "division": f.division,
        **_rates_json(f),
        "started_per_month": list(f.per_month),
        "cumulative_started": f.cumulative(),
    }


def national_json(n: National) -> dict[str, Any]:
    return {
        "year": n.period.year,
        "reference_date": n.period.ref.isoformat(),
        "regions": [
            {"region": f.code, "name": f.name, "division": f.division, **_rates_json(f)}
            for f in n.regions
        ],
        "divisions": [
            {
                "division": d.division,
                "regions": d.regions,
                "regions_without_target": d.without_target,
                **_rates_json(d),
            }
            for d in n.divisions
        ],
        "total": {
            "regions": n.total.regions,
            "regions_without_target": n.total.without_target,
            **_rates_json(n.total),
            "national_ambition": NATIONAL_AMBITION,
            "ambition_per_region": AMBITION_PER_REGION,
            "ambition_progress": _r(n.ambition_progress),
        },
    }


# -- messages and charts ---------------------------------------------------------------------


def number(n: float) -> str:
    """Dutch thousands separator: 3.500 (bot/render.py dutch_number, after `whole`)."""
    return dutch_number(whole(n))


def percent(x: float | None) -> str:
    return "–" if x is None else f"{whole(100 * x)}%"


day = show_day


def _division_names(kb: KnowledgeBase) -> dict[str, str]:
    return {d.id: d.name for d in kb.regions.divisions}


def _helpers(services: Services) -> dict[str, Any]:
    return {
        "number": number,
        "percent": percent,
        "day": day,
        "divisions": _division_names(services.kb),
    }


def region_text(services: Services, f: RegionFigures) -> str:
    return services.renderer.render("stats/region.html.j2", f=f, **_helpers(services))


def national_text(services: Services, n: National) -> str:
    return services.renderer.render(
        "stats/national.html.j2",
        n=n,
        ambition=NATIONAL_AMBITION,
        per_region=AMBITION_PER_REGION,
        **_helpers(services),
    )


def _month_ends(year: int) -> list[int]:
    """Day of the year on which each month ends."""
    out, total = [], 0
    for month in range(1, 13):
        total += calendar.monthrange(year, month)[1]
        out.append(total)
    return out


def region_chart(services: Services, f: RegionFigures) -> charts.RegionChart:
    t = services.renderer.text
    expected = (
        [f.target * d / f.period.days for d in _month_ends(f.period.year)] if f.target else None
    )
    return charts.RegionChart(
        title=t("stats_chart_region_title", name=f.name, code=f.code, year=f.period.year),
        months=t("stats_months").split(","),
        cumulative=f.cumulative(),
        expected=expected,
        target=f.target or None,
        started_label=t("stats_chart_started"),
        expected_label=t("stats_chart_pro_rata"),
        target_label=t("stats_chart_target", target=f.target),
        y_label=t("stats_chart_y"),
        note=None if f.target else t("stats_no_target", year=f.period.year),
    )


def national_chart(services: Services, n: National) -> charts.NationalChart:
    t = services.renderer.text
    order = [d.division for d in n.divisions if d.division is not None]
    names = _division_names(services.kb)
    expected = n.period.elapsed * 100 if n.period.current else None
    return charts.NationalChart(
        title=t("stats_chart_national_title", year=n.period.year),
        bars=[
            charts.Bar(
                f"{f.code} {f.name}"[:32],
                None if f.progress is None else 100 * f.progress,
                order.index(f.division) if f.division in order else None,
            )
            for f in n.regions
        ],
        groups=[names.get(d, d) for d in order],
        no_group_label=t("stats_chart_no_division"),
        x_label=t("stats_chart_progress"),
        target_label=t("stats_chart_full_target"),
        expected=expected,
        expected_label=t("stats_chart_expected", pct=whole(expected or 0)),
        no_target_label=t("stats_chart_no_target"),
    )


def region_png(services: Services, f: RegionFigures) -> bytes:
    return charts.region_chart(region_chart(services, f))


def national_png(services: Services, n: National) -> bytes:
    return charts.national_chart(national_chart(services, n))


# -- the chat side: who may see what ---------------------------------------------------------


@dataclass(frozen=True)
class StatsView:
    """Figures as a message (the answer) and a chart (a photo with a short caption)."""

    text: Reply
    png: bytes
    caption: Reply  # ≤ 1,024 characters, with the buttons (other year, other region)
    filename: str


def _year(text: str, today: date) -> int | None:
    """A year a button may ask for: from YEAR_MIN up to this year."""
    year = as_number(text)
    return year if year is not None and YEAR_MIN <= year <= today.year else None


def _year_row(
    services: Services, year: int, today: date, data: Callable[[int], str]
) -> tuple[Button, ...]:
    t = services.renderer.text
    row = []
    if year - 1 >= YEAR_MIN:
        row.append(Button(t("stats_year_back", year=year - 1), data(year - 1)))
    if year + 1 <= today.year:
        row.append(Button(t("stats_year_next", year=year + 1), data(year + 1)))
    return tuple(row)


def pick_region(services: Services, year: int) -> Reply:
    """The programme team chooses a region: 35 buttons, two per row."""
    rows = region_rows(
        services.kb.regions.regions, lambda code: build(Flow.STATS, "r", code, year)
    )
    current = year == services.clock().date().year
    return Reply(services.renderer.render("stats/pick.html.j2", year=year, current=current), rows)


async def region_view(
    services: Services, session: AsyncSession, who: Caller, code: str, year: int
) -> StatsView | Notice:
    today = services.clock().date()
    f = await region_figures(session, code, year, today)
    if f is None:
        return Notice(services.renderer.text("stale_button"))
    spec = region_chart(services, f)
    png = await charts.render(spec)
    rows = [_year_row(services, year, today, lambda y: build(Flow.STATS, "r", code, y))]
    if who.role == Role.PROGRAMME:
        rows.append(
            (Button(services.renderer.text("stats_other_region"), build(Flow.STATS, "p", year)),)
        )
    caption = services.renderer.render("stats/caption.html.j2", f=f, **_helpers(services))
    return StatsView(
        Reply(region_text(services, f)),
        png,
        Reply(caption, tuple(row for row in rows if row)),
        services.renderer.text("chart_file_region", code=code, year=year),
    )


async def national_view(services: Services, session: AsyncSession, year: int) -> StatsView:
    today = services.clock().date()
    n = await national_figures(session, services.kb, year, today)
    spec = national_chart(services, n)
    png = await charts.render(spec)
    row = _year_row(services, year, today, lambda y: build(Flow.STATS, "l", y))
    caption = services.renderer.render("stats/caption.html.j2", f=None, n=n, **_helpers(services))
    return StatsView(
        Reply(national_text(services, n)),
        png,
        Reply(caption, (row,) if row else ()),
        services.renderer.text("chart_file_national", year=year),
    )


def _typed(args: Sequence[str]) -> tuple[str | None, str | None]:
    """`/regio AM18 2025`, `/regio 2025`, `/landelijk 2025`: a region code and a year, if any."""
    code = next((a.upper() for a in args if re.fullmatch(r"(?i)am\d\d", a)), None)
    year = next((a for a in args if re.fullmatch(r"\d{4}", a)), None)
    return code, year


def _as_reply(result: Reply | Notice | StatsView) -> Reply | StatsView:
    """A command has no pop-up: a notice becomes a message."""
    return Reply(html.escape(result.text)) if isinstance(result, Notice) else result


async def region_command(
    services: Services, session: AsyncSession, person: Person, args: Sequence[str] = ()
) -> Reply | Notice | StatsView:
    """/regio [AMxx] [year]: the own region this year (coach, regio); the programme team picks
    a region (or types its code)."""
    who = await caller(services, session, person)
    r = services.renderer
    year = services.clock().date().year
    if who.role is None:
        return Reply(r.render("stats/no_access.html.j2"))
    code, typed_year = _typed(args)
    if args and (code or typed_year):
        if who.role == Role.PROGRAMME and code is None:
            return _as_reply(
                await press(services, session, person, build(Flow.STATS, "p", typed_year))
            )
        data = build(Flow.STATS, "r", code or who.region, typed_year or year)
        return _as_reply(await press(services, session, person, data))
    if who.role == Role.PROGRAMME:
        return pick_region(services, year)
    if who.region is None:
        return Reply(r.text("stats_no_region"))
    return await region_view(services, session, who, who.region, year)


async def national_command(
    services: Services, session: AsyncSession, person: Person, args: Sequence[str] = ()
) -> Reply | StatsView:
    """/landelijk [year]: all regions (regio and the programme team)."""
    who = await caller(services, session, person)
    r = services.renderer
    if who.role is None:
        return Reply(r.render("stats/no_access.html.j2"))
    if not who.can(Role.REGIO, Role.PROGRAMME):
        return Reply(r.text("stats_national_not_allowed"))
    _, typed_year = _typed(args)
    if typed_year is not None:
        return _as_reply(
            await press(services, session, person, build(Flow.STATS, "l", typed_year))
        )
    return await national_view(services, session, services.clock().date().year)


async def press(
    services: Services, session: AsyncSession, person: Person, data: str
) -> Reply | Notice | StatsView:
    """A `st:` button. The caller's role is checked again: callback data can be forged."""
    t = services.renderer.text
    who = await caller(services, session, person)
    if who.role is None:
        return Notice(t("stats_no_access"), alert=True)
    today = services.clock().date()
    pressed = parse(data)
    if pressed is None or pressed.flow is not Flow.STATS:
        return Notice(t("stale_button"))
    kind = pressed.action
    year = _year(pressed.args[-1], today)
    if kind == "l":
        if not who.can(Role.REGIO, Role.PROGRAMME):
            return Notice(t("stats_national_not_allowed"), alert=True)
        return (
            Notice(t("stale_button"))
            if year is None
            else await national_view(services, session, year)
        )
    if kind == "p":
        if who.role != Role.PROGRAMME:
            return Notice(t("stats_other_region_not_allowed"), alert=True)
        return Notice(t("stale_button")) if year is None else pick_region(services, year)
    if kind == "r":
        code = pressed.arg(0)
        if who.role != Role.PROGRAMME:
            if who.region is None:
                return Notice(t("stats_no_region"), alert=True)
            if code != who.region:
                return Notice(t("stats_other_region_not_allowed"), alert=True)
        if year is None or code not in services.region_codes():
            return Notice(t("stale_button"))
        return await region_view(services, session, who, code, year)
    return Notice(t("stale_button"))
