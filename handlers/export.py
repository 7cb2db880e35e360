"""/export: trajectories as an Excel and a CSV file (exp:get:<nl|AMxx>:<year|all>)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import Flow, pattern
from bot.services.shared.replies import Notice
from bot.services.trajectories import export
from handlers.common import BotContext, person, send, show, with_session


def _chat_type(update: Update) -> str:
    return update.effective_chat.type if update.effective_chat else "private"


@with_session
async def start_export(update: Update, context: BotContext, session: AsyncSession) -> None:
    if update.effective_user is None:
        return
    reply = await export.export_menu(context.services, session, person(update), _chat_type(update))
    await send(update, context, reply)


@with_session
async def receive_years(update: Update, context: BotContext, session: AsyncSession) -> None:
    query = update.callback_query
    chat = update.effective_chat
    if query is None or query.data is None or update.effective_user is None or chat is None:
        return
    result = await export.export_press(
        context.services, session, person(update), chat.type, query.data
    )
    if isinstance(result, Notice):
        await show(update, context, result)
        return
    await show(update, context, result.reply)
    for file in result.files:
        await context.bot.send_document(
            chat.id, document=file.content, filename=file.name, caption=file.caption
        )


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("export", start_export),
        CallbackQueryHandler(receive_years, pattern=pattern(Flow.EXPORT)),
    ]
