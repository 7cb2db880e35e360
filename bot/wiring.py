"""Building the service container (`build_services`) without anything of Telegram: the CLI's
commands that only read or write the database use this, so they start without importing the
handlers, python-telegram-bot or matplotlib. `bot/app.py` builds the Application around it.

The knowledge base and the matcher's index are read-only, so one of each per process; the
index (about a second to build) is only built when something asks a question.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from bot.config import Settings
from bot.render import Renderer
from bot.services import Services, amsterdam_now
from bot.services.people.flood import FloodGuard
from bot.storage.db import Database

if TYPE_CHECKING:
    from knowledge.kb import KnowledgeBase
    from knowledge.matcher import Matcher


@functools.cache
def default_kb() -> KnowledgeBase:
    """The packaged knowledge base, loaded once per process (or kept from an earlier one)."""
    from knowledge.kb import load_kb_kept

    return load_kb_kept()


@functools.cache
def default_matcher() -> Matcher:
    """The packaged knowledge base's index: one per process (commands run in one process, the
    tests, the console and the bot share it)."""
    from knowledge.matcher import Matcher

    return Matcher(default_kb())


def build_services(
    settings: Settings,
    kb: KnowledgeBase | None = None,
    matcher: Matcher | None = None,
    clock: Callable[[], datetime] = amsterdam_now,
) -> Services:
    """The service container. The matcher is the one passed, one over `kb`, or the packaged
    one, built when first needed."""
    if matcher is not None:
        given = matcher
        make: Callable[[], Matcher] = lambda: given  # noqa: E731 - the given one
        make_kb: Callable[[], KnowledgeBase] = lambda: kb or given.kb  # noqa: E731
    elif kb is not None:
        own_kb = kb

        def make() -> Matcher:
            from knowledge.matcher import Matcher

            return Matcher(own_kb)

        make_kb = lambda: own_kb  # noqa: E731
    else:
        make, make_kb = default_matcher, default_kb
    return Services(
        settings=settings,
        db=Database(settings.db_url),
        make_kb=make_kb,
        make_matcher=make,
        renderer=Renderer.shared(),
        clock=clock,
        flood=FloodGuard(settings.flood_limit, settings.flood_window),
    )
