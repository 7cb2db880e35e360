"""Services: async functions over a session and plain values; they render and they commit.

Never imports telegram: handlers translate `Reply` into Telegram calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.config import TIMEZONE, Settings
from bot.render import Renderer
from bot.services.users import SeenCache
from bot.storage.db import Database
from knowledge.kb import KnowledgeBase
from knowledge.matcher import Matcher


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

    def is_admin(self, telegram_id: int) -> bool:
        return telegram_id in self.settings.admins
