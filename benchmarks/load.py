"""Many people at once through the path `hoofdzaak run` takes: updates fetched by long polling,
the Application's update queue and its update processor (bot/ordering.py), then the whole
bot (handlers, conversations, persistence, matcher, charts, the database).

    python benchmarks/load.py [--users 50] [--seconds 60] [--db sqlite|postgresql|both]
                              [--think 0.5] [--seed 1] [--api-latency 100] [--heavy]
                              [--no-rate-limiter]

The stand-in for Telegram is the in-process fake Bot API: a person's message or button press
is queued there and reaches the bot through the real Updater's getUpdates, as from Telegram;
every Bot API call (getUpdates included) takes `--api-latency` ms, like the round trip to
Telegram; PTB's AIORateLimiter paces the bot's messages at Telegram's ~30 a second, as in
production (`--no-rate-limiter`: without it, to see the bot's own limit).

Every simulated person is an asyncio task of their own, all running at the same time. They
join by invite link (the programme team invites regio staff, regio staff invite their
coaches), then until the time is up:

- regio staff ask free-text questions (knowledge/eval_sets/faq_eval.tsv) and press a button
  under the answer (👍, a suggestion, "more"), look at their region's progress (/regio, with
  the chart, sometimes last year's too) and at their region's trajectories (/mijntrajecten);
- job coaches do a guided check (/kandidaat, /traject, /cofinanciering) to the verdict,
  register trajectories by chat (/registreer: every question to the confirmation), record
  the placement of many of them and end some (/mijntrajecten), and ask questions too.

Between two steps a person waits a random 10-100% of `--think` seconds (0: no waiting, the
most pressure). A flow under way when the time is up is finished. Flood control is set high:
a script is faster than any person (the limit has tests of its own).

Now and then a person sends two or three questions right after each other without waiting
(a quick typist, a double tap): their updates must be handled one after the other, in order.
With `--heavy` one more person, of the programme team, runs `/landelijk` and `/export` (the
national Excel) in a loop, the slowest commands there are; their own times are shown apart.

Per update the time from the moment it is queued at the stand-in Telegram until the bot has
handled it (p50/p95/p99/max per kind of action and overall; the first and the last third of
the run side by side, and how many updates were waiting, to see whether a queue builds up);
whether any person's updates were handled out of order or overlapping; errors: exceptions,
the error handler's apology, updates without any reply, replies that are not what the step
expects (e.g. the next question's buttons), errors logged. At the end the database is
checked: every registration a coach confirmed exists exactly once with the values given,
every placement and ending is stored, the question log has one row per question asked (small
talk has none) and the check log one per verdict reached. PostgreSQL runs in a throw-away
cluster (tests/support/pg.py). Prints figures; asserts nothing (targets: p95 < 1 s, no growing
queue, 0 errors, nothing lost, nothing reordered).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import math
import random
import re
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

from pydantic import SecretStr
from sqlalchemy import func, select
from telegram import Update

from bot.app import build_application, start_app, stop_app
from bot.config import Settings
from bot.fakeapi import OFFLINE_TOKEN, FakeBotAPI, SentMessage
from bot.offline import OfflineBot
from bot.ordering import OrderedUpdateProcessor
from bot.services import amsterdam_now
from bot.storage.models import CheckLog, QuestionLog, Trajectory, User
from bot.wiring import build_services
from knowledge.evaluation import EVAL_SETS, load_eval
from knowledge.kb import load_kb
from knowledge.matcher import Matcher, Outcome

ROOT = Path(__file__).resolve().parent.parent
T = TypeVar("T")
ADMIN = 9001
FIRST_USER = 500_000
REGIONS = 6  # regions the simulated people work in
REFERENCE = re.compile(r"HW-\d{4}-\d{5}")
ACTIONS = (
    "question",
    "answer button",
    "check",
    "registration",
    "placement",
    "ending",
    "progress /regio",
    "region list",
)
HEAVY = ("heavy /landelijk", "heavy /export")
UPDATE_TIMEOUT = 120.0  # an update not handled within this counts as lost


class FlowFailed(Exception):
    """A step did not get the reply it expects: the flow stops (counted as an error)."""


@dataclass
class Registered:
    reference: str
    coach: int  # Telegram id
    region: str
    pseudonym: str
    start_date: date
    values: dict[str, str]  # method, target_group, initiator, provider, benefit, treatment
    placement: tuple[date, int, str] | None = None  # date, hours per week, contract
    ending: tuple[date, str] | None = None  # date, reason


@dataclass
class Run:
    """What happened: latencies per action, errors, and what should be in the database."""

    latencies: defaultdict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    registered: list[Registered] = field(default_factory=list)
    questions_logged: int = 0  # questions that the bot logs (small talk is not logged)
    thumbs_up: int = 0
    verdicts: int = 0
    # when each measured update was queued and handled (s since the start), for the thirds
    timeline: list[tuple[float, float]] = field(default_factory=list)
    # each person's update ids in the order they sent them
    sent_by: defaultdict[int, list[int]] = field(default_factory=lambda: defaultdict(list))
    backlog: list[tuple[float, int]] = field(default_factory=list)  # (time, updates waiting)
    bursts: int = 0

    def error(self, kind: str, detail: str) -> None:
        self.errors[kind] += 1
        if len(self.samples) < 12:
            self.samples.append(f"{kind}: {detail}")


class ErrorLog(logging.Handler):
    """Counts what the bot logs at ERROR or worse (the error handler logs every exception)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        why = f": {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        self.records.append(record.getMessage() + (why if exc else ""))


