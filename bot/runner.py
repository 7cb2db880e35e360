"""Running the bot against Telegram: webhook mode (`serve`); polling is PTB's own
`run_polling`. The same start and stop hooks run in both (bot/app.py)."""

from __future__ import annotations

import asyncio
import logging
import signal
import time

from tornado.httpserver import HTTPServer

from bot.app import start_app, stop_app
from bot.services import Services
from bot.webserver import (
    ALLOWED_UPDATES,
    HEALTH_PATH,
    READ_LIMIT,
    Health,
    make_web_app,
    webhook_path,
)
from handlers.common import App

log = logging.getLogger(__name__)


async def serve(app: App, stop: asyncio.Event | None = None) -> None:
    """Run the bot in webhook mode until SIGTERM/SIGINT (or `stop` is set); then stop cleanly.

    The same start and stop hooks as in polling mode run: the database is upgraded, the jobs
    and senders start, and at the end everything running is stopped so it resumes next time.
    """
    services: Services = app.bot_data["services"]
    settings = services.settings
    assert settings.webhook_url is not None and settings.webhook_secret is not None
    secret = settings.webhook_secret.get_secret_value()
    path = webhook_path(settings.webhook_url)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    health = Health(services.db, time.monotonic())
    # the update route reads bodies in pieces and refuses more than MAX_BODY itself (413);
    # the server's own limit only stops what is far beyond that
    server = HTTPServer(make_web_app(app, secret, path, health), max_body_size=READ_LIMIT)
    await start_app(app)
    try:
        await app.bot.set_webhook(
            url=settings.webhook_url,
            secret_token=secret,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
        )
        await app.start()
        server.listen(settings.webhook_port, address=settings.webhook_listen)
        log.info(
            "webhook mode: listening on %s:%s%s (health: %s)",
            settings.webhook_listen,
            settings.webhook_port,
            path,
            HEALTH_PATH,
        )
        await stop.wait()
        log.info("stopping (signal received)")
    finally:
        server.stop()
        await server.close_all_connections()
        if app.running:
            await app.stop()
        await stop_app(app)
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
