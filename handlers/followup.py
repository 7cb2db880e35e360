"""/mijntrajecten: the list and details (plain buttons) and the forms to record a placement,
an ending or a change (a persistent ConversationHandler, entered by their buttons)."""

from __future__ import annotations

import copy
from enum import IntEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.services import followup as service
from bot.services.replies import Notice, Reply
from handlers.common import BotContext, person, send, show, with_session
from handlers.forms import conversation, in_group, save_now

NAME = "mijntrajecten"
KEY = "followup"


class State(IntEnum):
    FIELD = 0
    REGION = 1
    PSEUDONYM = 2
    START_DATE = 3
    METHOD = 4
    TARGET_GROUP = 5
    INITIATOR = 6
    PROVIDER = 7
    BENEFIT = 8
    TREATMENT = 9
    PLACEMENT_DATE = 10
    HOURS_PER_WEEK = 11
    CONTRACT = 12
    END_DATE = 13
    END_REASON = 14


STATE_OF = {state.name.lower(): int(state) for state in State}


def _draft(context: BotContext) -> dict[str, Any] | None:
    draft = context.user_data.get(KEY) if context.user_data is not None else None
    return copy.deepcopy(draft) if isinstance(draft, dict) else None


async def _reply(update: Update, context: BotContext, result: service.Result) -> int:
    state = await save_now(update, context, NAME, KEY, result.draft, STATE_OF)
    if update.callback_query is not None:
        await show(update, context, result.reply)
    elif isinstance(result.reply, Reply):
        await send(update, context, result.reply)
    return state


@with_session
async def on_list(update: Update, context: BotContext, session: AsyncSession) -> None:
    if update.effective_user is None:
        return
    result = await service.start(context.services, session, person(update))
    if isinstance(result.reply, Reply):
        await send(update, context, result.reply)


@with_session
async def on_press(update: Update, context: BotContext, session: AsyncSession) -> int:
    query = update.callback_query
    if query is None or query.data is None or update.effective_user is None:
        return ConversationHandler.END
    draft = _draft(context)
    result = await service.press(context.services, session, person(update), draft, query.data)
    if isinstance(result.reply, Notice) and draft is not None and result.draft is draft:
        await show(update, context, result.reply)  # nothing changed: the form stays open
        return STATE_OF[str(draft["step"])]
    return await _reply(update, context, result)


@with_session
async def on_text(update: Update, context: BotContext, session: AsyncSession) -> int:
    message = update.effective_message
    if message is None or message.text is None or update.effective_user is None:
        return ConversationHandler.END
    result = await service.text(
        context.services, session, person(update), _draft(context), message.text
    )
    return await _reply(update, context, result)


@with_session
async def on_stop(update: Update, context: BotContext, session: AsyncSession) -> int:
    if update.effective_user is None:
        return ConversationHandler.END
    result = await service.stop(context.services, session, person(update), _draft(context))
    state = await save_now(update, context, NAME, KEY, None, STATE_OF)
    if isinstance(result.reply, Reply):
        await send(update, context, result.reply)
    return state


async def on_timeout(update: Update, context: BotContext) -> int:
    await save_now(update, context, NAME, KEY, None, STATE_OF)
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(chat.id, service.expired(context.services).text)
    return ConversationHandler.END


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    private = filters.ChatType.PRIVATE
    prefix = service.PREFIX
    return [
        conversation(
            NAME,
            # a form starts with its button; browsing presses (list, details) end no form
            entry_points=[CallbackQueryHandler(on_press, pattern=rf"^{prefix}:[pew]:")],
            state_handlers=[
                CallbackQueryHandler(on_press, pattern=rf"^{prefix}:"),
                MessageHandler(filters.TEXT & ~filters.COMMAND & private, on_text),
            ],
            states=list(State),
            fallbacks=[CommandHandler(["stop", "annuleer"], on_stop)],
            on_timeout=on_timeout,
        ),
        CommandHandler("mijntrajecten", on_list, filters=private),
        CommandHandler("mijntrajecten", in_group, filters=~private),
        CallbackQueryHandler(on_press, pattern=rf"^{prefix}:"),
    ]
