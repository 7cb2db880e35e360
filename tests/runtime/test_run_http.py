"""`hoofdzaak run` over real HTTP against a Bot API server on loopback (TELEGRAM_BASE_URL).

The server here speaks the Bot API's HTTP protocol (getMe, getUpdates long polling,
sendMessage, …), so this checks what a self-hosted telegram-bot-api server would see: the
token in the path, polling or a webhook with its secret, replies, and a clean stop on SIGTERM
while an announcement is going out, which the next start finishes.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from subprocess import Popen
from typing import Any, ClassVar
from urllib.parse import parse_qs

import pytest

from tests.support.net import free_port
from tests.support.senders import prepare, rows_of

TOKEN = "123456:TEST-token-abc"


BROADCAST_CHATS = 700_000  # tests.test_kill_resume.prepare's recipients start here


def _question(update_id: int, user_id: int, name: str) -> dict[str, Any]:
    """An update: a person asks who pays for the first 8 conversations (FAQ 5.5)."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": 10 * update_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": name},
            "from": {"id": user_id, "is_bot": False, "first_name": name},
            "text": "wie betaalt de eerste 8 gesprekken?",
        },
    }


class _BotApi(BaseHTTPRequestHandler):
    calls: ClassVar[list[tuple[str, dict[str, Any]]]] = []
    update_sent = False
    lock = threading.Lock()

    def log_message(self, *args: object) -> None:
        return None

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        ctype = self.headers.get("Content-Type", "")
        if "json" in ctype:
            params = json.loads(raw or "{}")
        else:
            params = {k: v[0] for k, v in parse_qs(raw).items()}
        prefix = f"/bot{TOKEN}/"
        if not self.path.startswith(prefix):
            self._reply(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        method = self.path[len(prefix) :]
        with self.lock:
            self.calls.append((method, params))
        result: Any = True
        if method == "getMe":
            result = {"id": 123456, "is_bot": True, "first_name": "Test", "username": "test_bot"}
        elif method == "getUpdates":
            with self.lock:
                first = not _BotApi.update_sent
                _BotApi.update_sent = True
            if first:
                result = [_question(1, 555, "Ans")]
            else:
                time.sleep(0.2)
                result = []
        elif method == "sendMessage":
            if int(params["chat_id"]) >= BROADCAST_CHATS:
                time.sleep(0.03)  # an announcement going out takes a moment per message
            result = {
                "message_id": 11,
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "text": params.get("text", ""),
            }
        self._reply(200, {"ok": True, "result": result})

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _run_bot(tmp_path: Path, db_name: str, **env: str) -> tuple[ThreadingHTTPServer, Popen[str]]:
    """A Bot API server on loopback, and `hoofdzaak run` against it in a subprocess."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BotApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with _BotApi.lock:
        _BotApi.calls.clear()
        _BotApi.update_sent = False
    full_env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": f"http://127.0.0.1:{server.server_port}/bot",
        "DATABASE_URL": f"sqlite:///{tmp_path / db_name}",
        **env,
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        env=full_env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return server, proc


def _wait_for_replies(proc: Popen[str], deadline: float) -> list[dict[str, Any]]:
    """The replies to people (not announcements) the server got, once there is one (or the
    bot died, or time ran out)."""
    while time.monotonic() < deadline:
        with _BotApi.lock:
            sent = [
                p
                for m, p in _BotApi.calls
                if m == "sendMessage" and int(p["chat_id"]) < BROADCAST_CHATS
            ]
        if sent or proc.poll() is not None:
            return sent
        time.sleep(0.1)
    return []


def _stop(proc: Popen[str], server: ThreadingHTTPServer) -> str:
    """SIGTERM, wait for a clean exit; what the bot wrote to stderr."""
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=30)
    finally:
        server.shutdown()
    return str(err)


def _received(text: str) -> list[int]:
    """The announcement's recipients the server got `text` for."""
    with _BotApi.lock:
        return [
            int(p["chat_id"])
            for m, p in _BotApi.calls
            if m == "sendMessage"
            and p.get("text") == text
            and int(p["chat_id"]) >= BROADCAST_CHATS
        ]


def _healthy(proc: Popen[str], port: int) -> None:
    """/healthz answers 200 with the database ok (waits for the bot to listen)."""
    deadline = time.monotonic() + 60
    health: dict[str, Any] = {}
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                health = json.loads(resp.read())
                break
        except OSError:
            time.sleep(0.1)
    stderr = proc.stderr.read() if proc.poll() is not None and proc.stderr else ""
    assert health.get("status") == "ok", stderr or health
    assert health["database"] == "ok"


def _answers_by_polling(proc: Popen[str], port: int) -> None:
    """Polls, answers a question, and serves /healthz on HOOFDZAAK_HEALTH_PORT."""
    sent = _wait_for_replies(proc, time.monotonic() + 60)
    assert sent, proc.stderr.read() if proc.poll() is not None and proc.stderr else "no reply"
    assert "FAQ 5.5" in sent[0]["text"]
    with _BotApi.lock:
        methods = [m for m, _ in _BotApi.calls]
    assert "getMe" in methods and "setMyCommands" in methods
    _healthy(proc, port)


def _answers_by_webhook(proc: Popen[str], port: int, secret: str) -> None:
    """Registers the webhook with its secret, serves /healthz, answers an update Telegram
    posts, and never polls."""
    _healthy(proc, port)
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/telegram",
        data=json.dumps(_question(7, 556, "Bo")).encode(),
        headers={"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200
    sent = _wait_for_replies(proc, time.monotonic() + 60)
    assert sent and "FAQ 5.5" in sent[0]["text"]
    with _BotApi.lock:
        hooks = [p for m, p in _BotApi.calls if m == "setWebhook"]
        polled = [m for m, _ in _BotApi.calls if m == "getUpdates"]
    assert hooks and hooks[0]["secret_token"] == secret and not polled


@pytest.mark.parametrize("mode", ["polling", "webhook"])
def test_run_answers_and_a_sigterm_while_sending_stops_cleanly_then_the_next_start_resumes(
    tmp_path: Path, mode: str
) -> None:
    """`hoofdzaak run` answers a question (polling, or a webhook with its secret); an
    announcement is going out when it gets SIGTERM: it exits 0, nothing is left half-sent
    (no `sending`, no `uncertain`), and the next start sends the rest, so everyone gets it
    exactly once. The token and the secret never reach the log."""
    recipients = 100
    url = f"sqlite+aiosqlite:///{tmp_path / 'term.db'}"
    ann_id = asyncio.run(prepare(url, recipients))  # text "Nieuws", status sending
    secret = "term-Secret_1"
    env = {"HOOFDZAAK_BROADCAST_RATE": "50"}
    if mode == "webhook":
        env |= {"WEBHOOK_URL": "https://bot.example.nl/telegram", "WEBHOOK_SECRET": secret}
    got: list[int] = []
    for run in (1, 2):
        port = free_port()
        env["WEBHOOK_PORT" if mode == "webhook" else "HOOFDZAAK_HEALTH_PORT"] = str(port)
        server, proc = _run_bot(tmp_path, "term.db", **env)
        deadline = time.monotonic() + 60
        try:
            if run == 1 and mode == "polling":
                _answers_by_polling(proc, port)
            elif run == 1:
                _answers_by_webhook(proc, port, secret)
            while time.monotonic() < deadline:  # run 1: part of it; run 2: until it is done
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                if run == 1 and len(_received("Nieuws")) >= 20:
                    break
                if run == 2 and asyncio.run(rows_of(url, ann_id))[1] == "done":
                    break
                time.sleep(0.1)
        finally:
            err = _stop(proc, server)
        assert proc.returncode == 0, err
        assert TOKEN not in err and secret not in err
        got += _received("Nieuws")
        rows, status = asyncio.run(rows_of(url, ann_id))
        statuses = {r.status for r in rows}
        if run == 1:
            assert statuses == {"sent", "pending"}, "stopped half-way, nothing in between"
            assert status == "sending"
        assert {r.chat_id for r in rows if r.status == "sent"} == set(got)
    assert status == "done" and statuses == {"sent"}
    assert sorted(got) == sorted(r.chat_id for r in rows), "everyone exactly once"