class ObservedProcessor(OrderedUpdateProcessor):
    """The production update processor, plus a note of when each update's handling started
    and ended, and a future per update that its sender waits for."""

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self.waiters: dict[int, asyncio.Future[None]] = {}
        self.spans: dict[int, tuple[float, float]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        update_id = update.update_id if isinstance(update, Update) else -1
        begun: list[float] = []

        async def observed() -> None:
            begun.append(time.perf_counter())
            try:
                await coroutine
            finally:
                self.spans[update_id] = (begun[0], time.perf_counter())

        try:
            await super().do_process_update(update, observed())
        finally:
            waiter = self.waiters.pop(update_id, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(None)


_query_ids = itertools.count(1)


class Person:
    """One simulated person in their private chat; every update is timed and checked."""

    def __init__(self, bot: OfflineBot, run: Run, telegram_id: int, name: str) -> None:
        self.bot, self.run, self.id = bot, run, telegram_id
        self.chat = bot.chat(telegram_id, first_name=name)
        self.apology = bot.services.renderer.render("common/error.html.j2")
        self.action = "setup"
        self.measure = True
        self.current: int | None = None  # the message the last reply was in (its buttons)

    @property
    def api(self) -> FakeBotAPI:
        return self.bot.api

    def last(self) -> SentMessage:
        """The message the bot answered the last update with (not, say, a digest that the
        bot sent in between on its own)."""
        msg = self.api.messages.get((self.id, self.current or 0))
        if msg is None:
            raise FlowFailed("no message from the bot in this chat")
        return msg

    def buttons(self) -> list[str]:
        return [str(b.get("callback_data", "")) for b in self.last().buttons()]

    def button(self, prefix: str) -> str:
        found = [b for b in self.buttons() if b.startswith(prefix)]
        if not found:
            raise FlowFailed(f"no button {prefix}… under {self.last().text[:60]!r}")
        return found[0]

    @property
    def processor(self) -> ObservedProcessor:
        processor = self.bot.app.update_processor
        assert isinstance(processor, ObservedProcessor)
        return processor

    def _queue(self, data: dict[str, Any]) -> tuple[int, asyncio.Future[None]]:
        """Queue one update at the stand-in Telegram; the bot fetches it by long polling."""
        update_id = self.api.push_update(data)
        waiter = asyncio.get_running_loop().create_future()
        self.processor.waiters[update_id] = waiter
        self.run.sent_by[self.id].append(update_id)
        return update_id, waiter

    async def _handled(self, waiter: asyncio.Future[None], t0: float, what: str) -> None:
        try:
            async with asyncio.timeout(UPDATE_TIMEOUT):
                await waiter
        except TimeoutError:
            self.run.error("not handled", f"{self.action} {what}")
            raise FlowFailed("not handled") from None
        finally:
            if self.measure:
                done = time.perf_counter()
                self.run.latencies[self.action].append((done - t0) * 1000)
                if self.action not in HEAVY:
                    self.run.timeline.append((t0, done))

    def _answers(self, start: int, query_id: str | None, what: str) -> str:
        """What the bot answered in this chat since `start` (an index into the API calls)."""
        mine = [
            c
            for c in self.api.calls[start:]
            if str(c.params.get("chat_id")) == str(self.id)
            or (query_id is not None and c.params.get("callback_query_id") == query_id)
        ]
        replies = [c for c in mine if c.method not in ("sendChatAction", "setMyCommands")]
        for call in replies:
            if isinstance(call.result, dict) and "message_id" in call.result:
                self.current = int(call.result["message_id"])
        if not replies:
            self.run.error("no reply", f"{self.action} {what}")
            raise FlowFailed("no reply")
        text = "\n".join(str(c.params.get("text") or c.params.get("caption") or "") for c in mine)
        if self.apology in text:
            self.run.error("error reply", f"{self.action} {what}")
            raise FlowFailed("the error handler answered")
        return text

    async def _process(self, data: dict[str, Any], query_id: str | None, what: str) -> str:
        """One update through Telegram's queue and the bot; the text(s) it answered with."""
        start = len(self.api.calls)
        t0 = time.perf_counter()
        _, waiter = self._queue(data)
        await self._handled(waiter, t0, what)
        return self._answers(start, query_id, what)

    async def burst(self, texts: list[str]) -> None:
        """Several messages sent right after each other, without waiting for the answers."""
        start = len(self.api.calls)
        t0 = time.perf_counter()
        waiters = [self._queue({"message": self.chat._message(text)})[1] for text in texts]
        for waiter in waiters:
            await self._handled(waiter, t0, "burst")
        answers = [
            c
            for c in self.api.calls[start:]
            if c.method == "sendMessage" and str(c.params.get("chat_id")) == str(self.id)
        ]
        if len(answers) < len(texts):
            self.run.error("no reply", f"burst of {len(texts)}: {len(answers)} answers")
            raise FlowFailed("burst without all answers")
        if isinstance(answers[-1].result, dict):
            self.current = int(answers[-1].result["message_id"])
        self.run.bursts += 1

    async def send(self, text: str, expect: str | None = None) -> str:
        reply = await self._process({"message": self.chat._message(text)}, None, repr(text))
        self._expect(reply, expect, repr(text))
        return reply

    async def press(self, data: str, expect: str | None = None) -> str:
        msg = self.last()
        if data not in [str(b.get("callback_data")) for b in msg.buttons()]:
            raise FlowFailed(f"no button {data} under {msg.text[:60]!r}")
        query_id = f"q{next(_query_ids)}"
        query = {
            "id": query_id,
            "from": self.chat.user,
            "chat_instance": str(self.id),
            "message": {
                "message_id": msg.message_id,
                "date": int(time.time()),
                "chat": self.chat.chat,
                "from": {"id": 7000000001, "is_bot": True, "first_name": "Hoofdzaak Werk"},
                "text": msg.text,
            },
            "data": data,
        }
        reply = await self._process({"callback_query": query}, query_id, data)
        if expect is not None:  # an edit shows in the kept message, a toast in the reply
            self._expect(reply + "\n" + self.last().text, expect, data)
        return reply

    def _expect(self, text: str, expect: str | None, what: str) -> None:
        if expect is not None and expect.lower() not in text.lower():
            short = " ".join(text.split())[:90]
            self.run.error("unexpected reply", f"{self.action} {what}: want {expect!r}: {short}")
            raise FlowFailed(f"unexpected reply to {what}")

    def expect_button(self, prefix: str, what: str) -> None:
        if not any(b.startswith(prefix) for b in self.buttons()):
            short = " ".join(self.last().text.split())[:90]
            self.run.error("unexpected reply", f"{self.action} {what}: no {prefix}…: {short}")
            raise FlowFailed(f"no {prefix} after {what}")


# -- setup: invites by chat ----------------------------------------------------------------------


async def _invite(inviter: Person, role: str, region: str) -> str:
    await inviter.send("/uitnodigen", expect=None)
    text = await inviter.press(f"inv:new:{role}")
    if f"inv:new:{role}:{region}" in inviter.buttons():  # the programme team picks the region
        text = await inviter.press(f"inv:new:{role}:{region}")
    found = re.search(r"start=([A-Za-z0-9_-]+)", text)
    if not found:
        raise FlowFailed(f"no invite link: {text[:80]!r}")
    return found.group(1)


async def setup(bot: OfflineBot, run: Run, users: int) -> list[tuple[Person, str, str]]:
    """Everyone joins by invite link; returns the people with their role and region."""
    codes = [r.code for r in bot.services.kb.regions.regions[:REGIONS]]
    admin = Person(bot, run, ADMIN, "Programmateam")
    admin.measure = False
    people: list[tuple[Person, str, str]] = []
    regio_in: dict[str, Person] = {}
    for i in range(users):
        telegram_id = FIRST_USER + i
        region = codes[i % len(codes)]
        role = "regio" if i % 5 in (0, 3) else "coach"
        inviter = regio_in.get(region, admin) if role == "coach" else admin
        code = await _invite(inviter, role, region)
        person = Person(bot, run, telegram_id, f"{'Ria' if role == 'regio' else 'Coach'} {i}")
        person.measure = False
        await person.send(f"/start {code}", expect="regio" if role == "regio" else "jobcoach")
        if role == "regio":
            if not regio_in:  # starts the chart process (before the clock runs)
                await person.send("/regio", expect=region)
            regio_in.setdefault(region, person)
        people.append((person, role, region))
    return people


# -- what people do ------------------------------------------------------------------------------


class Behaviour:
    def __init__(
        self,
        person: Person,
        region: str,
        role: str,
        rng: random.Random,
        think: float,
        questions: list[tuple[str, bool]],
    ) -> None:
        self.p, self.region, self.role, self.rng = person, region, role, rng
        self.think_max = think
        self.questions = questions
        self.registered = 0

    async def think(self) -> None:
        pause = self.rng.uniform(self.think_max / 10, self.think_max) if self.think_max else 0
        await asyncio.sleep(pause)

    @contextmanager
    def acting(self, action: str) -> Iterator[None]:
        self.p.action = action
        yield

    async def step(self, action: str, call: Awaitable[T]) -> T:
        """Think, then take the step (`call` runs only when awaited, after the pause)."""
        await self.think()
        with self.acting(action):
            return await call

    # -- regio staff and coaches ---------------------------------------------------------------

    async def question(self) -> None:
        if self.rng.random() < 0.1:
            picked = [self.rng.choice(self.questions) for _ in range(self.rng.choice((2, 3)))]
            await self.step("question", self.p.burst([text for text, _ in picked]))
            self.p.run.questions_logged += sum(1 for _, logged in picked if logged)
            return
        text, logged = self.rng.choice(self.questions)
        await self.step("question", self.p.send(text))
        if logged:
            self.p.run.questions_logged += 1
        if self.rng.random() < 0.5:
            buttons = self.p.buttons()
            for prefix in ("qa:up:", "qa:pick:", "qa:more:", "qa:rel:"):
                found = [b for b in buttons if b.startswith(prefix)]
                if found:
                    choice = self.rng.choice(found)
                    reply = await self.step("answer button", self.p.press(choice))
                    if prefix == "qa:up:" and "dank" in reply.lower():
                        self.p.run.thumbs_up += 1
                    break

    # -- regio staff ------------------------------------------------------------------------------

    async def progress(self) -> None:
        p = self.p
        await self.step("progress /regio", p.send("/regio", expect=self.region))
        year = amsterdam_now().year - 1
        if self.rng.random() < 0.3:
            data = f"st:r:{self.region}:{year}"
            await self.step("progress /regio", p.press(data, expect=str(year)))

    async def region_list(self) -> None:
        p = self.p
        await self.step("region list", p.send("/mijntrajecten", expect="traject"))
        await self.step("region list", p.press("mt:l:r:0", expect="traject"))

    # -- coaches ------------------------------------------------------------------------------

    async def check(self) -> None:
        p = self.p
        command = self.rng.choice(("kandidaat", "traject", "cofinanciering"))
        await self.step("check", p.send(f"/{command}"))
        path = ""
        for _ in range(20):
            options = [
                b
                for b in p.buttons()
                if b.startswith("chk:")
                and b.count(":") == 3
                and len(b.rsplit(":", 1)[1]) == len(path) + 1
            ]
            if not options:
                break
            choice = self.rng.choice(options)
            await self.step("check", p.press(choice))
            path = choice.rsplit(":", 1)[1]
        else:
            raise FlowFailed(f"/{command} never reached a verdict")
        if not path:
            p.run.error("unexpected reply", f"/{command}: no question")
            raise FlowFailed("no question")
        p.run.verdicts += 1

    async def _choose(self, step: str, allowed: tuple[str, ...] | None = None) -> str:
        p = self.p
        prefix = f"new:v:{step}:"
        values = [b[len(prefix) :] for b in p.buttons() if b.startswith(prefix)]
        if allowed is not None:
            values = [v for v in values if v in allowed]
        if not values:
            p.run.error("unexpected reply", f"registration: no {prefix}… to choose")
            raise FlowFailed(f"no {prefix}")
        value = self.rng.choice(values)
        await self.step("registration", p.press(prefix + value))
        return value

    async def register(self) -> Registered:
        p = self.p
        self.registered += 1
        pseudonym = f"KL-{p.id % 1000:03d}-{self.registered:03d}"
        today = amsterdam_now().date()
        start = date(today.year, 1, 1) + timedelta(
            days=self.rng.randrange(max(1, (today - date(today.year, 1, 1)).days - 5))
        )
        await self.step("registration", p.send("/registreer", expect="pseudoniem"))
        await self.step("registration", p.send(pseudonym, expect="Wanneer is het traject gestart"))
        typed = f"{start.day}-{start.month}-{start.year}"
        await self.step("registration", p.send(typed))
        p.expect_button("new:v:method:", "start date")
        values = {}
        for step in ("method", "target_group", "initiator", "provider", "benefit"):
            values[step] = await self._choose(step)
        values["treatment"] = await self._choose("ggz", ("basis", "specialistisch"))
        await self._choose("werken", ("ja",))
        p.expect_button("new:ok", "the summary")
        saved = await self.step("registration", p.press("new:ok", expect="HW-"))
        found = REFERENCE.search(saved) or REFERENCE.search(p.last().text)
        if found is None:
            p.run.error("unexpected reply", f"registration confirmed without a reference: {saved}")
            raise FlowFailed("no reference")
        done = Registered(found.group(0), p.id, self.region, pseudonym, start, values)
        p.run.registered.append(done)
        return done

    async def place(self, done: Registered) -> None:
        p = self.p
        await self.step("placement", p.send("/mijntrajecten", expect="traject"))
        mine = [
            str(b.get("callback_data"))
            for b in p.last().buttons()
            if done.reference in str(b.get("text"))
        ]
        if not mine:
            p.run.error("unexpected reply", f"{done.reference} not in the coach's list")
            raise FlowFailed("not listed")
        await self.step("placement", p.press(mine[0], expect=done.reference))
        tid = mine[0].rsplit(":", 1)[1]
        form = p.button(f"mt:p:{tid}:")
        await self.step("placement", p.press(form))
        day = min(
            done.start_date + timedelta(days=self.rng.randrange(1, 4)), amsterdam_now().date()
        )
        typed = f"{day.day}-{day.month}-{day.year}"
        await self.step("placement", p.send(typed, expect="uur"))
        hours = self.rng.choice((8, 12, 16, 20, 24, 32, 36))
        await self.step("placement", p.send(str(hours)))
        p.expect_button("mt:v:contract:", "hours")
        contract = self.rng.choice(
            [b.rsplit(":", 1)[1] for b in p.buttons() if b.startswith("mt:v:contract:")]
        )
        await self.step(
            "placement",
            p.press(f"mt:v:contract:{contract}", expect="Plaatsing opgeslagen"),
        )
        done.placement = (day, hours, contract)
        if self.rng.random() < 0.5:
            ending = p.button(f"mt:e:{tid}:")
            await self.step("ending", p.press(ending))
            await self.step("ending", p.send("vandaag"))
            p.expect_button("mt:v:end_reason:", "end date")
            reason = self.rng.choice(
                [b.rsplit(":", 1)[1] for b in p.buttons() if b.startswith("mt:v:end_reason:")]
            )
            await self.step("ending", p.press(f"mt:v:end_reason:{reason}", expect="beëindigd"))
            done.ending = (amsterdam_now().date(), reason)

    async def coach_trajectory(self) -> None:
        done = await self.register()
        if self.rng.random() < 0.6:
            await self.place(done)

    # -- the loop -------------------------------------------------------------------------------

    async def live(self, until: float) -> None:
        if self.role == "regio":
            flows = [(self.question, 6), (self.progress, 1), (self.region_list, 2)]
        else:
            flows = [(self.coach_trajectory, 4), (self.check, 3), (self.question, 3)]
        actions, weights = zip(*flows, strict=True)
        while time.perf_counter() < until:
            flow = self.rng.choices(actions, weights)[0]
            try:
                await flow()
            except FlowFailed:
                # start again from nothing: close any form that is still open
                self.p.measure = False
                with suppress(FlowFailed):
                    await self.p.send("/stop")
                self.p.measure = True


async def heavy(person: Person, until: float) -> None:
    """The programme team's slowest commands, one after the other, for the whole run."""
    year = amsterdam_now().year
    while time.perf_counter() < until:
        try:
            person.action = "heavy /landelijk"
            await person.send("/landelijk", expect="landelijk")
            person.action = "heavy /export"
            await person.send("/export")
            await person.press(f"exp:get:nl:{year}", expect="traject")
        except FlowFailed:
            person.measure = False
            with suppress(FlowFailed):
                await person.send("/stop")
            person.measure = True


def reordered(run: Run, spans: dict[int, tuple[float, float]]) -> int:
    """Updates of one person whose handling began before their previous one had ended."""
    bad = 0
    for ids in run.sent_by.values():
        handled = [spans[i] for i in ids if i in spans]
        bad += sum(1 for (_, end), (begin, _) in itertools.pairwise(handled) if begin < end)
    return bad


async def sample_backlog(run: Run, processor: ObservedProcessor, start: float) -> None:
    """Every quarter second: how many updates are queued or being handled."""
    while True:
        run.backlog.append((time.perf_counter() - start, len(processor.waiters)))
        await asyncio.sleep(0.25)


# -- checking the database ------------------------------------------------------------------------


async def lost(bot: OfflineBot, run: Run) -> tuple[int, list[str]]:
    """How many things the people did are not (exactly) in the database, and a summary."""
    missing = 0
    notes = []
    async with bot.services.db.session() as session:
        ids = dict((await session.execute(select(User.telegram_id, User.id))).tuples().all())
        rows = list((await session.execute(select(Trajectory))).scalars())
        by_ref: dict[str, list[Trajectory]] = defaultdict(list)
        for row in rows:
            by_ref[row.reference].append(row)
        registrations = placements = endings = 0
        for done in run.registered:
            found = [
                r
                for r in by_ref.get(done.reference, [])
                if r.coach_id == ids.get(done.coach)
                and r.pseudonym == done.pseudonym
                and r.region == done.region
                and r.start_date == done.start_date
                and all(getattr(r, k) == v for k, v in done.values.items())
            ]
            twice = sum(
                1
                for r in rows
                if r.pseudonym == done.pseudonym and r.coach_id == ids.get(done.coach)
            )
            if len(found) != 1 or twice != 1:
                missing += 1
                continue
            registrations += 1
            row = found[0]
            if done.placement is not None:
                if (row.placement_date, row.hours_per_week, row.contract) == done.placement:
                    placements += 1
                else:
                    missing += 1
            if done.ending is not None:
                if (row.end_date, row.end_reason, row.status) == (*done.ending, "beeindigd"):
                    endings += 1
                else:
                    missing += 1
        extra = len(rows) - registrations
        missing += max(0, extra)
        n_placed = sum(1 for d in run.registered if d.placement)
        n_ended = sum(1 for d in run.registered if d.ending)
        notes.append(f"registrations {registrations}/{len(run.registered)} exactly once")
        notes.append(f"placements {placements}/{n_placed}, endings {endings}/{n_ended}")
        if extra:
            notes.append(f"{extra} trajectories nobody confirmed")
        logged = await session.scalar(select(func.count()).select_from(QuestionLog)) or 0
        ups = await session.scalar(
            select(func.count()).select_from(QuestionLog).where(QuestionLog.feedback == "up")
        )
        checks = await session.scalar(select(func.count()).select_from(CheckLog)) or 0
    for name, stored, expected in (
        ("question log", logged, run.questions_logged),
        ("👍", ups or 0, run.thumbs_up),
        ("check log", checks, run.verdicts),
    ):
        notes.append(f"{name} {stored}/{expected}")
        missing += abs(stored - expected)
    return missing, notes


# -- running and reporting -----------------------------------------------------------------------


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p * len(ordered)) - 1)]


