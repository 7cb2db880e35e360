"""The delivery engine's transport over python-telegram-bot: telegram.Bot and its errors in,
the engine's own outcome types out (bot/services/messaging/sender.py never imports telegram).

The sender gets a Bot of its own: a plain `telegram.Bot`, not the application's `ExtBot`.
The application's bot goes through PTB's `AIORateLimiter`, which waits out 429s itself and
retries; the engine must see every 429 (to pause all its sends) and paces itself below
Telegram's limits, so its requests bypass that limiter. A separate connection pool also keeps
a big send from taking the connections the interactive replies need.
"""

from __future__ import annotations

import warnings
from datetime import timedelta
from pathlib import Path
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.services.messaging.outcomes import (
    Blocked,
    MaybeSent,
    NotSent,
    Outgoing,
    RateLimited,
    Rejected,
    Sent,
    TransportError,
)

_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
# answers from Telegram's side that mean the request was not processed: safe to try again
_SERVER_ERRORS = ("Bad Gateway", "Service Unavailable", "Gateway Timeout", "Internal Server")


class TelegramTransport:
    """Sends with a `telegram.Bot` and sorts its exceptions into the engine's outcomes."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def open(self) -> None:
        await self.bot.initialize()

    async def close(self) -> None:
        await self.bot.shutdown()

    async def send(self, message: Outgoing) -> Sent:
        markup = _markup(message.reply_markup, self.bot)
        try:
            if message.media_kind is None:
                sent = await self.bot.send_message(
                    message.chat_id,
                    message.text,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                    link_preview_options=_NO_PREVIEW,
                )
                return Sent(sent.message_id)
            media: str | Path = message.media_file_id or Path(message.media_path or "")
            if message.media_kind == "photo":
                sent = await self.bot.send_photo(
                    message.chat_id,
                    media,
                    caption=message.text or None,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
            else:
                sent = await self.bot.send_document(
                    message.chat_id,
                    media,
                    caption=message.text or None,
                    parse_mode=ParseMode.HTML,
                    reply_markup=markup,
                )
            return Sent(sent.message_id, _file_id(sent))
        except TelegramError as exc:
            raise outcome(exc) from exc

    async def edit(
        self, chat_id: int, message_id: int, text: str, reply_markup: dict[str, Any] | None
    ) -> None:
        try:
            await self.bot.edit_message_text(
                text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=_markup(reply_markup, self.bot),
                link_preview_options=_NO_PREVIEW,
            )
        except TelegramError as exc:
            raise outcome(exc) from exc


def outcome(exc: TelegramError) -> TransportError:
    """The engine's name for a python-telegram-bot error (order matters: BadRequest and
    TimedOut are NetworkErrors in PTB)."""
    if isinstance(exc, RetryAfter):
        with warnings.catch_warnings():  # PTB 22 warns about int time periods
            warnings.simplefilter("ignore")
            after = exc.retry_after
        seconds = after.total_seconds() if isinstance(after, timedelta) else float(after)
        return RateLimited(exc.message, seconds)
    if isinstance(exc, Forbidden):
        return Blocked(exc.message)
    if isinstance(exc, BadRequest):
        return Rejected(exc.message)
    if isinstance(exc, TimedOut):
        return NotSent(exc.message) if _before_sending(exc) else MaybeSent(exc.message)
    if isinstance(exc, NetworkError):
        return NotSent(exc.message) if _before_sending(exc) else MaybeSent(exc.message)
    return Rejected(exc.message)  # InvalidToken, ChatMigrated, …: sending again will not help


def _before_sending(exc: NetworkError) -> bool:
    """True when the request certainly did not reach Telegram (or Telegram refused it)."""
    message = exc.message
    if message.startswith("Pool timeout") or message.startswith("httpx.ConnectError"):
        return True
    cause = exc.__cause__
    if cause is not None and type(cause).__name__ in ("ConnectError", "ConnectTimeout"):
        return True
    return any(s in message for s in _SERVER_ERRORS)


def _markup(data: dict[str, Any] | None, bot: Bot) -> InlineKeyboardMarkup | None:
    if not data:
        return None
    return InlineKeyboardMarkup.de_json(data, bot)


def _file_id(message: Message) -> str | None:
    if message.photo:
        return message.photo[-1].file_id
    if message.document is not None:
        return message.document.file_id
    return None
