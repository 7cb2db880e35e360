"""`hoofdzaak chat` sends announcements offline: the sender runs while the console waits for
input, and what it writes to the console user's chat is shown before the next reply."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path

from bot.config import Settings
from bot.console import run_console


class SlowInput(io.StringIO):
    """Piped input that pauses (as a person would) before the line after "1"."""

    def __init__(self, lines: list[str], pause_after: str, pause: float) -> None:
        super().__init__()
        self.lines, self.pause_after, self.pause = lines, pause_after, pause
        self.last = ""

    def isatty(self) -> bool:
        return False

    # typeshed gives StringIO two readline signatures (one from _io._IOBase, for bytes)
    def readline(self, size: int | None = -1, /) -> str:  # type: ignore[override]
        if self.last == self.pause_after:
            time.sleep(self.pause)  # read in a thread: the event loop (and the sender) runs
        self.last = self.lines.pop(0) if self.lines else ""
        return self.last


async def test_console_sends_an_announcement_and_shows_progress(tmp_path: Path) -> None:
    settings = Settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'console.db'}")
    # /bericht, the text, "Verder" (9th button), "Verstuur nu" (1st), a pause, then /ik
    lines = ["/bericht\n", "Hallo <b>allemaal</b>\n", "9\n", "1\n", "/ik\n"]
    out = io.StringIO()
    assert await run_console(settings, SlowInput(lines, "1\n", 4.5), out) == 0
    text = out.getvalue()
    before_ik = text.split("jij> /ik")[0]
    assert "Je bericht gaat nu naar 1 persoon" in before_ik
    after = text.split("jij> /ik")[1]
    assert "Bericht 1 is verstuurd" in after and "Verstuurd: 1 van 1" in after
    assert "Klaar: bericht 1" in after
    assert after.count("bot: Hallo allemaal") == 1  # the console user is the one recipient


async def test_live_console_shows_what_the_bot_sends_on_its_own_at_once(tmp_path: Path) -> None:
    """In a terminal the progress, the announcement and the report appear while nobody types:
    the next line is only given once they are there."""
    settings = Settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'console.db'}")
    out = io.StringIO()
    lines = ["/bericht", "Hallo <b>allemaal</b>", "9", "1"]

    async def read() -> str | None:
        if lines:
            return lines.pop(0)
        for _ in range(100):  # wait, as a person reading; nothing typed meanwhile
            if "Klaar: bericht 1" in out.getvalue():
                return ":q"
            await asyncio.sleep(0.1)
        return ":q"

    assert await run_console(settings, NotATerminal(), out, read=read) == 0
    sent = out.getvalue().split("Je bericht gaat nu naar 1 persoon")[1]
    assert "Klaar: bericht 1" in sent and "Verstuurd: 1 van 1" in sent
    assert sent.count("bot: Hallo allemaal") == 1  # delivered to the console user, once


class NotATerminal(io.StringIO):
    def isatty(self) -> bool:
        return False
