"""`hoofdzaak run` over real HTTP against a Bot API server on loopback (TELEGRAM_BASE_URL).

The server here speaks the Bot API's HTTP protocol (getMe, getUpdates long polling,
sendMessage, …), so this checks what a self-hosted telegram-bot-api server would see: the
token in the path, polling, replies, and a clean stop on SIGTERM.
"""

from __future__ import annotations

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

from tests.net import free_port

TOKEN = "123456:TEST-token-abc"


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
                result = [
                    {
                        "update_id": 1,
                        "message": {
                            "message_id": 10,
                            "date": int(time.time()),
                            "chat": {"id": 555, "type": "private", "first_name": "Ans"},
                            "from": {"id": 555, "is_bot": False, "first_name": "Ans"},
                            "text": "wie betaalt de eerste 8 gesprekken?",
                        },
                    }
                ]
            else:
                time.sleep(0.2)
                result = []
        elif method == "sendMessage":
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
    """The sendMessage calls the server got, once there is one (or the bot died, or time)."""
    while time.monotonic() < deadline:
        with _BotApi.lock:
            sent = [p for m, p in _BotApi.calls if m == "sendMessage"]
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


def test_run_polls_a_bot_api_server_and_stops_on_sigterm(tmp_path: Path) -> None:
    server, proc = _run_bot(tmp_path, "run.db")
    try:
        sent = _wait_for_replies(proc, time.monotonic() + 60)
        assert sent, proc.stderr.read() if proc.poll() is not None else "no reply in time"
        assert "FAQ 5.5" in sent[0]["text"]
        methods = [m for m, _ in _BotApi.calls]
        assert "getMe" in methods and "setMyCommands" in methods
    finally:
        err = _stop(proc, server)
    assert proc.returncode == 0, err
    assert TOKEN not in err  # the token never reaches the log


def test_run_in_webhook_mode_answers_and_stops_on_sigterm(tmp_path: Path) -> None:
    """`hoofdzaak run` with WEBHOOK_URL: registers the webhook with its secret, serves
    /healthz, answers an update Telegram posts, and stops cleanly on SIGTERM."""
    port = free_port()
    secret = "hook-Secret_1"
    server, proc = _run_bot(
        tmp_path,
        "hook.db",
        WEBHOOK_URL="https://bot.example.nl/telegram",
        WEBHOOK_SECRET=secret,
        WEBHOOK_PORT=str(port),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        health: dict[str, Any] = {}
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as resp:
                    health = json.loads(resp.read())
                    break
            except OSError:
                time.sleep(0.1)
        assert health.get("status") == "ok", proc.stderr.read() if proc.poll() else health
        update = {
            "update_id": 7,
            "message": {
                "message_id": 70,
                "date": int(time.time()),
                "chat": {"id": 556, "type": "private", "first_name": "Bo"},
                "from": {"id": 556, "is_bot": False, "first_name": "Bo"},
                "text": "wie betaalt de eerste 8 gesprekken?",
            },
        }
        request = urllib.request.Request(
            f"{base}/telegram",
            data=json.dumps(update).encode(),
            headers={
                "Content-Type": "application/json",
                "X-Telegram-Bot-Api-Secret-Token": secret,
            },
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            assert resp.status == 200
        sent = _wait_for_replies(proc, deadline)
        assert sent and "FAQ 5.5" in sent[0]["text"]
        with _BotApi.lock:
            hooks = [p for m, p in _BotApi.calls if m == "setWebhook"]
            polled = [m for m, _ in _BotApi.calls if m == "getUpdates"]
        assert hooks and hooks[0]["secret_token"] == secret and not polled
    finally:
        err = _stop(proc, server)
    assert proc.returncode == 0, err
    assert TOKEN not in err and secret not in err
