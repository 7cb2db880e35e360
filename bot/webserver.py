"""Webhook mode: Telegram posts updates to us; load balancers ask `/healthz`.

Our own small tornado server (tornado comes with python-telegram-bot's `webhooks` extra)
instead of `Application.run_webhook`, because the bot needs a second route: the health
check. Every update must carry the secret token in `X-Telegram-Bot-Api-Secret-Token`;
anything else is refused with 403 before it is parsed.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import signal
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from telegram import Update
from tornado.httpserver import HTTPServer
from tornado.web import Application as WebApplication
from tornado.web import RequestHandler

from bot import __version__
from bot.storage.db import Database, DatabaseUnavailable

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
HEALTH_PATH = "/healthz"
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
MAX_BODY = 1_000_000  # an update is a few kB; anything this big is not from Telegram


@dataclass
class Health:
    """What `/healthz` reports: the database reachable, the version, the uptime."""

    db: Database
    started: float
    limit: float = 3.0  # seconds; a database slower than this counts as down

    async def check(self) -> tuple[bool, dict[str, Any]]:
        try:
            await self.db.ping(self.limit)
            database = "ok"
        except DatabaseUnavailable as exc:
            log.warning("health: %s", exc)
            database = "unreachable"
        ok = database == "ok"
        return ok, {
            "status": "ok" if ok else "error",
            "database": database,
            "version": __version__,
            "uptime_seconds": round(time.monotonic() - self.started, 1),
        }


class _UpdateHandler(RequestHandler):
    def initialize(self, app: App, secret: str) -> None:
        self.app = app
        self.secret = secret

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            log.warning("webhook: update refused (wrong or missing secret token)")
            self.set_status(403)
            self.finish()
            return
        if len(self.request.body) > MAX_BODY:
            self.set_status(413)
            self.finish()
            return
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, self.app.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("webhook: a body that is not an update was refused")
            self.set_status(400)
            self.finish()
            return
        await self.app.update_queue.put(update)
        self.set_status(200)
        self.finish()


class _HealthHandler(RequestHandler):
    def initialize(self, health: Health) -> None:
        self.health = health

    async def get(self) -> None:
        ok, body = await self.health.check()
        self.set_status(200 if ok else 503)
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body))


def start_health_server(db: Database, listen: str, port: int) -> HTTPServer:
    """Polling mode (HOOFDZAAK_HEALTH_PORT): only `/healthz`, on the running event loop; in
    webhook mode it is served next to the updates."""
    health = Health(db, time.monotonic())
    server = HTTPServer(WebApplication([(HEALTH_PATH, _HealthHandler, {"health": health})]))
    server.listen(port, address=listen)
    log.info("health check on %s:%s%s", listen, port, HEALTH_PATH)
    return server


def webhook_path(url: str) -> str:
    """Telegram posts to WEBHOOK_URL; we listen on its path ("/" when it has none)."""
    return urlsplit(url).path or "/"


def make_web_app(app: App, secret: str, path: str, health: Health) -> WebApplication:
    if path == HEALTH_PATH:
        raise ValueError(f"WEBHOOK_URL must not end in {HEALTH_PATH}: that is the health check")
    return WebApplication(
        [
            (HEALTH_PATH, _HealthHandler, {"health": health}),
            (path, _UpdateHandler, {"app": app, "secret": secret}),
        ]
    )


async def serve(app: App, stop: asyncio.Event | None = None) -> None:
    """Run the bot in webhook mode until SIGTERM/SIGINT (or `stop` is set); then stop cleanly.

    The same start and stop hooks as in polling mode run: the database is upgraded, the jobs
    and senders start, and at the end everything running is stopped so it resumes next time.
    """
    from bot.app import start_app, stop_app
    from bot.services import Services

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
    server = HTTPServer(make_web_app(app, secret, path, health), max_body_size=MAX_BODY)
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
