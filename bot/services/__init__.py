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
from bot.services.faq.inbox import PendingSearches
from bot.services.people.flood import FloodGuard
from bot.services.people.users import CodeAttempts, SeenCache
from bot.storage.db import Database
from knowledge.data_questions import DataQuestionParser
from knowledge.kb import KnowledgeBase
from knowledge.learned import LearnedIndex
from knowledge.matcher import Matcher

if TYPE_CHECKING:
    from bot.services.messaging.sender import Sender


def amsterdam_now() -> datetime:
    return datetime.now(TIMEZONE)


@dataclass
class Services:
    """Everything a handler needs, built once by `build_application`."""

    settings: Settings
    db: Database
    kb: KnowledgeBase
    matcher: Matcher
    renderer: Renderer
    clock: Callable[[], datetime] = field(default=amsterdam_now)
    seen: SeenCache = field(default_factory=SeenCache)
    invite_attempts: CodeAttempts = field(default_factory=CodeAttempts)
    flood: FloodGuard = field(default_factory=FloodGuard)
    pending_searches: PendingSearches = field(default_factory=PendingSearches)
    # The one sender of announcements and digests (bot/services/messaging/sender.py); set by
    # build_application, None in the CLI (which only writes announcements and deliveries).
    sender: Sender | None = None

    def wake_sender(self) -> None:
        """New `sending` work in the database: have the running sender look now."""
        if self.sender is not None:
            self.sender.wake()

    @cached_property
    def learned(self) -> LearnedIndex:
        """The confirmed learned phrasings (knowledge/learned.py), kept in step with the
        database by bot/services/faq/learning.py."""
        return LearnedIndex(self.matcher.index)

    @cached_property
    def data_questions(self) -> DataQuestionParser:
        """Recognises questions about the programme's own data (knowledge/data_questions.py)."""
        return DataQuestionParser(self.kb.regions)

    def region_codes(self) -> set[str]:
        return {r.code for r in self.kb.regions.regions}

    def region_name(self, code: str | None) -> str | None:
        return next((r.name for r in self.kb.regions.regions if r.code == code), None)

    def is_admin(self, telegram_id: int) -> bool:
        return telegram_id in self.settings.admins