def _row(name: str, values: list[float]) -> str:
    return (
        f"  {name:<17}{len(values):>8}"
        + "".join(f"{_pct(values, p):>9.1f}" for p in (0.5, 0.95, 0.99))
        + f"{max(values):>9.1f}"
    )


def report(
    title: str,
    run: Run,
    elapsed: float,
    logged: list[str],
    missing: int,
    notes: list[str],
    out_of_order: int,
) -> None:
    everything = [v for a, values in run.latencies.items() if a not in HEAVY for v in values]
    print(
        f"{title}: {len(everything)} updates in {elapsed:.1f} s, {len(everything) / elapsed:.0f}/s"
    )
    print(f"  {'action':<17}{'updates':>8}{'p50':>9}{'p95':>9}{'p99':>9}{'max':>9}  ms")
    rows = [(a, run.latencies[a]) for a in ACTIONS if run.latencies.get(a)]
    for name, values in [*rows, ("overall", everything)]:
        if values:
            print(_row(name, values))
    for name in HEAVY:
        if run.latencies.get(name):
            print(_row(name, run.latencies[name]))
    start = min((t for t, _ in run.timeline), default=0.0)
    third = elapsed / 3
    thirds = []
    for i in (0, 2):
        lo, hi = start + i * third, start + (i + 1) * third
        part = [(d - t) * 1000 for t, d in run.timeline if lo <= t < hi]
        thirds.append(_pct(part, 0.95) if part else float("nan"))
    waiting = [n for _, n in run.backlog]
    last = [n for t, n in run.backlog if t >= 2 * third]
    print(
        f"  queue: p95 first third {thirds[0]:.0f} ms, last third {thirds[1]:.0f} ms; updates "
        f"waiting or in hand: mean {sum(waiting) / max(1, len(waiting)):.1f}, "
        f"max {max(waiting, default=0)}, mean in the last third "
        f"{sum(last) / max(1, len(last)):.1f}"
    )
    growing = thirds[1] > 2 * thirds[0] + 100
    errors = sum(run.errors.values()) + len(logged)
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(run.errors.items())) or "none"
    print(f"  errors {errors} ({kinds}; logged at ERROR {len(logged)})")
    for sample in run.samples[:6] + [f"logged: {m}" for m in Counter(logged)][:6]:
        print(f"    {sample[:200]}")
    print(f"  lost {missing}: " + "; ".join(notes))
    print(
        f"  order: {out_of_order} updates handled before the same person's previous one ended "
        f"({run.bursts} bursts of 2-3 messages sent at once)"
    )
    p95 = _pct(everything, 0.95) if everything else float("nan")
    met = p95 < 1000 and errors == 0 and missing == 0 and out_of_order == 0 and not growing
    print(
        "  targets (p95 < 1 s, no growing queue, 0 errors, nothing lost, nothing reordered): "
        + ("met" if met else "NOT met")
    )


