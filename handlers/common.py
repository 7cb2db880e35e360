"""Typed context, the per-update session helper and turning a `Reply` into Telegram calls."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.constants import ChatAction
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackContext, ExtBot

from bot.services import Services
from bot.services.people import menu
from bot.services.shared.replies import Notice, Person, Reply
from bot.telegram_html import split as split_message


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """`context.services` is the one `Services` object `build_application` made."""

    @property
    def services(self) -> Services:
        services: Services = self.bot_data["services"]
        return services


# The application as this bot builds it (bot/app.py): our context type, the rest PTB's.
App = Application[Any, BotContext, Any, Any, Any, Any]

log = logging.getLogger(__name__)

R = TypeVar("R")
Handler = Callable[[Update, BotContext], Coroutine[Any, Any, R]]
SessionHandler = Callable[[Update, BotContext, AsyncSession], Coroutine[Any, Any, R]]


def with_session(func: SessionHandler[R]) -> Handler[R]:
    """Open one database session for the update and hand it to the handler."""

    @functools.wraps(func)
    async def wrapper(update: Update, context: BotContext) -> R:
        async with context.services.db.session() as session:
            return await func(update, context, session)

    return wrapper


def person(update: Update) -> Person:
    user = update.effective_user
    if user is None:
        raise ValueError("update without a user")
    return Person(user.id, user.first_name, user.last_name, user.username)


def markup(reply: Reply) -> InlineKeyboardMarkup | None:
    if not reply.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(b.text, callback_data=b.data) for b in row]
            for row in reply.buttons
        ]
    )


# Telegram's "typing…" only when an answer takes longer than this: most take a few
# milliseconds, and a chat action before each would cost a round trip to Telegram first and
# count against its ~30 messages a second.
BUSY_AFTER = 0.5


@asynccontextmanager
async def busy(
    update: Update, context: BotContext, action: str = ChatAction.TYPING
) -> AsyncIterator[None]:
    """Show `action` ("typing…", "sending a photo…") if the work inside takes a while."""
    chat = update.effective_chat

    async def show_later(chat_id: int) -> None:
        await asyncio.sleep(BUSY_AFTER)
        try:
            await context.bot.send_chat_action(chat_id, action)
        except TelegramError:  # only a courtesy: a blocked chat, a 429 … change nothing
            log.info("no chat action for chat %s", chat_id)

    task = asyncio.create_task(show_later(chat.id)) if chat is not None else None
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def send(update: Update, context: BotContext, reply: Reply) -> Message | None:
    """Send a reply in the update's chat; long texts go in parts, buttons under the last."""
    chat = update.effective_chat
    if chat is None:
        return None
    parts = split_message(reply.text)
    sent: Message | None = None
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        sent = await context.bot.send_message(
            chat.id, part, reply_markup=markup(reply) if last else None
        )
    return sent


async def show(update: Update, context: BotContext, reply: Reply | Notice) -> None:
    """Answer a pressed button: a notice, or the message edited into `reply`."""
    query = update.callback_query
    if query is None:
        return
    if isinstance(reply, Notice):
        await query.answer(reply.text, show_alert=reply.alert)
        return
    await query.answer(reply.toast, show_alert=reply.alert)
    parts = split_message(reply.text)
    if len(parts) > 1 or query.message is None:
        await send(update, context, reply)
        return
    try:
        await query.edit_message_text(parts[0], reply_markup=markup(reply))
    except BadRequest as exc:
        if "message is not modified" not in exc.message.lower():
            raise


def strip_mention(text: str, username: str | None) -> str:
    if username:
        text = text.replace(f"@{username}", " ")
    return " ".join(text.split())


async def set_menu(bot: Bot, services: Services, chat_id: int | None, role: str | None) -> None:
    """Telegram's command menu for one private chat (None: everyone's default menu)."""
    commands = [BotCommand(name, text) for name, text in menu.commands_for(services, role)]
    try:
        if chat_id is None:
            await bot.set_my_commands(commands)
        else:
            await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
    except TelegramError:  # e.g. the person has not started the bot yet
        log.info("no command menu for chat %s", chat_id)
