"""`hoofdzaak chat`: the real bot in the terminal, through the fake Bot API. No token needed.

Interactive: type a message, or a number to press the button with that number, `/stop`-style
commands are sent to the bot as commands, and `:q` (or Ctrl-D) leaves. Piped (stdin not a
terminal): one message per line, the replies printed, exit at end of input.

The console user gets the role chosen with `--rol` (default programma: on your own machine you
see everything) and, for coach and regio, the region of `--regio`. Each role has a console user
of its own (Telegram ids 424242 programma, 424243 coach, 424244 regio), so a coach's
trajectories never show up as the regio user's own.
Files the bot sends (exports, charts) are saved under `data/console/`.
"""

from __future__ import annotations

import asyncio
import re
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from bot import collector
from bot.config import Settings
from bot.domain import Role
from bot.offline import OfflineBot, offline_bot
from bot.render import Renderer, dutch_number
from bot.services.people import users
from bot.services.people.accounts import role_name
from bot.services.shared import demo
from bot.services.shared.replies import Person
from bot.simulator import ChatSimulator, Output
from bot.storage.trajectories import TrajectoryRepo
from bot.telegram_html import strip as strip_html

# One console user per role, so that what one role did (a coach's trajectories, the region a
# regio user had) never shows up when the console runs as another role.
CONSOLE_USERS = {Role.PROGRAMME: 424242, Role.COACH: 424243, Role.REGIO: 424244}
CONSOLE_NAME = "Console"
WATCH_EVERY = 0.3  # seconds between two looks for messages the bot sent on its own


def console_user(role: str) -> int:
    """The console user's Telegram id for a role."""
    return CONSOLE_USERS[Role(role)]


FILES_DIR = Path("data/console")
DEFAULT_REGION = "AM18"
_NUMBER = re.compile(r"^\s*(\d{1,2})\s*$")


@dataclass(frozen=True)
class ConsoleOptions:
    role: str = Role.PROGRAMME  # coach | regio | programma
    region: str | None = None  # for coach and regio; default AM18
    demo: bool = False  # fill an empty database with demo data first
    files: Path = FILES_DIR


class ConsoleError(ValueError):
    """A console option that cannot work (e.g. an unknown region)."""


def _save(out: Output, directory: Path) -> Path | None:
    if out.file is None:
        return None
    directory.mkdir(parents=True, exist_ok=True)
    # the name only: never outside the directory
    path = directory / Path(out.file_name or _text("console_file")).name
    path.write_bytes(out.file)
    return path


def _format(
    outputs: list[Output], numbered: list[tuple[str, int | None]], files: Path = FILES_DIR
) -> str:
    """Render the bot's actions as text; buttons get numbers (collected in `numbered`)."""
    lines: list[str] = []
    for out in outputs:
        if out.method == "answerCallbackQuery":
            if out.text:
                lines.append(_text("console_notice", text=out.text))
            continue
        if out.method == "editMessageReplyMarkup":
            continue
        if out.method not in ("sendMessage", "editMessageText", "sendPhoto", "sendDocument"):
            continue
        label = _text("console_bot_edited" if out.method == "editMessageText" else "console_bot")
        body = strip_html(out.text).strip()
        saved = _save(out, files)
        if saved is not None:
            body = _text("console_file_saved", path=saved, body=body).strip()
        lines.append(f"{label}: " + body.replace("\n", "\n     "))
        if out.buttons:
            numbered.clear()
            for text, data in out.buttons:
                numbered.append((data, out.message_id))
                lines.append(f"   [{len(numbered)}] {text}")
    return "\n".join(lines)


async def prepare(bot: OfflineBot, options: ConsoleOptions) -> str | None:
    """Give the console user its role and region; seed demo data if asked. A note, or None."""
    services = bot.services
    region = (options.region or DEFAULT_REGION) if options.role != Role.PROGRAMME else None
    user_id = console_user(options.role)
    async with services.db.session() as session:
        await users.record_seen(session, Person(user_id, CONSOLE_NAME), services.clock())
        await session.commit()
        try:
            await users.set_user(session, services.region_codes(), user_id, options.role, region)
        except users.UserInputError as exc:
            raise ConsoleError(str(exc)) from None
        services.seen.forget(user_id)
        if not options.demo:
            return None
        if not (await demo.present(session)).empty:
            return _text("console_demo_present")
        if await TrajectoryRepo(session).count():
            return _text("console_demo_real_data")
        counts = await demo.seed(session, services.kb, services.clock())
    regions = len(services.kb.regions.regions)
    return _text(
        "console_demo_loaded", trajectories=dutch_number(counts.trajectories), regions=regions
    )


def _settings_for(settings: Settings, role: str) -> Settings:
    """The console user is programme team as HOOFDZAAK_ADMINS makes it, or not at all."""
    admins = tuple(a for a in settings.admins if a not in CONSOLE_USERS.values())
    if role == Role.PROGRAMME:
        admins = (*admins, CONSOLE_USERS[Role.PROGRAMME])
    return settings.model_copy(update={"admins": admins})


