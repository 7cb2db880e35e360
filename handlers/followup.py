"""/mijntrajecten: the list and details (plain buttons) and the forms to record a placement,
an ending or a change (a persistent ConversationHandler, entered by their buttons)."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    filters,
)

from bot.callbacks import Flow, pattern
from bot.services.shared.replies import Reply
from bot.services.trajectories import followup as service
from handlers.common import BotContext, person, send, with_session
from handlers.forms import Form


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
    SUMMARY = 15  # an ending, before Bevestig


FORM = Form(
    "mijntrajecten",
    "followup",
    service.FollowupDraft,
    {state.name.lower(): int(state) for state in State},
)


@with_session
async def on_list(update: Update, context: BotContext, session: AsyncSession) -> None:
    if update.effective_user is None:
        return
    search = " ".join(context.args or ())
    result = await service.start(context.services, session, person(update), search)
    if isinstance(result.reply, Reply):
        await send(update, context, result.reply)


@with_session
async def on_stop(update: Update, context: BotContext, session: AsyncSession) -> int:
    if update.effective_user is None:
        return ConversationHandler.END
    result = await service.stop(context.services, session, person(update), FORM.draft(context))
    return await FORM.reply(update, context, result, session)


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    private = filters.ChatType.PRIVATE
    on_press = FORM.on_press(service.press)
    return [
        FORM.conversation(
            # a form starts with its button; browsing presses (list, details) end no form
            entry_points=[
                CallbackQueryHandler(on_press, pattern=pattern(Flow.TRAJECTORY, "p", "e", "w"))
            ],
            state_handlers=FORM.steps(Flow.TRAJECTORY, service.press, service.text),
            stop=on_stop,
            expired=service.expired,
        ),
        CommandHandler("mijntrajecten", on_list, filters=private),
        CallbackQueryHandler(on_press, pattern=pattern(Flow.TRAJECTORY)),
    ]
