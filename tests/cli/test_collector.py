"""`hoofdzaak` starts with the garbage collector off (bot/collector.py): the bot must never
talk to anyone that way. Once it is up the collector is on again; code that did not start
through the command keeps the collector as it was."""

from __future__ import annotations

import gc
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import collector
from bot.config import Settings
from bot.console import run_console


class NotATerminal(io.StringIO):
    def isatty(self) -> bool:
        return False


@pytest.fixture
def started_off() -> Iterator[None]:
    """As the command starts; the test process gets its collector back afterwards."""
    collector.off()
    try:
        yield
    finally:
        gc.unfreeze()
        gc.enable()


@pytest.mark.usefixtures("started_off")
async def test_the_console_talks_with_the_collector_on(tmp_path: Path) -> None:
    settings = Settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'console.db'}")
    seen: list[bool] = []

    async def read() -> str | None:
        seen.append(gc.isenabled())
        return ":q" if len(seen) > 1 else "wat is een wsp"

    out = io.StringIO()
    assert await run_console(settings, NotATerminal(), out, read=read) == 0
    assert seen == [True, True]
    assert "werkgeversservicepunt" in out.getvalue().lower()
    assert gc.get_freeze_count() > 0  # what start-up built is kept out of the collections


def test_started_leaves_a_running_collector_as_it_is() -> None:
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    collector.started()
    assert gc.isenabled() and gc.get_freeze_count() == frozen