async def run_console(
    settings: Settings,
    stdin: TextIO,
    stdout: TextIO,
    options: ConsoleOptions | None = None,
    read: Callable[[], Awaitable[str | None]] | None = None,
) -> int:
    """`read`: where typed lines come from in live mode (a terminal: prompt_toolkit, which
    keeps the line being typed intact while the bot's own messages are printed above it).
    Without it and without a terminal: one line at a time from `stdin` (piped input)."""
    options = options or ConsoleOptions()
    interactive = stdin.isatty()
    async with offline_bot(_settings_for(settings, options.role)) as bot:
        note = await prepare(bot, options)
        collector.started()  # the bot is up (bot/collector.py)
        if note:
            print(note, file=stdout)
        chat = bot.chat(console_user(options.role), first_name=CONSOLE_NAME)
        talk = _Talk(chat, stdout, options.files, len(bot.api.calls))
        if interactive or read is not None:
            print(_text("console_help"), file=stdout)
            print(_who(bot, options), file=stdout)
            await talk.send_line("/start")
        if read is not None:
            await talk.live(read)
        elif interactive:
            await _terminal(talk)
        else:
            await talk.piped(stdin)
    return 0


@dataclass
class _Talk:
    """One console conversation: what was printed, the numbered buttons, and what the bot
    sent on its own since (an announcement's progress and report, a digest)."""

    chat: ChatSimulator
    out: TextIO
    files: Path
    seen: int
    numbered: list[tuple[str, int | None]] = field(default_factory=list)
    busy: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send_line(self, text: str) -> None:
        """Send a line (or press a numbered button) and print the bot's answer."""
        async with self.busy:
            self.print_background()
            acted = await _act(self.chat, text, self.numbered)
            # only this chat: the announcement sender may be writing to other chats meanwhile
            out = [o for o in acted if o.chat_id in (None, self.chat.chat_id)]
            self.seen = len(self.chat.api.calls)
            formatted = _format(out, self.numbered, self.files)
            if formatted:
                print(formatted, file=self.out, flush=True)
            elif out == []:
                print(_text("console_no_reaction"), file=self.out, flush=True)

    def print_background(self) -> None:
        """What the bot sent on its own since the last answer, if anything."""
        background = self.chat.outputs_since(self.seen)
        self.seen = len(self.chat.api.calls)
        if background:
            print(_format(background, self.numbered, self.files), file=self.out, flush=True)

    async def watch(self) -> None:
        """Live mode: show the bot's own messages as they arrive (not only at the next line)."""
        while True:
            await asyncio.sleep(WATCH_EVERY)
            if not self.busy.locked():
                self.print_background()

    async def live(self, read: Callable[[], Awaitable[str | None]]) -> None:
        watcher = asyncio.create_task(self.watch())
        try:
            while (line := await read()) is not None:
                text = line.strip()
                if text in (":q", ":quit", ":exit"):
                    break
                if text:
                    await self.send_line(text)
        finally:
            watcher.cancel()

    async def piped(self, stdin: TextIO) -> None:
        """Piped input: one message per line, each echoed, the replies printed."""
        while line := await asyncio.to_thread(stdin.readline):  # the sender runs meanwhile
            text = line.rstrip("\n")
            if not text.strip():
                continue
            if text.strip() in (":q", ":quit", ":exit"):
                break
            print(_text("console_you") + text, file=self.out)
            await self.send_line(text)


async def _terminal(talk: _Talk) -> None:
    """A terminal: prompt_toolkit reads the line; what the bot prints meanwhile appears
    above it, and what was being typed stays as it was."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.patch_stdout import patch_stdout

    session: PromptSession[str] = PromptSession()

    async def read() -> str | None:
        try:
            return await session.prompt_async(_text("console_you"))
        except (EOFError, KeyboardInterrupt):
            return None

    with patch_stdout(raw=True):
        talk.out = sys.stdout  # the patched one
        await talk.live(read)


async def _act(
    chat: ChatSimulator, text: str, numbered: list[tuple[str, int | None]]
) -> list[Output]:
    m = _NUMBER.match(text)
    if m and numbered:
        index = int(m.group(1))
        if 1 <= index <= len(numbered):
            data, message_id = numbered[index - 1]
            return await chat.press(data, message_id)
        return [
            Output(
                "answerCallbackQuery",
                None,
                None,
                _text("console_no_button", index=index, count=len(numbered)),
                (),
            )
        ]
    return await chat.send(text)


def _who(bot: OfflineBot, options: ConsoleOptions) -> str:
    if options.role == Role.PROGRAMME:
        return _text("console_role_programme")
    region = bot.services.region_name(options.region or DEFAULT_REGION)
    return _text("console_role", role=role_name(options.role), region=region)


def _text(key: str, **values: object) -> str:
    return Renderer.shared().text(key, **values)


def main(settings: Settings, options: ConsoleOptions | None = None) -> int:
    return asyncio.run(run_console(settings, sys.stdin, sys.stdout, options))
