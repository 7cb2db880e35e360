"""/registreer as a ConversationHandler: one state per question, kept across restarts.

The state follows the draft's step (bot/services/registration.py decides); the draft itself
is in `context.user_data["registration"]`. Both are written to the database right after every
step (`save_now`), so neither a restart nor a crash loses an answer. After 30 minutes without
input the conversation ends with a message (the job queue's timeout while the bot runs; the
draft's own time stamp after a restart).
"""

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

from bot.services import registration as service
from bot.services.replies import Notice, Reply
from handlers.common import BotContext, person, send, show, with_session
from handlers.forms import conversation, in_group, save_now

NAME = "registreer"
KEY = "registration"


class State(IntEnum):
    REGION = 0
    PSEUDONYM = 1
    START_DATE = 2
    METHOD = 3
    TARGET_GROUP = 4
    INITIATOR = 5
    PROVIDER = 6
    BENEFIT = 7
    GGZ = 8
    WERKEN = 9
    SUMMARY = 10


STATE_OF = {step: State(i) for i, step in enumerate((*service.STEPS, service.SUMMARY))}


def _draft(context: BotContext) -> dict[str, Any] | None:
    user_data = context.user_data
    draft = user_data.get(KEY) if user_data is not None else None
    # A copy: the service changes it, and a failure half-way must leave the kept draft intact.
    return copy.deepcopy(draft) if isinstance(draft, dict) else None


async def _reply(update: Update, context: BotContext, result: service.Result) -> int:
    state = await save_now(update, context, NAME, KEY, result.draft, STATE_OF)
    if update.callback_query is not None:
        await show(update, context, result.reply)
    elif isinstance(result.reply, Reply):
        await send(update, context, result.reply)
    return state


@with_session
async def on_start(update: Update, context: BotContext, session: AsyncSession) -> int:
    if update.effective_user is None:
        return ConversationHandler.END
    result = await service.begin(context.services, session, person(update), _draft(context))
    return await _reply(update, context, result)


@with_session
async def on_text(update: Update, context: BotContext, session: AsyncSession) -> int:
    message = update.effective_message
    if message is None or message.text is None or update.effective_user is None:
        return ConversationHandler.END
    result = await service.answer_text(
        context.services, session, person(update), _draft(context), message.text
    )
    return await _reply(update, context, result)


@with_session
async def on_press(update: Update, context: BotContext, session: AsyncSession) -> int:
    query = update.callback_query
    if query is None or query.data is None or update.effective_user is None:
        return ConversationHandler.END
    draft = _draft(context)
    result = await service.press(context.services, session, person(update), draft, query.data)
    if isinstance(result.reply, Notice) and result.draft is draft and draft is not None:
        await show(update, context, result.reply)  # nothing changed: keep the state as it is
        return int(STATE_OF[str(draft["step"])])
    return await _reply(update, context, result)


async def on_stop(update: Update, context: BotContext) -> int:
    return await _reply(update, context, service.stopped(context.services))


async def on_timeout(update: Update, context: BotContext) -> int:
    """30 minutes without input: say so (a timeout has no button to answer)."""
    await save_now(update, context, NAME, KEY, None, STATE_OF)
    chat = update.effective_chat
    if chat is not None:
        reply = service.expired(context.services).reply
        if isinstance(reply, Reply):
            await context.bot.send_message(chat.id, reply.text)
    return ConversationHandler.END


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    private = filters.ChatType.PRIVATE
    return [
        conversation(
            NAME,
            entry_points=[CommandHandler("registreer", on_start, filters=private)],
            state_handlers=[
                CallbackQueryHandler(on_press, pattern=rf"^{service.PREFIX}:"),
                MessageHandler(filters.TEXT & ~filters.COMMAND & private, on_text),
            ],
            states=list(State),
            fallbacks=[CommandHandler(["stop", "annuleer"], on_stop)],
            on_timeout=on_timeout,
        ),
        CommandHandler("registreer", in_group, filters=~private),
    ]


async def nothing_to_stop(update: Update, context: BotContext) -> None:
    await send(update, context, Reply(context.services.renderer.text("nothing_to_stop")))


def stop_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    """/stop when no form is open (registered after every conversation)."""
    return [CommandHandler(["stop", "annuleer"], nothing_to_stop)]
