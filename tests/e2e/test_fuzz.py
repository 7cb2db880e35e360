"""Fuzzing every conversation state with random text and random button data (hypothesis).

Whatever a person types or whatever callback data arrives, in every state the bot must:
- answer (a message for typed text, an answered button for a press), never with the error
  handler's apology and without logging an error;
- send only HTML that Telegram accepts (the fake Bot API refuses what Telegram refuses,
  so an unescaped echo of the user's text shows up as a failure);
- leave the database alone when it rejects the input: the same conversation state and draft
  (apart from the error it shows), the same stored rows, and the same question asked again.

One offline bot serves the whole module (starting one takes longer than a hundred examples);
every example uses a person who is at the state under test, a fresh one after an input that
moved the conversation on. The examples are derandomized, so a failure comes back in CI.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import logging
import re
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.callbacks import Flow
from bot.config import TIMEZONE, Settings
from bot.offline import OfflineBot, offline_bot
from bot.services import Services
from bot.services.messaging import announcements as ann
from bot.services.shared import forms
from bot.services.shared.inputs import InputError, clean_text
from bot.services.trajectories import records as t
from bot.simulator import ChatSimulator, Output
from bot.storage.models import Base, Trajectory, User
from bot.telegram_html import telegram_error as html_error
from bot.wiring import build_services
from knowledge.matcher import Matcher
from tests.support import ADMIN_ID, give_role

# the long examples make long reports when one fails; that is what they are for
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TIMEZONE)
TODAY = NOW.date()

# Telegram never delivers an empty text message: those arrive as something else (a photo …)
NASTY = (
    " ",
    " \n\t ",
    "\x00",
    "".join(chr(i) for i in range(32)),
    "\u200b",
    "\u202eKL-07",
    "KL\u200b-07",
    "a" * 5000,
    "🙂" * 2100,
    "👩‍👩‍👧‍👦🏳️‍🌈",
    "مرحبا، هل هذا مسار؟",
    "שלום עולם",
    "<b>",
    "</i>",
    "<b>vet</b>",
    "<script>alert(1)</script>",
    "<a href='javascript:alert(1)'>klik</a>",
    "a < b > c & d",
    "&lt;&amp;&#0;&bogus;",
    "*_[`",
    "```code```",
    "_*bold*_ [link](http://x)",
    "'; DROP TABLE users; --",
    "1 OR 1=1",
    "%s %d {0} {{x}} ${x}",
    "31-02-2026",
    "2026-13-45",
    "0-0-0",
    "29-2-2027",
    "12-3-99999",
    "99999999999999999999999999",
    "-1",
    "1e9",
    "0x10",
    "١٢-٣-٢٠٢٦",
    "١٦",
    "²",
    "¹²-³-²⁰²⁶",
    "12−3−2026",
    "12 maart 2026",
    "vandaag",
    "gisteren",
    "morgen 9:00",
    "24:61",
    "KL-07",
    "Jan Jansen",
    "111222333",
    "jan@example.nl",
    "+31 6 12345678",
    "16 uur",
    "/",
    "/bestaatniet",
    "@hoofdzaak_werk_bot",
)


def texts(*valid: str) -> st.SearchStrategy[str]:
    """Random text, the nasty list, long repeats and mixes; `valid` answers of the state."""
    return st.one_of(
        st.text(min_size=1, max_size=60),
        st.sampled_from(NASTY + valid),
        st.builds(lambda s, n: s * n, st.text(min_size=1, max_size=4), st.integers(1300, 2600)),
        st.builds(lambda a, b: a + b, st.sampled_from(NASTY + valid), st.text(max_size=20)),
    )


FUZZ = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# -- the bot and what it did --------------------------------------------------------------------


class ErrorLog(logging.Handler):
    """Collects every ERROR (or worse) record: the error handler logs each failed update."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class Harness:
    """The offline bot on an event loop of its own, so that sync hypothesis tests can use it."""

    def __init__(self, runner: asyncio.Runner, bot: OfflineBot, errors: ErrorLog) -> None:
        self.runner, self.bot, self.errors = runner, bot, errors
        self.ids = itertools.count(700_000)  # a new person's Telegram id

    def run(self, coro: Awaitable[Any]) -> Any:
        async def wrapped() -> Any:
            return await coro

        return self.runner.run(wrapped())

    @property
    def services(self) -> Services:
        return self.bot.services

    def __repr__(self) -> str:  # shown with every failing example
        return "Harness()"


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory, matcher: Matcher) -> Iterator[Harness]:
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    config = Settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{path}",
        HOOFDZAAK_FLOOD_LIMIT=1_000_000,
        HOOFDZAAK_ADMINS=str(ADMIN_ID),
        rate_limiter=False,
    )
    services = build_services(config, matcher=matcher, clock=lambda: NOW)
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    runner = asyncio.Runner()
    context = offline_bot(config, services)
    try:
        bot = runner.run(context.__aenter__())
        runner.run(_quiet(bot))
        yield Harness(runner, bot, errors)
        runner.run(context.__aexit__(None, None, None))
    finally:
        runner.close()
        logging.getLogger().removeHandler(errors)


