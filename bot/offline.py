"""The real Application wired to the in-process fake Bot API (console, tests, benchmarks)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from bot.app import build_application, start_app, stop_app
from bot.config import Settings
from bot.fakeapi import OFFLINE_TOKEN, FakeBotAPI
from bot.services import Services
from bot.simulator import ChatSimulator
from handlers.common import App


@dataclass
class OfflineBot:
    app: App
    api: FakeBotAPI

    @property
    def services(self) -> Services:
        services: Services = self.app.bot_data["services"]
        return services

    def chat(self, user_id: int = 1001, **kw: object) -> ChatSimulator:
        return ChatSimulator(self.app, self.api, user_id=user_id, **kw)  # type: ignore[arg-type]


@asynccontextmanager
async def offline_bot(
    settings: Settings, services: Services | None = None
) -> AsyncIterator[OfflineBot]:
    api = FakeBotAPI()
    settings = settings.model_copy(update={"rate_limiter": False, "telegram_base_url": None})
    app = build_application(settings, request=api, services=services, token=OFFLINE_TOKEN)
    await start_app(app)
    try:
        yield OfflineBot(app, api)
    finally:
        await stop_app(app)