async def run_one(title: str, url: str, matcher: Matcher, args: argparse.Namespace) -> None:
    users, seconds, think, seed = args.users, args.seconds, args.think, args.seed
    settings = Settings(
        DATABASE_URL=SecretStr(url),
        HOOFDZAAK_FLOOD_LIMIT=10_000,
        HOOFDZAAK_ADMINS=(ADMIN,),
        HOOFDZAAK_RATE_LIMITER=not args.no_rate_limiter,
    )
    if args.concurrent_updates is not None:
        settings = settings.model_copy(update={"concurrent_updates": args.concurrent_updates})
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    logging.getLogger("bot").setLevel(logging.CRITICAL)  # counted, not printed
    logging.getLogger("handlers").setLevel(logging.ERROR)
    run = Run()
    rng = random.Random(seed)
    items = load_eval(EVAL_SETS / "faq_eval.tsv")
    questions = []
    for item in items:
        match = matcher.match(item.question)
        smalltalk = match.outcome is Outcome.SMALLTALK and bool(match.smalltalk)
        questions.append((item.question, not smalltalk))
    api = FakeBotAPI(latency=args.api_latency / 1000)
    processor = ObservedProcessor(settings.concurrent_updates)
    app = build_application(
        settings,
        request=api,
        services=build_services(settings, matcher=matcher),
        update_processor=processor,
        token=OFFLINE_TOKEN,
    )
    await start_app(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0, timeout=10)
    sampler: asyncio.Task[None] | None = None
    try:
        bot = OfflineBot(app, api)
        lives = []
        for person, role, region in await setup(bot, run, users):
            person.measure = True
            seeded = random.Random(rng.random())
            lives.append(Behaviour(person, region, role, seeded, think, questions))
        start = time.perf_counter()
        until = start + seconds
        sampler = asyncio.create_task(sample_backlog(run, processor, start))
        runs = [b.live(until) for b in lives]
        if args.heavy:
            runs.append(heavy(Person(bot, run, ADMIN, "Programmateam"), until))
        await asyncio.gather(*runs)
        elapsed = time.perf_counter() - start
        missing, notes = await lost(bot, run)
    finally:
        if sampler is not None:
            sampler.cancel()
        await app.updater.stop()
        await app.stop()
        await stop_app(app)
        logging.getLogger().removeHandler(errors)
    pause = f"think {think / 10:g}-{think:g} s" if think else "no think time"
    pause += f", {args.api_latency:g} ms per Bot API call"
    pause += ", no rate limiter" if args.no_rate_limiter else ", Telegram's rate limits"
    if args.heavy:
        pause += ", one person running /landelijk and /export in a loop"
    report(
        f"{title}: {users} users for {seconds:g} s ({pause}; "
        f"{settings.concurrent_updates} updates at once)",
        run,
        elapsed,
        errors.records,
        missing,
        notes,
        reordered(run, processor.spans),
    )


