"""`hoofdzaak chat` sends announcements offline: the sender runs while the console waits for
input, and what it writes to the console user's chat is shown before the next reply."""

from __future__ import annotations

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