async def _quiet(bot: OfflineBot) -> None:
    """No digests or announcements going out on their own while inputs are compared."""
    if bot.app.job_queue is not None:
        for job in bot.app.job_queue.jobs():
            job.schedule_removal()
    if bot.services.sender is not None:
        await bot.services.sender.stop()
        bot.services.sender = None


def plain(text: str) -> str:
    """What a person reads: tags removed, entities resolved, white space collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).split())


def norm(text: str) -> str:
    return " ".join(text.split())


def said(out: list[Output]) -> str:
    return plain("\n".join(o.text for o in out if o.method != "answerCallbackQuery"))


def apology(services: Services) -> str:
    return plain(services.renderer.render("common/error.html.j2"))


@dataclass(frozen=True)
class Mark:
    """Where the logs were before an input."""

    errors: int
    calls: int


def mark(h: Harness) -> Mark:
    return Mark(len(h.errors.records), len(h.bot.api.calls))


def check_answered(h: Harness, out: list[Output], since: Mark, typed: bool) -> None:
    """An answer came, without an error: a message for text, an answered button for a press;
    and Telegram accepted every message (no unescaped text)."""
    new_errors = h.errors.records[since.errors :]
    assert not new_errors, [f"{r.getMessage()} {r.exc_info!r}" for r in new_errors]
    for call in h.bot.api.calls[since.calls :]:
        for key in ("text", "caption"):
            if call.params.get("parse_mode") == "HTML" and key in call.params:
                assert html_error(str(call.params[key])) is None, call.params[key]
    assert apology(h.services) not in said(out)
    if typed:
        assert any(o.method == "sendMessage" and o.text.strip() for o in out), out
    else:
        assert sum(o.method == "answerCallbackQuery" for o in out) == 1, out


# -- a snapshot of everything stored --------------------------------------------------------------

VOLATILE = {"users": {"last_seen"}, "bot_state": {"updated_at"}}


def _without_error(value: Any) -> Any:
    """A draft as data: the error it shows is not part of it."""
    if isinstance(value, dict):
        return {k: _without_error(v) for k, v in value.items() if k != "error"}
    return value


async def snapshot(services: Services) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    async with services.db.session() as session:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if c.name not in VOLATILE.get(table.name, set())]
            rows = (await session.execute(select(*columns))).all()
            kept = []
            for row in rows:
                values = dict(zip([c.name for c in columns], row, strict=True))
                if table.name == "bot_state":
                    values["data"] = _without_error(json.loads(values["data"]))
                kept.append(tuple(repr(v) for v in values.values()))
            out[table.name] = sorted(kept)
    return out


def changed_tables(before: dict[str, Any], after: dict[str, Any]) -> set[str]:
    return {name for name in before if before[name] != after[name]}


def nothing_changed(before: dict[str, Any], after: dict[str, Any]) -> bool:
    """The same rows, except that someone talking to the bot for the first time is recorded."""
    users_before, users_after = set(before["users"]), set(after["users"])
    new_users = users_after - users_before
    return (
        changed_tables(before, after) <= {"users"}
        and users_before <= users_after
        and len(new_users) <= 1
    )


async def bot_state(services: Services, kind: str, key: str) -> Any:
    async with services.db.session() as session:
        from bot.storage.models import BotState

        row = await session.get(BotState, (kind, key))
        return None if row is None else json.loads(row.data)


# -- the states ---------------------------------------------------------------------------------

Reach = Callable[[Harness, ChatSimulator], Awaitable[None]]


@dataclass(frozen=True)
class Place:
    """A conversation state: how a new person gets there, and where its state is kept."""

    name: str
    role: str | None
    region: str | None
    reach: Reach
    conversation: str | None = None  # the ConversationHandler's name
    key: str | None = None  # the draft's key in user data


@dataclass
class Visitor:
    """A person standing at a place; replaced after an input that moved them on."""

    chat: ChatSimulator | None = None
    at: tuple[Any, Any] = (None, None)  # (conversation state, draft) when they got there


async def _press_shown(chat: ChatSimulator, data: str) -> list[Output]:
    last = chat.last_bot_message()
    shown = [b.get("callback_data") for b in last.buttons()]
    assert data in shown, (data, last.text)
    return await chat.press(data, last.message_id)


REGISTRATION_ANSWERS = {
    "region": ("press", "new:v:region:AM18"),
    "pseudonym": ("send", "KL-07"),
    "start_date": ("send", "12-3-2026"),
    "method": ("press", "new:v:method:ips"),
    "target_group": ("press", "new:v:target_group:epa"),
    "initiator": ("press", "new:v:initiator:gemeente"),
    "provider": ("press", "new:v:provider:ggz"),
    "benefit": ("press", "new:v:benefit:wia"),
    "ggz": ("press", "new:v:ggz:specialistisch"),
    "werken": ("press", "new:v:werken:ja"),
}


def registration_reach(step: str) -> Reach:
    async def reach(h: Harness, chat: ChatSimulator) -> None:
        await chat.send("/registreer")
        draft = await bot_state(h.services, "user", str(chat.user_id))
        steps = list(REGISTRATION_ANSWERS)
        first = draft["registration"]["step"]
        for previous in steps[steps.index(first) : steps.index(step) if step in steps else None]:
            how, value = REGISTRATION_ANSWERS[previous]
            await (chat.send(value) if how == "send" else _press_shown(chat, value))

    return reach


async def _trajectory_of(h: Harness, telegram_id: int) -> Trajectory:
    async with h.services.db.session() as session:
        user = (
            await session.execute(select(User).where(User.telegram_id == telegram_id))
        ).scalar_one()
        new = t.NewTrajectory(
            "AM18", "KL-07", date(2026, 3, 12), "ips", "epa", "gemeente", "ggz", "wia", "basis"
        )
        return await t.register(session, new, user.id, NOW - timedelta(days=3))


def followup_reach(kind: str, steps: tuple[tuple[str, str], ...]) -> Reach:
    """A coach with a trajectory of their own opens the `kind` form and answers `steps`."""

    async def reach(h: Harness, chat: ChatSimulator) -> None:
        row = await _trajectory_of(h, chat.user_id)
        await chat.send("/mijntrajecten")
        await _press_shown(chat, f"mt:d:{row.id}")
        await _press_shown(chat, f"mt:{kind}:{row.id}:{row.version}")
        for how, value in steps:
            await (chat.send(value) if how == "send" else _press_shown(chat, value))

    return reach


def announce_reach(*steps: tuple[str, str]) -> Reach:
    async def reach(h: Harness, chat: ChatSimulator) -> None:
        await chat.send("/bericht")
        for how, value in steps:
            await (chat.send(value) if how == "send" else _press_shown(chat, value))

    return reach


def command(*commands: str) -> Reach:
    async def reach(h: Harness, chat: ChatSimulator) -> None:
        for text in commands:
            await chat.send(text)

    return reach


REG_STEPS = [s for s in REGISTRATION_ANSWERS if s != "region"] + ["summary"]
PLACES = [
    Place(
        "registreer:region",
        "programma",
        None,
        registration_reach("region"),
        "registreer",
        "registration",
    ),
    *[
        Place(
            f"registreer:{step}",
            "coach",
            "AM18",
            registration_reach(step),
            "registreer",
            "registration",
        )
        for step in REG_STEPS
    ],
    *[
        Place(f"mijntrajecten:{name}", "coach", "AM18", reach, "mijntrajecten", "followup")
        for name, reach in (
            ("placement_date", followup_reach("p", ())),
            ("hours_per_week", followup_reach("p", (("send", "20-11-2026"),))),
            ("contract", followup_reach("p", (("send", "20-11-2026"), ("send", "16")))),
            ("end_date", followup_reach("e", ())),
            ("end_reason", followup_reach("e", (("send", "20-11-2026"),))),
            ("field", followup_reach("w", ())),
            ("pseudonym", followup_reach("w", (("press", "mt:f:pseudonym"),))),
            ("start_date", followup_reach("w", (("press", "mt:f:start_date"),))),
            ("treatment", followup_reach("w", (("press", "mt:f:treatment"),))),
        )
    ],
    *[
        Place(f"bericht:{name}", "programma", None, reach, "bericht", "announce")
        for name, reach in (
            ("text", announce_reach()),
            ("audience", announce_reach(("send", "Hallo allemaal"))),
            ("regions", announce_reach(("send", "Hallo allemaal"), ("press", "ann:a:r"))),
            ("preview", announce_reach(("send", "Hallo allemaal"), ("press", "ann:a:ok"))),
            (
                "when",
                announce_reach(
                    ("send", "Hallo allemaal"), ("press", "ann:a:ok"), ("press", "ann:p:plan")
                ),
            ),
        )
    ],
    Place("bericht:text (regio)", "regio", "AM18", announce_reach(), "bericht", "announce"),
    # stateless places: typed text goes to the FAQ matcher
    Place("vraag (nieuw)", None, None, command()),
    Place("start", None, None, command("/start")),
    Place("instellingen", "coach", "AM18", command("/instellingen")),
    Place("regios", "programma", None, command("/regios")),
    Place("uitnodigen", "regio", "AM18", command("/uitnodigen")),
    Place("gebruikers", "programma", None, command("/gebruikers")),
    Place("kandidaat", None, None, command("/kandidaat")),
    Place("faq", None, None, command("/faq")),
    Place("mijntrajecten", "coach", "AM18", command("/mijntrajecten")),
    Place("berichten", "programma", None, command("/berichten")),
]
BY_NAME = {p.name: p for p in PLACES}
# Typed text outside a form always goes to the FAQ matcher: two places cover it.
TYPED_AT = [
    p.name for p in PLACES if p.conversation or p.name in ("vraag (nieuw)", "instellingen")
]
VISITORS: dict[str, Visitor] = {}


async def _new_person(h: Harness, place: Place) -> ChatSimulator:
    user_id = next(h.ids)
    if place.role is not None:
        await give_role(h.bot, user_id, place.role, place.region)
    chat = h.bot.chat(user_id, first_name=f"Gebruiker {user_id}")  # as give_role has it
    await place.reach(h, chat)
    return chat


async def _state(h: Harness, place: Place, chat: ChatSimulator) -> tuple[Any, Any]:
    """(conversation state, draft) as stored."""
    if place.conversation is None or place.key is None:
        return None, None
    user_id = chat.user_id
    state = await bot_state(
        h.services, f"conversation:{place.conversation}", f"{user_id}:{user_id}"
    )
    data = await bot_state(h.services, "user", str(user_id)) or {}
    return state, _without_error(data.get(place.key))


async def _visitor(h: Harness, place: Place) -> tuple[ChatSimulator, tuple[Any, Any]]:
    """A person at `place`: the last one if they are still there, else a new one."""
    visitor = VISITORS.setdefault(place.name, Visitor())
    if visitor.chat is None or await _state(h, place, visitor.chat) != visitor.at:
        visitor.chat = await _new_person(h, place)
        visitor.at = await _state(h, place, visitor.chat)
    return visitor.chat, visitor.at


# -- what a rejected answer must look like -------------------------------------------------------


def _step_of(draft: Any) -> str | None:
    return None if not isinstance(draft, dict) else str(draft.get("step"))


def expected_rejection(h: Harness, place: Place, draft: Any, text: str) -> str | None:
    """The Dutch explanation the bot must give for `text` at this step, or None if the
    answer is acceptable there (computed with the same checks the services use, on the text
    as the handlers pass it on: without control characters)."""
    text = clean_text(text)
    services = h.services
    step = _step_of(draft)
    r = services.renderer
    if place.conversation == "registreer" or place.conversation == "mijntrajecten":
        assert step is not None
        if step == "summary":
            key = (
                "form_use_buttons"
                if place.conversation == "registreer"
                else "form_use_buttons_end"
            )
            return r.text(key)
        if step == "field":
            return r.text("form_use_buttons_field")
        values = (
            draft["values"]
            if place.conversation == "registreer"
            else {
                **draft["current"],
                **draft["values"],
            }
        )
        try:
            forms.parse(services, step, text, values, TODAY)
        except InputError as exc:
            return str(exc)
        return None
    if place.conversation == "bericht":
        if step == "regions":  # a typed region name or code toggles that region
            known = services.data_questions.region_in(text) in services.region_codes()
            return None if known else r.text("ann_region_unknown")
        if step == "audience":
            return r.render("announce/use_buttons.html.j2")
        if step == "when":
            try:
                ann.parse_when(text, NOW)
            except InputError as exc:
                return str(exc)
            return None
        try:
            ann.check_message(text, False)
        except InputError as exc:
            return str(exc)
        return None
    return None


def question_of(h: Harness, place: Place, draft: Any) -> str | None:
    step = _step_of(draft)
    if place.conversation in ("registreer", "mijntrajecten") and step not in (
        None,
        "summary",
        "field",
    ):
        return forms.question(h.services, str(step)).text
    return None


# -- typed text -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", TYPED_AT)
@FUZZ
@given(text=texts("KL-07", "12-3-2026", "20-11-2026", "16", "IPS", "morgen 9:00", "Hallo"))
def test_typed_text_gets_an_answer_and_a_rejection_changes_nothing(
    harness: Harness, name: str, text: str
) -> None:
    h, place = harness, BY_NAME[name]
    chat, (state, draft) = h.run(_visitor(h, place))
    before = h.run(snapshot(h.services))
    since = mark(h)

    out = h.run(chat.send(text))

    check_answered(h, out, since, typed=True)
    after = h.run(snapshot(h.services))
    if place.conversation is None:
        # the FAQ matcher (or a command's pointer): at most a logged question, and no one
        # becomes someone else by typing
        assert changed_tables(before, after) <= {"question_log", "users"}
        assert set(before["users"]) <= set(after["users"])  # at most the asker is new
        return
    why = expected_rejection(h, place, draft, text)
    if text.startswith("/"):
        why = "command"  # an unknown command in a form: a pointer to /help, nothing else
    new_state, new_draft = h.run(_state(h, place, chat))
    if why is None:
        assert (new_state, new_draft) != (state, draft)  # on to the next question
        return
    assert (new_state, new_draft) == (state, draft), said(out)
    assert after == before, changed_tables(before, after)
    if why != "command":
        assert norm(why) in said(out)
    question = question_of(h, place, draft)
    if question is not None and why != "command":
        assert plain(question) in said(out)  # the same question again


# -- button presses -------------------------------------------------------------------------------

PREFIXES = tuple(flow.value for flow in Flow)  # every flow's buttons, forged
ACTIONS = ("v", "d", "p", "e", "w", "f", "l", "x", "a", "c", "u", "up", "pick", "sec", "y", "t")
FORGED = (
    "mt:d:1",
    "mt:p:1:1",
    "mt:e:2:1",
    "mt:w:3:1",
    "mt:d:²",
    "mt:p:99999999999999999999999:1",
    "mt:l:m:²",
    "mt:l:a:99999999999999999999999",
    "mt:v:placement_date:31-2-2026",
    "mt:f:region",
    "qa:up:²",
    "qa:down:99999999999999999999999",
    "qa:pick:1:faq-0-1",
    "usr:d:²",
    "usr:off:99999999999999999999999",
    f"usr:role:{ADMIN_ID}:coach",
    "set:w:²",
    "set:w:9",
    "chk:kandidaat:²:",
    "chk:kandidaat:0:²",
    "chk:kandidaat:99999999999999999999999:0",
    "ann:c:99999999999999999999999",
    "ann:u:1",
    "ann:a:r:AM99",
    "rs:y:²",
    "rs:t:2026:AM18:99999999999999999999",
    "rs:d:2026:AM18:<b>:1",
    "inv:new:programma",
    "inv:new:coach:AM99",
    "new:v:pseudonym:<b>",
    "new:edit:werken",
    "faq:ent:<script>",
)


def callback_data() -> st.SearchStrategy[str]:
    """Random data, data under every prefix, forged ids and more than Telegram's 64 bytes."""
    return st.one_of(
        st.text(max_size=80),
        st.builds("{}:{}".format, st.sampled_from(PREFIXES), st.text(max_size=40)),
        st.builds(
            "{}:{}:{}".format,
            st.sampled_from(PREFIXES),
            st.sampled_from(ACTIONS),
            st.text(max_size=20),
        ),
        st.builds(lambda p, n: f"{p}:" + "9" * n, st.sampled_from(PREFIXES), st.integers(60, 300)),
        st.sampled_from(FORGED),
    )