async def main_async(args: argparse.Namespace) -> None:
    matcher = Matcher(load_kb())
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    for kind in kinds:
        if kind == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite+aiosqlite:///{tmp}/load.db"
                await run_one("SQLite", url, matcher, args)
        else:
            sys.path.insert(0, str(ROOT))
            from tests.support.pg import PostgresCluster, find_bindir

            bindir = find_bindir()
            if bindir is None:
                print("PostgreSQL: not installed, skipped")
                continue
            cluster = PostgresCluster(bindir)
            await asyncio.to_thread(cluster.start)
            try:
                url = cluster.fresh_database()
                await run_one("PostgreSQL", url, matcher, args)
            finally:
                cluster.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--think", type=float, default=0.5, help="longest pause between steps, s (0: none)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--api-latency",
        type=float,
        default=100.0,
        help="ms each Bot API call takes, like the round trip to Telegram (default 100)",
    )
    parser.add_argument(
        "--heavy",
        action="store_true",
        help="one more person runs /landelijk and /export in a loop",
    )
    parser.add_argument(
        "--no-rate-limiter",
        action="store_true",
        help="without PTB's AIORateLimiter (Telegram's ~30 messages/s)",
    )
    parser.add_argument(
        "--concurrent-updates",
        type=int,
        default=None,
        help="updates handled at once (default: HOOFDZAAK_CONCURRENT_UPDATES, 32)",
    )
    args = parser.parse_args()
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
