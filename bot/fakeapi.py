"""An in-process fake of the Telegram Bot API, for the tests and the offline console.

`FakeBotAPI` is a python-telegram-bot `BaseRequest`: the real `Application` and `Bot` talk to
it exactly as they would talk to Telegram over HTTP. It records every call, keeps the messages
the bot sent (so buttons can be pressed later), answers like Telegram (message objects, `true`)
and can be told to fail the next call to a method with Telegram's own errors: 403 (the user
blocked the bot), 429 (retry after N seconds) or 400 (bad request), or with a network error:
`NETWORK` (the connection failed before the request went out) or `TIMEOUT` (the request
arrived and the message was delivered, but the answer never came back). Nothing touches the
network.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from typing import Any

from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.telegram_html import telegram_error

BOT_ID = 7000000001
BOT_USERNAME = "hoofdzaak_werk_bot"
BOT_FIRST_NAME = "Hoofdzaak Werk"
OFFLINE_TOKEN = f"{BOT_ID}:OFFLINE-fake-token-for-the-console-and-tests"


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    result: Any = None  # what the fake answered (a message: its JSON, with the message_id)
    # the task that made the call: tells a reply to an update (made while handling it) from
    # what the bot sends on its own meanwhile (digest, announcements)
    task: asyncio.Task[Any] | None = field(default=None, repr=False, compare=False)


@dataclass
class SentMessage:
    """A message the bot has in a chat, as the fake keeps it (edits update it in place)."""

    chat_id: int
    message_id: int
    text: str
    reply_markup: dict[str, Any] | None = None
    edits: int = 0
    kind: str = "text"
    file_name: str | None = None  # photo or document: the uploaded file
    file: bytes | None = None
    file_id: str = ""  # photo or document: Telegram's id for the file (sent again by id)

    def buttons(self) -> list[dict[str, Any]]:
        if not self.reply_markup:
            return []
        return [b for row in self.reply_markup.get("inline_keyboard", []) for b in row]


NETWORK = -1  # fail_next(method, NETWORK): a connection error before the request went out
TIMEOUT = -2  # fail_next(method, TIMEOUT): delivered, but the answer timed out


@dataclass
class _Failure:
    status: int
    description: str
    retry_after: int | None = None
    chat_id: int | None = None  # only for a call to this chat (None: the next call)


def _parse_error(params: dict[str, Any], key: str) -> _Failure | None:
    if params.get("parse_mode") != "HTML":
        return None
    error = telegram_error(str(params.get(key) or ""))
    return _Failure(400, error) if error else None


def _chat_of(params: dict[str, Any]) -> int:
    raw = params.get("chat_id")
    try:
        return int(raw) if raw is not None else 0
    except (TypeError, ValueError):
        return 0


@dataclass
class FakeBotAPI(BaseRequest):
    calls: list[ApiCall] = field(default_factory=list)
    messages: dict[tuple[int, int], SentMessage] = field(default_factory=dict)
    commands: list[dict[str, Any]] = field(default_factory=list)
    _failures: dict[str, deque[_Failure]] = field(default_factory=lambda: defaultdict(deque))
    _blocked: set[int] = field(default_factory=set)
    _file_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _ids: dict[int, itertools.count[int]] = field(
        default_factory=lambda: defaultdict(lambda: itertools.count(1))
    )
    # seconds each call takes, as the round trip to Telegram would (benchmarks/load.py)
    latency: float = 0.0
    # chat id → an event: calls to that chat wait until it is set (tests of concurrency)
    holds: dict[int, asyncio.Event] = field(default_factory=dict)
    _pending_updates: deque[dict[str, Any]] = field(default_factory=deque)
    _updates_waiting: asyncio.Event = field(default_factory=asyncio.Event)
    _last_update_id: int = 0

    # -- BaseRequest -----------------------------------------------------------------------

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        if request_data is not None and request_data.contains_files:
            # Uploads (photos, documents) come as multipart parts: (file name, bytes, mime type).
            for part, value in (request_data.multipart_data or {}).items():
                params.setdefault("_files", {})[part] = (value[0], value[1])
        if api_method == "getUpdates":
            if self.latency:
                await asyncio.sleep(self.latency)
            return await self._get_updates(params)
        call = ApiCall(api_method, params, task=asyncio.current_task())
        self.calls.append(call)
        if self.latency:
            await asyncio.sleep(self.latency)
        held = self.holds.get(_chat_of(params))
        if held is not None:
            await held.wait()
        failure = self._next_failure(api_method, params)
        if failure is not None and failure.status == NETWORK:
            raise NetworkError(f"httpx.ConnectError: {failure.description}")
        if failure is not None and failure.status == TIMEOUT:
            self._answer(call)  # it did arrive
            raise TimedOut(failure.description)
        if failure is not None:
            body: dict[str, Any] = {
                "ok": False,
                "error_code": failure.status,
                "description": failure.description,
            }
            if failure.retry_after is not None:
                body["parameters"] = {"retry_after": failure.retry_after}
            return failure.status, json.dumps(body).encode()
        return self._answer(call)

    def _answer(self, call: ApiCall) -> tuple[int, bytes]:
        handler = getattr(self, f"_api_{call.method}", None)
        if handler is None:
            result: Any = True
        else:
            result = handler(call.params)
            if isinstance(result, _Failure):
                body: dict[str, Any] = {
                    "ok": False,
                    "error_code": result.status,
                    "description": result.description,
                }
                return result.status, json.dumps(body).encode()
        call.result = result
        return 200, json.dumps({"ok": True, "result": result}).encode()

    # -- scripting failures ----------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int,
        description: str = "",
        retry_after: int | None = None,
        chat_id: int | None = None,
    ) -> None:
        """Make the next call of `method` (to `chat_id`, if given) fail like Telegram would.

        status: 400, 403, 429 (with `retry_after`), NETWORK or TIMEOUT (see the module text)."""
        defaults = {
            400: "Bad Request: message text is empty",
            403: "Forbidden: bot was blocked by the user",
            429: f"Too Many Requests: retry after {retry_after or 1}",
            NETWORK: "connection refused",
            TIMEOUT: "Timed out",
        }
        self._failures[method].append(
            _Failure(status, description or defaults.get(status, "Error"), retry_after, chat_id)
        )

    def hold(self, chat_id: int) -> asyncio.Event:
        """Calls to this chat wait (as if Telegram were slow for it) until the returned event
        is set."""
        event = self.holds[chat_id] = asyncio.Event()
        return event

    def block(self, chat_id: int) -> None:
        """From now on every call to this chat answers 403, as when a user blocked the bot."""
        self._blocked.add(chat_id)

    def _next_failure(self, method: str, params: dict[str, Any]) -> _Failure | None:
        raw = params.get("chat_id")
        chat_id = int(raw) if raw is not None else None
        if chat_id is not None and chat_id in self._blocked:
            return _Failure(403, "Forbidden: bot was blocked by the user")
        queue = self._failures.get(method)
        if not queue:
            return None
        for failure in queue:
            if failure.chat_id is None or failure.chat_id == chat_id:
                queue.remove(failure)
                return failure
        return None

    # -- what tests and the console read ---------------------------------------------------

    def sent(self, method: str | None = None) -> list[ApiCall]:
        return [c for c in self.calls if method is None or c.method == method]

    def chat_messages(self, chat_id: int) -> list[SentMessage]:
        return [m for (c, _), m in sorted(self.messages.items()) if c == chat_id]

    def reset_calls(self) -> None:
        self.calls.clear()

    # -- API methods -----------------------------------------------------------------------

    @staticmethod
    def _me() -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": BOT_FIRST_NAME,
            "username": BOT_USERNAME,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def _api_getMe(self, _params: dict[str, Any]) -> dict[str, Any]:
        return self._me()

    def _api_setMyCommands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands", [])
        self.commands = json.loads(commands) if isinstance(commands, str) else list(commands)
        return True

    def _api_getMyCommands(self, _params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands

    def _message_json(self, msg: SentMessage) -> dict[str, Any]:
        out: dict[str, Any] = {
            "message_id": msg.message_id,
            "date": int(time.time()),
            "chat": {"id": msg.chat_id, "type": "private" if msg.chat_id > 0 else "group"},
            "from": self._me(),
        }
        if msg.kind == "text":
            out["text"] = msg.text
        else:
            out["caption"] = msg.text
            file = {"file_id": msg.file_id, "file_unique_id": msg.file_id}
            if msg.kind == "photo":
                out["photo"] = [{**file, "width": 800, "height": 600}]
            else:
                out["document"] = {**file, "file_name": msg.file_name or "bestand"}
        if msg.edits:
            out["edit_date"] = int(time.time())
        if msg.reply_markup:
            out["reply_markup"] = msg.reply_markup
        return out

    @staticmethod
    def _markup(params: dict[str, Any]) -> dict[str, Any] | None:
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            return dict(json.loads(markup))
        return dict(markup) if markup else None

    def _send(self, params: dict[str, Any], text: str, kind: str) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        msg = SentMessage(chat_id, next(self._ids[chat_id]), text, self._markup(params), kind=kind)
        self.messages[(chat_id, msg.message_id)] = msg
        return self._message_json(msg)

    def _api_sendMessage(self, params: dict[str, Any]) -> dict[str, Any] | _Failure:
        text = str(params.get("text", ""))
        if not text.strip():
            return _Failure(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return _Failure(400, "Bad Request: message is too long")
        return _parse_error(params, "text") or self._send(params, text, "text")

    def _send_file(self, params: dict[str, Any], kind: str) -> dict[str, Any] | _Failure:
        failure = _parse_error(params, "caption")
        if failure is not None:
            return failure
        result = self._send(params, str(params.get("caption", "")), kind)
        files = params.get("_files") or {}
        msg = self.messages[(int(params["chat_id"]), result["message_id"])]
        if files:
            msg.file_name, content = next(iter(files.values()))
            msg.file = content if isinstance(content, bytes) else bytes(content.read())
            msg.file_id = f"{kind}-{next(self._file_ids)}"
        else:  # sent again by file id
            msg.file_id = str(params.get(kind, ""))
        return self._message_json(msg)

    def _api_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any] | _Failure:
        return self._send_file(params, "photo")

    def _api_sendDocument(self, params: dict[str, Any]) -> dict[str, Any] | _Failure:
        return self._send_file(params, "document")

    def _edit(self, params: dict[str, Any]) -> SentMessage | _Failure:
        key = (int(params["chat_id"]), int(params["message_id"]))
        msg = self.messages.get(key)
        if msg is None:
            return _Failure(400, "Bad Request: message to edit not found")
        return msg

    def _api_editMessageText(self, params: dict[str, Any]) -> dict[str, Any] | _Failure:
        msg = self._edit(params)
        if isinstance(msg, _Failure):
            return msg
        failure = _parse_error(params, "text")
        if failure is not None:
            return failure
        text = str(params.get("text", ""))
        markup = self._markup(params)
        if text == msg.text and markup == msg.reply_markup:
            return _Failure(
                400,
                "Bad Request: message is not modified: specified new message content and reply "
                "markup are exactly the same as a current content and reply markup of the message",
            )
        msg.text, msg.reply_markup = text, markup
        msg.edits += 1
        return self._message_json(msg)

    def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> dict[str, Any] | _Failure:
        msg = self._edit(params)
        if isinstance(msg, _Failure):
            return msg
        msg.reply_markup = self._markup(params)
        msg.edits += 1
        return self._message_json(msg)

    def _api_deleteMessage(self, params: dict[str, Any]) -> bool:
        self.messages.pop((int(params["chat_id"]), int(params["message_id"])), None)
        return True

    # -- long polling: updates handed to the bot the way Telegram does ------------------------

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update (without `update_id`) for the bot's next getUpdates; returns the
        update id it got."""
        self._last_update_id += 1
        self._pending_updates.append({"update_id": self._last_update_id, **update})
        self._updates_waiting.set()
        return self._last_update_id

    async def _get_updates(self, params: dict[str, Any]) -> tuple[int, bytes]:
        """Long polling: what is queued from `offset` on, or wait up to `timeout` seconds."""
        offset = int(params.get("offset") or 0)
        while self._pending_updates and self._pending_updates[0]["update_id"] < offset:
            self._pending_updates.popleft()  # confirmed by the offset
        if not self._pending_updates:
            self._updates_waiting.clear()
            timeout = min(float(params.get("timeout") or 0), 1.0)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._updates_waiting.wait()
        limit = int(params.get("limit") or 100)
        result = list(itertools.islice(self._pending_updates, limit))
        return 200, json.dumps({"ok": True, "result": result}).encode()
