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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qs

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


def test_run_polls_a_bot_api_server_and_stops_on_sigterm(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BotApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_BASE_URL": f"http://127.0.0.1:{server.server_port}/bot",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with _BotApi.lock:
                sent = [p for m, p in _BotApi.calls if m == "sendMessage"]
            if sent or proc.poll() is not None:
                break
            time.sleep(0.1)
        assert sent, proc.stderr.read() if proc.poll() is not None else "no reply in time"
        assert "FAQ 5.5" in sent[0]["text"]
        methods = [m for m, _ in _BotApi.calls]
        assert "getMe" in methods and "setMyCommands" in methods
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, err = proc.communicate(timeout=30)
        finally:
            server.shutdown()
    assert proc.returncode == 0, err
    assert TOKEN not in err  # the token never reaches the log
