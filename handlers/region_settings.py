"""/regios: division and annual target per region per year, for the programme team (rs:…)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import Flow, pattern
from bot.services.progress import region_settings
from handlers.common import BotContext, person, send, show, with_session


@with_session
async def start_region_settings(
    update: Update, context: BotContext, session: AsyncSession
) -> None:
    if update.effective_user is None:
        return
    reply = await region_settings.regions_menu(context.services, session, person(update))
    await send(update, context, reply)


@with_session
async def receive_region_button(
    update: Update, context: BotContext, session: AsyncSession
) -> None:
    query = update.callback_query
    if query is None or query.data is None or update.effective_user is None:
        return
    reply = await region_settings.region_press(
        context.services, session, person(update), query.data
    )
    await show(update, context, reply)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("regios", start_region_settings),
        CallbackQueryHandler(receive_region_button, pattern=pattern(Flow.REGIONS)),
    ]
