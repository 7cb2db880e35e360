"""/registreer as a ConversationHandler: one state per question, kept across restarts.

The state follows the draft's step (bot/services/trajectories/registration.py decides); the
draft itself is in `context.user_data["registration"]`. Both are written to the database right
after every step (`save_now`), so neither a restart nor a crash loses an answer. After 30
minutes without input the conversation ends with a message (the job queue's timeout while the
bot runs; the draft's own time stamp after a restart).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler, filters

from bot.callbacks import Flow
from bot.services.shared.replies import Reply
from bot.services.trajectories import registration as service
from handlers.common import BotContext, person, send, with_session
from handlers.forms import Form


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


FORM = Form(
    "registreer",
    "registration",
    service.RegistrationDraft,
    {step: State(i) for i, step in enumerate((*service.STEPS, service.SUMMARY))},
)


@with_session
async def on_start(update: Update, context: BotContext, session: AsyncSession) -> int:
    if update.effective_user is None:
        return ConversationHandler.END
    result = await service.begin(context.services, session, person(update), FORM.draft(context))
    return await FORM.reply(update, context, result, session)


async def on_stop(update: Update, context: BotContext) -> int:
    return await FORM.reply(update, context, service.stopped(context.services))


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    private = filters.ChatType.PRIVATE
    return [
        FORM.conversation(
            entry_points=[CommandHandler("registreer", on_start, filters=private)],
            state_handlers=FORM.steps(Flow.REGISTER, service.press, service.answer_text),
            stop=on_stop,
            expired=service.expired_reply,
        ),
    ]


async def nothing_to_stop(update: Update, context: BotContext) -> None:
    await send(update, context, Reply(context.services.renderer.text("nothing_to_stop")))


def stop_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    """/stop when no form is open (registered after every conversation)."""
    return [CommandHandler(["stop", "annuleer"], nothing_to_stop)]
