"""The one place that knows every part: `build_application(settings)`."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    BaseUpdateProcessor,
    ContextTypes,
    Defaults,
)
from telegram.request import BaseRequest, HTTPXRequest

from bot.config import TIMEZONE, Settings
from bot.domain import Role
from bot.ordering import OrderedUpdateProcessor
from bot.persistence import DbPersistence
from bot.services import Services
from bot.services.faq import learning
from bot.services.messaging.announcements import ProgressReporter
from bot.services.messaging.pacing import RealClock
from bot.services.messaging.sender import Sender
from bot.services.progress import regions
from bot.transport import TelegramTransport
from bot.wiring import build_services
from handlers import (
    admin,
    announce,
    checks,
    digest,
    errors,
    export,
    faq,
    followup,
    maintenance,
    qa,
    region_settings,
    registration,
    start,
    stats,
    updates,
    users,
)
from handlers.common import App, BotContext, set_menu

log = logging.getLogger(__name__)


class ConfigError(Exception):
    """A setting is missing or wrong; the message is one clear line for the operator."""


def check_run_settings(settings: Settings) -> None:
    """What `hoofdzaak run` needs beyond the token: one clear line for each missing piece."""
    if settings.telegram_bot_token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set: the bot cannot log in to Telegram")
    if settings.webhook_url and settings.webhook_secret is None:
        raise ConfigError(
            "WEBHOOK_SECRET is not set: webhook mode (WEBHOOK_URL) needs a secret token so "
            "that only Telegram can post updates (1-256 characters: letters, digits, _ or -)"
        )


def build_application(
    settings: Settings,
    request: BaseRequest | None = None,
    services: Services | None = None,
    update_processor: BaseUpdateProcessor | None = None,
    token: str | None = None,
) -> App:
    """Wire the bot. `request` replaces HTTP to Telegram (the fake Bot API, for tests and the
    console, with the `token` it accepts when TELEGRAM_BOT_TOKEN is not set);
    `update_processor` replaces the ordered one (benchmarks/load.py observes it)."""
    if settings.telegram_bot_token is not None:
        token = settings.telegram_bot_token.get_secret_value()
    if token is None:
        raise ConfigError("TELEGRAM_BOT_TOKEN is not set: the bot cannot log in to Telegram")
    services = services or build_services(settings)

    builder = (
        Application.builder()
        .token(token)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                tzinfo=TIMEZONE,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .context_types(ContextTypes(context=BotContext))
        .persistence(DbPersistence(services.db, services.clock))
        .concurrent_updates(
            update_processor or OrderedUpdateProcessor(settings.concurrent_updates)
        )
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    if settings.telegram_base_url:
        builder = builder.base_url(settings.telegram_base_url)
    if settings.telegram_base_file_url:
        builder = builder.base_file_url(settings.telegram_base_file_url)
    if settings.rate_limiter:
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))  # type: ignore[arg-type]
    app: App = builder.build()
    app.bot_data["services"] = services
    services.sender = build_sender(settings, services, token, request)

    # Before everything: ignore what the bot does not answer, and flood control.
    app.add_handlers(updates.gate_handlers(), group=updates.GATE_GROUP)
    # One group: the first matching handler wins, so the catch-alls come last.
    app.add_handlers(checks.handlers(services))
    app.add_handlers(registration.handlers())
    app.add_handlers(followup.handlers())
    app.add_handlers(announce.handlers())
    app.add_handlers(registration.stop_handlers())
    for module in (
        start,
        faq,
        admin,
        users,
        stats,
        export,
        region_settings,
        digest,
        qa,
        updates,
        errors,
    ):
        app.add_handlers(module.handlers())
    app.add_error_handler(errors.on_error)
    return app


def build_sender(
    settings: Settings, services: Services, token: str, request: BaseRequest | None
) -> Sender:
    """The announcements' sender, with a Bot of its own that bypasses the AIORateLimiter:
    the engine paces itself and must see every 429 (docs/announcements.md)."""
    kwargs: dict[str, Any] = {}
    if settings.telegram_base_url:
        kwargs["base_url"] = settings.telegram_base_url
    if settings.telegram_base_file_url:
        kwargs["base_file_url"] = settings.telegram_base_file_url
    if request is None:
        request = HTTPXRequest(connection_pool_size=settings.broadcast_concurrency + 2)
    bot = Bot(token, request=request, get_updates_request=request, **kwargs)
    return Sender(
        services.db,
        TelegramTransport(bot),
        rate=settings.broadcast_rate,
        concurrency=settings.broadcast_concurrency,
        clock=RealClock(services.clock),
        reporter=ProgressReporter(services),
    )


# `hoofdzaak run` in polling mode sets SERVE_HEALTH: the health server then starts with the
# bot (HOOFDZAAK_HEALTH_PORT) and stops with it; the console and the tests never start one.
SERVE_HEALTH = "serve_health"
HEALTH_SERVER = "health_server"


async def start_app(app: App) -> None:
    """Initialise without polling (tests, console): what run_polling does before it polls."""
    await app.initialize()
    await _post_init(app)
    if app.job_queue is not None:  # conversation timeouts run on it
        await app.job_queue.start()


async def stop_app(app: App) -> None:
    if app.job_queue is not None and app.job_queue.scheduler.running:
        await app.job_queue.stop(wait=False)
    await app.shutdown()
    await _post_shutdown(app)


async def _post_init(app: App) -> None:
    services: Services = app.bot_data["services"]
    path = services.settings.sqlite_path()
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    await services.db.upgrade()
    async with services.db.session() as session:
        await regions.ensure_regions(session, services.kb)
    await learning.sync_now(services)  # the learned phrasings, before the first question
    # the matcher's word lists load on first use (about a second): in the background now
    asyncio.get_running_loop().run_in_executor(None, services.matcher.warm)
    # Everyone's menu; registered staff get their role's menu in their own chat (on joining,
    # on /ik, when the programme team changes their role); the admins' is set here.
    await set_menu(app.bot, services, None, None)
    for admin_id in services.settings.admins:
        await set_menu(app.bot, services, admin_id, Role.PROGRAMME)
    maintenance.schedule(app)
    if services.sender is not None:
        await services.sender.start()
    digest.schedule(app)
    port = services.settings.health_port
    if app.bot_data.get(SERVE_HEALTH) and port is not None:
        from bot.webserver import start_health_server

        listen = services.settings.webhook_listen
        app.bot_data[HEALTH_SERVER] = start_health_server(services.db, listen, port)


async def _post_shutdown(app: App) -> None:
    services: Services = app.bot_data["services"]
    health = app.bot_data.pop(HEALTH_SERVER, None)
    if health is not None:
        health.stop()
    if services.sender is not None:
        await services.sender.stop()
    await services.db.dispose()
