"""Services: async functions over a session and plain values; they render and they commit.

Never imports telegram: handlers translate `Reply` into Telegram calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from bot.config import TIMEZONE, Settings
from bot.render import Renderer

if TYPE_CHECKING:
    from bot.services.faq.inbox import PendingInput
    from bot.services.messaging.sender import Sender
    from bot.services.people.flood import FloodGuard
    from bot.services.people.users import CodeAttempts, SeenCache
    from bot.storage.db import Database
    from knowledge.data_questions import DataQuestionParser
    from knowledge.kb import KnowledgeBase
    from knowledge.learned import LearnedIndex
    from knowledge.matcher import Matcher


def amsterdam_now() -> datetime:
    return datetime.now(TIMEZONE)


# The in-memory parts, made where a Services is made: importing this package stays light (the
# command line's `ask` imports a service module without wanting the database layer).
def _seen() -> SeenCache:
    from bot.services.people.users import SeenCache

    return SeenCache()


def _attempts() -> CodeAttempts:
    from bot.services.people.users import CodeAttempts

    return CodeAttempts()


def _flood() -> FloodGuard:
    from bot.services.people.flood import FloodGuard

    return FloodGuard()


def _pending() -> PendingInput:
    from bot.services.faq.inbox import PendingInput

    return PendingInput()


@dataclass
class Services:
    """Everything a handler needs, built once by `build_application`."""

    settings: Settings
    db: Database
    make_kb: Callable[[], KnowledgeBase]  # the knowledge base, loaded when first needed
    make_matcher: Callable[[], Matcher]  # the matcher, built when first needed (bot/wiring.py)
    renderer: Renderer
    clock: Callable[[], datetime] = field(default=amsterdam_now)
    seen: SeenCache = field(default_factory=_seen)
    invite_attempts: CodeAttempts = field(default_factory=_attempts)
    flood: FloodGuard = field(default_factory=_flood)
    pending: PendingInput = field(default_factory=_pending)
    # The one sender of announcements and digests (bot/services/messaging/sender.py); set by
    # build_application, None in the CLI (which only writes announcements and deliveries).
    sender: Sender | None = None

    def wake_sender(self) -> None:
        """New `sending` work in the database: have the running sender look now."""
        if self.sender is not None:
            self.sender.wake()

    @cached_property
    def kb(self) -> KnowledgeBase:
        return self.make_kb()

    @cached_property
    def matcher(self) -> Matcher:
        """The question matcher: its index takes about a second to build, so it is built
        only when something asks (`hoofdzaak users list` never does)."""
        return self.make_matcher()

    @cached_property
    def learned(self) -> LearnedIndex:
        """The confirmed learned phrasings (knowledge/learned.py), kept in step with the
        database by bot/services/faq/learning.py."""
        from knowledge.learned import LearnedIndex

        return LearnedIndex(self.matcher.index)

    @cached_property
    def data_questions(self) -> DataQuestionParser:
        """Recognises questions about the programme's own data (knowledge/data_questions.py)."""
        from knowledge.data_questions import DataQuestionParser

        return DataQuestionParser(self.kb.regions)

    def region_codes(self) -> set[str]:
        return {r.code for r in self.kb.regions.regions}

    def region_name(self, code: str | None) -> str | None:
        return next((r.name for r in self.kb.regions.regions if r.code == code), None)

    def is_admin(self, telegram_id: int) -> bool:
        return telegram_id in self.settings.admins
