"""Drive the real Application with updates shaped like Telegram's, through `FakeBotAPI`.

Used by the end-to-end tests, the benchmarks and `hoofdzaak chat`.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.fakeapi import BOT_ID, BOT_USERNAME, FakeBotAPI, SentMessage

_update_ids = itertools.count(1)


@dataclass(frozen=True)
class Output:
    """What the bot did in response to one update, in order."""

    method: str
    chat_id: int | None
    message_id: int | None
    text: str
    buttons: tuple[tuple[str, str], ...]  # (label, callback data or url)
    file_name: str | None = None  # sendPhoto / sendDocument: the uploaded file
    file: bytes | None = None


class ChatSimulator:
    """One person in one chat, talking to the bot."""

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        api: FakeBotAPI,
        user_id: int = 1001,
        first_name: str = "Sanne",
        last_name: str | None = None,
        username: str | None = None,
        chat_id: int | None = None,
        chat_type: str = "private",
    ) -> None:
        self.app, self.api = app, api
        self.user_id = user_id
        self.user = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            self.user["last_name"] = last_name
        if username:
            self.user["username"] = username
        self.chat_id = chat_id if chat_id is not None else user_id
        self.chat: dict[str, Any] = {"id": self.chat_id, "type": chat_type}
        if chat_type == "private":
            self.chat["first_name"] = first_name
        else:
            self.chat["title"] = "Regio-overleg"

    def _message(self, text: str, reply_to: int | None = None) -> dict[str, Any]:
        msg: dict[str, Any] = {
            "message_id": next(self.api._ids[self.chat_id]),
            "date": int(time.time()),
            "chat": self.chat,
            "from": self.user,
            "text": text,
        }
        entities = []
        if text.startswith("/"):
            length = len(text.split()[0])
            entities.append({"type": "bot_command", "offset": 0, "length": length})
        mention = f"@{BOT_USERNAME}"
        if mention in text:
            entities.append(
                {"type": "mention", "offset": text.index(mention), "length": len(mention)}
            )
        if entities:
            msg["entities"] = entities
        if reply_to is not None:
            original = self.api.messages.get((self.chat_id, reply_to))
            msg["reply_to_message"] = {
                "message_id": reply_to,
                "date": int(time.time()),
                "chat": self.chat,
                "from": {
                    "id": BOT_ID,
                    "is_bot": True,
                    "first_name": "Hoofdzaak Werk",
                    "username": BOT_USERNAME,
                },
                "text": original.text if original else "",
            }
        return msg

    async def process(self, data: dict[str, Any]) -> list[Output]:
        data = {"update_id": next(_update_ids), **data}
        start = len(self.api.calls)
        await self.app.process_update(Update.de_json(data, self.app.bot))
        return self._outputs(start)

    async def send(self, text: str, reply_to: int | None = None) -> list[Output]:
        """The user types `text` (a reply to the bot's message `reply_to`, if given)."""
        return await self.process({"message": self._message(text, reply_to)})

    async def press(self, data: str, message_id: int | None = None) -> list[Output]:
        """The user presses an inline button with callback data `data`."""
        if message_id is None:
            message_id = self.last_bot_message().message_id
        original = self.api.messages.get((self.chat_id, message_id))
        message = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self.chat,
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Hoofdzaak Werk"},
            "text": original.text if original else "",
        }
        query = {
            "id": str(next(_update_ids)),
            "from": self.user,
            "chat_instance": str(self.chat_id),
            "message": message,
            "data": data,
        }
        return await self.process({"callback_query": query})

    def outputs_since(self, start: int) -> list[Output]:
        """What the bot did in this chat since `start` (an index into the API calls): also
        what it sent on its own, such as the progress of an announcement."""
        return [o for o in self._outputs(start) if o.chat_id in (None, self.chat_id)]

    def last_bot_message(self) -> SentMessage:
        msgs = self.api.chat_messages(self.chat_id)
        if not msgs:
            raise LookupError("the bot has not sent anything in this chat yet")
        return max(msgs, key=lambda m: m.message_id)

    def _outputs(self, start: int) -> list[Output]:
        out: list[Output] = []
        for call in self.api.calls[start:]:
            if call.method in ("sendChatAction", "getMe", "setMyCommands"):  # not in the chat
                continue
            p = call.params
            chat = p.get("chat_id")
            markup = FakeBotAPI._markup(p) or {}
            buttons = tuple(
                (b["text"], b.get("callback_data") or b.get("url", ""))
                for row in markup.get("inline_keyboard", [])
                for b in row
            )
            text = str(p.get("text") or p.get("caption") or "")
            message_id = p.get("message_id")
            if call.method in ("sendMessage", "sendPhoto", "sendDocument") and chat is not None:
                sent = [m for m in self.api.chat_messages(int(chat)) if m.text == text]
                message_id = sent[-1].message_id if sent else None
            file_name, file = self._file(p)
            is_file = call.method in ("sendPhoto", "sendDocument")
            if file is None and is_file and chat is not None and message_id is not None:
                kept = self.api.messages.get((int(chat), int(message_id)))
                file_name, file = (kept.file_name, kept.file) if kept else (None, None)
            out.append(
                Output(
                    call.method,
                    int(chat) if chat is not None else None,
                    int(message_id) if message_id is not None else None,
                    text,
                    buttons,
                    file_name,
                    file,
                )
            )
        return out

    @staticmethod
    def _file(params: dict[str, Any]) -> tuple[str | None, bytes | None]:
        """The first uploaded file of a call (name and bytes), if it has one."""
        for name, content in (params.get("_files") or {}).values():
            if isinstance(content, bytes):
                return str(name), content
        return None, None
