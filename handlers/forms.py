"""What the form conversations (/registreer, /mijntrajecten) share: persistence at every step
and one ConversationHandler shape (private chats, same handlers in every state, 30-minute
timeout, re-entry)."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, ConversationHandler, TypeHandler

from bot.services import forms
from bot.services.replies import Reply
from handlers.common import BotContext, send


async def save_now(
    update: Update,
    context: BotContext,
    name: str,
    key: str,
    draft: dict[str, Any] | None,
    state_of: Mapping[str, int],
) -> int:
    """Keep the draft in user data and write it and the state to the database at once."""
    user_data = context.user_data
    if user_data is not None:
        if draft is None:
            user_data.pop(key, None)
        else:
            user_data[key] = draft
    state = ConversationHandler.END if draft is None else state_of[str(draft["step"])]
    persistence = context.application.persistence
    user, chat = update.effective_user, update.effective_chat
    if persistence is not None and user is not None and chat is not None:
        await persistence.update_user_data(user.id, dict(user_data or {}))
        await persistence.update_conversation(
            name, (chat.id, user.id), None if state == ConversationHandler.END else state
        )
    return state


def conversation(
    name: str,
    entry_points: list[BaseHandler[Update, BotContext, Any]],
    state_handlers: list[BaseHandler[Update, BotContext, Any]],
    states: list[int],
    fallbacks: list[BaseHandler[Update, BotContext, Any]],
    on_timeout: Any,
) -> ConversationHandler[BotContext]:
    """A persistent conversation in private chats with the same handlers in every state."""
    with warnings.catch_warnings():
        # Buttons are tracked per chat and user, not per message: that is what we want here.
        warnings.filterwarnings("ignore", message=".*per_message=False.*")
        return ConversationHandler(
            entry_points=entry_points,
            states={
                **{state: state_handlers for state in states},
                ConversationHandler.TIMEOUT: [TypeHandler(Update, on_timeout)],
            },
            fallbacks=fallbacks,
            name=name,
            persistent=True,
            allow_reentry=True,
            conversation_timeout=forms.IDLE.total_seconds(),
        )


async def in_group(update: Update, context: BotContext) -> None:
    """Pseudonyms stay out of group chats: forms and lists only in a private chat."""
    message = update.effective_message
    command = (message.text or "/").split()[0].lstrip("/").split("@")[0] if message else ""
    text = context.services.renderer.render("common/private_only.html.j2", command=command)
    await send(update, context, Reply(text))
