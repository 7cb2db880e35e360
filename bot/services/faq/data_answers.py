"""Data questions answered from the database (knowledge/data_questions.py recognises them):
a region's division and target, the regions of a division, a region's or the country's
progress, the asker's own running and untouched trajectories.

The same sources and the same rules as the commands: division and target are programme facts
for everyone (as `/regio` shows them); progress figures only for those `/regio` and
`/landelijk` show them to; trajectories only for staff, and only their own. Every answer says
where its figures come from and when, and offers the matching command as a button.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.callbacks import Flow, build
from bot.domain import Role
from bot.services import Services
from bot.services.people.accounts import Caller
from bot.services.progress import figures
from bot.services.progress.regions import YEAR_MIN
from bot.services.shared.dates import show_day, show_long_day
from bot.services.shared.replies import Button, Reply
from bot.storage.stats import RegionYearRow, StatsRepo
from bot.storage.trajectories import TrajectoryRepo
from knowledge.data_questions import OWN, DataKind, DataQuestion

STALE_SHOWN = 8  # trajectories listed (with a button each) in an answer about untouched ones


@dataclass(frozen=True)
class DataAnswer:
    reply: Reply
    ref: str  # "data:<kind>", for `hoofdzaak ask --json` and the question log
    answered: bool  # False: a friendly "not for you" or "which region?"


# The CLI (`hoofdzaak ask`) asks as the operator: everything except what needs an own region
# or own trajectories.
OPERATOR = Caller(telegram_id=0, user_id=None, role=Role.PROGRAMME, region=None)


def _helpers(services: Services) -> dict[str, Any]:
    return {
        "number": figures.number,
        "percent": figures.percent,
        "day": show_day,
        "long_day": show_long_day,
        "divisions": {d.id: d.name for d in services.kb.regions.divisions},
    }


def _label(services: Services, code: str) -> str:
    return f"{services.region_name(code) or code} ({code})"


def _sees_region(who: Caller, code: str) -> bool:
    """What `/regio` allows: the programme team every region, coach and regio their own."""
    return who.role == Role.PROGRAMME or (who.role is not None and who.region == code)


def _regio_button(services: Services, code: str, year: int) -> Button:
    return Button(
        services.renderer.text("data_button_region", code=code, year=year),
        build(Flow.STATS, "r", code, year),
    )


class _Answering:
    """One data question of one caller: the year, the region, the reply's parts."""

    def __init__(
        self, services: Services, session: AsyncSession, who: Caller, dq: DataQuestion
    ) -> None:
        self.services, self.session, self.who, self.dq = services, session, who, dq
        self.now = services.clock()
        self.year = dq.year_in(self.now.year)
        self.r = services.renderer
        self.ref = f"data:{dq.kind.value}"

    def reply(self, name: str, buttons: list[Button] | None = None, **values: Any) -> DataAnswer:
        text = self.r.render(
            f"data/{name}.html.j2",
            dq=self.dq,
            year=self.year,
            now=self.now.date(),
            **_helpers(self.services),
            **values,
        )
        return DataAnswer(Reply.column(text, buttons or []), self.ref, True)

    def refuse(self, key: str, **values: Any) -> DataAnswer:
        return DataAnswer(Reply(self.r.text(key, **values)), self.ref, False)

    def region(self) -> str | DataAnswer:
        """The region asked about: named, or the caller's own."""
        if self.dq.region != OWN:
            return str(self.dq.region)
        if self.who.region is not None:
            return self.who.region
        if self.who is OPERATOR or self.who.role == Role.PROGRAMME:
            return self.refuse("data_name_the_region")
        if self.who.role is None:
            return self.refuse("data_own_region_no_account")
        return self.refuse("stats_no_region")

    # -- the kinds ---------------------------------------------------------------------------

    async def region_facts(self) -> DataAnswer:
        code = self.region()
        if isinstance(code, DataAnswer):
            return code
        if not YEAR_MIN <= self.year <= self.now.year + 1:
            return self.refuse("data_year_out_of_range", first=YEAR_MIN, last=self.now.year + 1)
        rows = await StatsRepo(self.session).regions(self.year, code)
        row = rows[0] if rows else RegionYearRow(code, code, None, None)
        buttons = []
        if _sees_region(self.who, code) and self.year <= self.now.year:
            buttons.append(_regio_button(self.services, code, self.year))
        return self.reply("region_facts", buttons, row=row, label=_label(self.services, code))

    async def division_regions(self) -> DataAnswer:
        """The regions of a division; of a region's division ("met welke regio's zitten wij
        in dezelfde divisie?", "… in dezelfde divisie als Zeeland?"); or of every division
        (the whole indeling)."""
        if not YEAR_MIN <= self.year <= self.now.year + 1:
            return self.refuse("data_year_out_of_range", first=YEAR_MIN, last=self.now.year + 1)
        rows = await StatsRepo(self.session).regions(self.year)
        division, own = self.dq.division, None
        if self.dq.region is not None:
            code = self.region()
            if isinstance(code, DataAnswer):
                return code
            own = next((r for r in rows if r.code == code), None)
            if own is None or own.division is None:
                return self.reply(
                    "region_facts",
                    row=own or RegionYearRow(code, code, None, None),
                    label=_label(self.services, code),
                )
            division = own.division
        order = [d.id for d in self.services.kb.regions.divisions]
        groups = [
            (d, [r for r in rows if r.division == d])
            for d in ([division] if division is not None else order)
        ]
        return self.reply("division_regions", groups=groups, own=own)

    async def region_progress(self) -> DataAnswer:
        if self.who.role is None:
            return DataAnswer(Reply(self.r.render("stats/no_access.html.j2")), self.ref, False)
        code = self.region()
        if isinstance(code, DataAnswer):
            return code
        if not _sees_region(self.who, code):
            return self.refuse("data_other_region", region=_label(self.services, code))
        if not YEAR_MIN <= self.year <= self.now.year:
            return self.refuse("data_year_out_of_range", first=YEAR_MIN, last=self.now.year)
        f = await figures.region_figures(self.session, code, self.year, self.now.date())
        if f is None:  # a region the database does not have (yet)
            return self.refuse("data_name_the_region")
        return self.reply("region_progress", [_regio_button(self.services, code, self.year)], f=f)

    async def national_progress(self) -> DataAnswer:
        if self.who.role is None:
            return DataAnswer(Reply(self.r.render("stats/no_access.html.j2")), self.ref, False)
        if not self.who.can(Role.REGIO, Role.PROGRAMME):
            return self.refuse("stats_national_not_allowed")
        if not YEAR_MIN <= self.year <= self.now.year:
            return self.refuse("data_year_out_of_range", first=YEAR_MIN, last=self.now.year)
        n = await figures.national_figures(
            self.session, self.services.kb, self.year, self.now.date()
        )
        button = Button(
            self.r.text("data_button_national", year=self.year), build(Flow.STATS, "l", self.year)
        )
        return self.reply("national_progress", [button], n=n, ambition=figures.NATIONAL_AMBITION)

    async def mine(self) -> DataAnswer:
        if self.who.role is None or self.who.user_id is None:
            key = "data_mine_operator" if self.who is OPERATOR else "data_mine_no_account"
            return self.refuse(key)
        repo = TrajectoryRepo(self.session)
        listing = Button(self.r.text("data_button_mine"), build(Flow.TRAJECTORY, "l", "m", 0))
        if self.dq.kind is DataKind.MY_RUNNING:
            running, placed = await repo.open_count(self.who.user_id)
            return self.reply("my_running", [listing], running=running, placed=placed)
        before = self.now - timedelta(days=self.dq.days)
        total, rows = await repo.not_updated_since(self.who.user_id, before, STALE_SHOWN)
        buttons = [
            Button(
                self.r.text(
                    "data_stale_row",
                    reference=t.reference,
                    pseudonym=t.pseudonym or "–",
                    days=(self.now - t.updated_at).days,
                )[:64],
                build(Flow.TRAJECTORY, "d", t.id),
            )
            for t in rows
        ]
        # nothing untouched: because all are up to date, or because there are none at all
        still_open = sum(await repo.open_count(self.who.user_id)) if total == 0 else total
        return self.reply(
            "my_stale", [*buttons, listing], total=total, shown=len(rows), still_open=still_open
        )


async def answer(
    services: Services, session: AsyncSession, who: Caller, dq: DataQuestion
) -> DataAnswer:
    """The reply to a recognised data question, for this caller."""
    a = _Answering(services, session, who, dq)
    if dq.kind is DataKind.REGION_FACTS:
        return await a.region_facts()
    if dq.kind is DataKind.DIVISION_REGIONS:
        return await a.division_regions()
    if dq.kind is DataKind.REGION_PROGRESS:
        return await a.region_progress()
    if dq.kind is DataKind.NATIONAL_PROGRESS:
        return await a.national_progress()
    return await a.mine()
