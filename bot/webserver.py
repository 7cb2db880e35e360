"""Webhook mode: Telegram posts updates to us; load balancers ask `/healthz`.

Our own small tornado server (tornado comes with python-telegram-bot's `webhooks` extra)
instead of `Application.run_webhook`, because the bot needs a second route: the health
check. Every update must carry the secret token in `X-Telegram-Bot-Api-Secret-Token`;
anything else is refused with 403 before it is parsed.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from telegram import Bot, Update
from tornado.httpserver import HTTPServer
from tornado.web import Application as WebApplication
from tornado.web import RequestHandler, stream_request_body

from bot import __version__
from bot.storage.db import Database, DatabaseUnavailable

if TYPE_CHECKING:
    from handlers.common import App

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
HEALTH_PATH = "/healthz"
ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
MAX_BODY = 1_000_000  # an update is a few kB; anything this big is not from Telegram
READ_LIMIT = 16 * MAX_BODY  # a body beyond this is not read at all: the connection closes


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


@stream_request_body
class _UpdateHandler(RequestHandler):
    """POST of one update. The secret is checked as soon as the headers are in, before any
    of the body is read (a stranger cannot make us read a megabyte: 403 and the connection
    closes). With the secret, the body is read in pieces and kept up to MAX_BODY; a larger
    one is read to its end without keeping it, so the sender gets its 413 (up to the
    server's limit, READ_LIMIT, beyond which the connection is closed); anything that is not
    one update object is a 400."""

    def initialize(self, app: App, secret: str) -> None:
        self.app = app
        self.secret = secret
        self.chunks: list[bytes] = []
        self.size = 0
        self.refused = False
        self.too_large = False

    def _refuse(self, status: int, why: str) -> None:
        log.warning("webhook: update refused (%s)", why)
        self.refused = True
        self.set_status(status)
        self.finish()

    def prepare(self) -> None:
        if self.request.method != "POST":
            return  # tornado answers 405
        given = self.request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.secret.encode()):
            self._refuse(403, "wrong or missing secret token")
            return
        length = self.request.headers.get("Content-Length", "0")
        self.too_large = not length.isdigit() or int(length) > MAX_BODY

    def data_received(self, chunk: bytes) -> None:
        if self.refused or self.too_large:
            return  # read to the end, kept nowhere
        self.size += len(chunk)
        if self.size > MAX_BODY:
            self.chunks.clear()
            self.too_large = True
            return
        self.chunks.append(chunk)

    async def post(self) -> None:
        if self.refused:
            return
        if self.too_large:
            self._refuse(413, "body too large")
            return
        update = parse_update(b"".join(self.chunks), self.app.bot)
        if update is None:
            self._refuse(400, "a body that is not an update")
            return
        await self.app.update_queue.put(update)
        self.set_status(200)
        self.finish()


def parse_update(body: bytes, bot: Bot) -> Update | None:
    """One update from Telegram's JSON, or None for anything else: not JSON, JSON nested too
    deep, not an object, no whole-number update_id, or parts of the wrong shape."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return None
    try:
        update = Update.de_json(data, bot)
    except Exception:  # any part of the wrong shape: refused, like malformed JSON
        log.info("webhook: update %s has parts of the wrong shape", update_id)
        return None
    return update if isinstance(update, Update) else None


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
