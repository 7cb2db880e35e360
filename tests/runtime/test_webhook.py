"""Webhook mode: only updates with the secret token get in; /healthz tells the truth."""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from tornado.httpserver import HTTPServer

from bot.app import build_application
from bot.cli import main
from bot.config import Settings
from bot.fakeapi import OFFLINE_TOKEN, FakeBotAPI
from bot.runner import serve
from bot.storage.db import Database
from bot.webserver import (
    HEALTH_PATH,
    READ_LIMIT,
    SECRET_HEADER,
    Health,
    make_web_app,
    webhook_path,
)
from bot.wiring import build_services
from knowledge.matcher import Matcher
from tests.support.net import free_port

SECRET = "s3cret-Token_42"


def _update(update_id: int, text: str, user_id: int = 4242) -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Ans"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Ans"},
            "text": text,
        },
    }


async def _wait_for(condition: Any, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


async def test_only_updates_with_the_secret_are_processed(
    tmp_path: Path, matcher: Matcher
) -> None:
    port = free_port()
    settings = Settings(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'w.db'}",
        WEBHOOK_URL="https://bot.example.nl/telegram",
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_PORT=port,
        rate_limiter=False,
    )
    api = FakeBotAPI()
    app = build_application(
        settings,
        request=api,
        services=build_services(settings, matcher=matcher),
        token=OFFLINE_TOKEN,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(serve(app, stop))
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:

            async def up() -> bool:
                try:
                    return (await client.get(HEALTH_PATH)).status_code == 200
                except httpx.TransportError:
                    return False

            deadline = time.monotonic() + 30
            while not await up():
                assert not task.done(), task.exception()
                assert time.monotonic() < deadline, "webhook server did not come up"
                await asyncio.sleep(0.1)

            hooks = api.sent("setWebhook")
            assert hooks and hooks[-1].params["url"] == "https://bot.example.nl/telegram"
            assert hooks[-1].params["secret_token"] == SECRET

            question = "wie betaalt de eerste 8 gesprekken?"
            no_secret = await client.post("/telegram", json=_update(1, question))
            wrong = await client.post(
                "/telegram", json=_update(2, question), headers={SECRET_HEADER: "guess"}
            )
            assert (no_secret.status_code, wrong.status_code) == (403, 403)
            not_json = await client.post(
                "/telegram", content=b"{not json", headers={SECRET_HEADER: SECRET}
            )
            assert not_json.status_code == 400
            await asyncio.sleep(0.3)
            assert api.chat_messages(4242) == []  # nothing refused reached the bot

            right = await client.post(
                "/telegram", json=_update(3, question), headers={SECRET_HEADER: SECRET}
            )
            assert right.status_code == 200
            await _wait_for(lambda: api.chat_messages(4242))
            assert "FAQ 5.5" in api.chat_messages(4242)[0].text

            health = await client.get(HEALTH_PATH)
            body = health.json()
            assert health.status_code == 200 and body["status"] == "ok"
            assert body["database"] == "ok" and body["version"] and body["uptime_seconds"] >= 0
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    assert not app.running


async def test_health_is_red_when_the_database_is_down(tmp_path: Path) -> None:
    port = free_port()
    closed = free_port()  # nothing listens here: a PostgreSQL server that is down
    down = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{closed}/hoofdzaak")
    up = Database(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}")
    servers = []
    try:
        for db, p in ((down, port), (up, free_port())):
            web = make_web_app(None, SECRET, "/telegram", Health(db, time.monotonic()))  # type: ignore[arg-type]
            server = HTTPServer(web)
            server.listen(p, address="127.0.0.1")
            servers.append((server, p))
        async with httpx.AsyncClient(timeout=10) as client:
            red = await client.get(f"http://127.0.0.1:{servers[0][1]}{HEALTH_PATH}")
            green = await client.get(f"http://127.0.0.1:{servers[1][1]}{HEALTH_PATH}")
        assert red.status_code == 503
        assert red.json()["status"] == "error" and red.json()["database"] == "unreachable"
        assert green.status_code == 200 and green.json()["database"] == "ok"
    finally:
        for server, _ in servers:
            server.stop()
        await down.dispose()
        await up.dispose()


def test_webhook_path_comes_from_the_url() -> None:
    assert webhook_path("https://bot.example.nl/telegram/hook") == "/telegram/hook"
    assert webhook_path("https://bot.example.nl") == "/"
    with pytest.raises(ValueError, match="healthz"):
        make_web_app(None, SECRET, HEALTH_PATH, Health(None, 0.0))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"WEBHOOK_URL": "https://bot.example.nl/telegram"}, "WEBHOOK_SECRET is not set"),
        (
            {"WEBHOOK_URL": "https://bot.example.nl/t", "WEBHOOK_SECRET": "met spaties"},
            "WEBHOOK_SECRET",
        ),
        ({"WEBHOOK_URL": "bot.example.nl/telegram", "WEBHOOK_SECRET": SECRET}, "WEBHOOK_URL"),
        ({"WEBHOOK_PORT": "99999"}, "WEBHOOK_PORT"),
    ],
)
def test_webhook_configuration_errors_are_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST-token-abc")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'c.db'}")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(main, ["run"])
    assert result.exit_code == 2
    assert expected in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.fixture
async def webhook(tmp_path: Path) -> Any:
    """Only the webhook routes, on loopback, for an application that is not started."""
    settings = Settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    app = build_application(settings, request=FakeBotAPI(), token=OFFLINE_TOKEN)
    web = make_web_app(app, SECRET, "/telegram", Health(None, 0.0))  # type: ignore[arg-type]
    server = HTTPServer(web, max_body_size=READ_LIMIT)
    port = free_port()
    server.listen(port, address="127.0.0.1")
    yield app, port
    server.stop()


@pytest.mark.parametrize(
    "body",
    [
        b"null",
        b"[]",
        b"1",
        b'"an update"',
        b'{"update_id": "1"}',
        b'{"update_id": 7, "message": "hallo"}',
        b'{"update_id": 7, "message": {"chat": 5}}',
        b"[" * 50_000 + b"]" * 50_000,
    ],
)
async def test_anything_but_an_update_is_a_400_without_a_traceback(
    webhook: Any, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    app, port = webhook
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.post(
            f"http://127.0.0.1:{port}/telegram", content=body, headers={SECRET_HEADER: SECRET}
        )
    assert answer.status_code == 400
    assert app.update_queue.empty()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_too_large_is_a_413(webhook: Any) -> None:
    _, port = webhook
    async with httpx.AsyncClient(timeout=20) as client:
        answer = await client.post(
            f"http://127.0.0.1:{port}/telegram",
            content=b"x" * 10_000_000,
            headers={SECRET_HEADER: SECRET},
        )
    assert answer.status_code == 413


async def test_the_secret_is_checked_before_the_body_is_read(webhook: Any) -> None:
    """Headers of a ~1 MB post without the secret: 403 comes back before any body is sent."""
    _, port = webhook
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(
            b"POST /telegram HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 999000\r\n\r\n"
        )
        await writer.drain()
        status = await asyncio.wait_for(reader.readline(), 5)
    finally:
        writer.close()
    assert status.startswith(b"HTTP/1.1 403")