def legitimate(data: str) -> bool:
    """Data a button of the bot could carry: a known prefix, at most 64 bytes."""
    return data.split(":", 1)[0] in PREFIXES and len(data.encode()) <= 64


@pytest.mark.parametrize("name", list(BY_NAME))
@settings(FUZZ, max_examples=6)
@given(data=callback_data())
def test_any_button_data_gets_an_answer_and_a_refusal_changes_nothing(
    harness: Harness, name: str, data: str
) -> None:
    h, place = harness, BY_NAME[name]
    chat, (state, draft) = h.run(_visitor(h, place))
    if not h.bot.api.chat_messages(chat.chat_id):  # a button is always under a message
        h.run(chat.send("/start"))
    before = h.run(snapshot(h.services))
    since = mark(h)

    out = h.run(chat.press(data))

    check_answered(h, out, since, typed=False)
    [answer] = [o for o in out if o.method == "answerCallbackQuery"]
    if not legitimate(data):
        assert answer.text or len(out) > 1, out  # a polite word
    if out == [answer] or not legitimate(data):  # refused: nothing may have changed
        assert h.run(_state(h, place, chat)) == (state, draft)
        after = h.run(snapshot(h.services))
        assert nothing_changed(before, after), changed_tables(before, after)


# -- /start with an odd payload (an invite code from a link) --------------------------------------


@settings(FUZZ, max_examples=25)
@given(payload=texts("ABCDEF123456", "abc def", "-" * 64).filter(lambda s: s.split()))
def test_start_with_an_odd_invite_code_joins_nobody(harness: Harness, payload: str) -> None:
    h = harness
    user_id = next(h.ids)
    chat = h.bot.chat(user_id, first_name=f"Gebruiker {user_id}")
    before = h.run(snapshot(h.services))
    since = mark(h)

    out = h.run(chat.send(f"/start {payload}"))

    check_answered(h, out, since, typed=True)
    after = h.run(snapshot(h.services))
    assert after["invites"] == before["invites"]  # no invite used up
    assert nothing_changed(before, after), changed_tables(before, after)
    who = h.run(_role_of(h, user_id))
    assert who is None  # joined nothing
    assert "uitnodiging" in said(out).lower()


async def _role_of(h: Harness, telegram_id: int) -> str | None:
    async with h.services.db.session() as session:
        role = await session.scalar(select(User.role).where(User.telegram_id == telegram_id))
        return role
