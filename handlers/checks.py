"""Guided checks: /kandidaat, /traject, /cofinanciering and their buttons (callback data chk:…)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import Flow, pattern
from bot.services import Services
from bot.services.checks import guided as service
from bot.services.shared.replies import Notice
from handlers.common import BotContext, send, show, with_session


async def start_check(update: Update, context: BotContext) -> None:
    message = update.effective_message
    user = update.effective_user
    if message is None or message.text is None or user is None:
        return
    command = message.text.split()[0].lstrip("/").split("@")[0].lower()
    check = service.by_command(context.services, command)
    if check is not None:
        await send(update, context, service.start(context.services, check, user.id))


@with_session
async def on_button(update: Update, context: BotContext, session: AsyncSession) -> None:
    query = update.callback_query
    user = update.effective_user
    chat = update.effective_chat
    if query is None or query.data is None or user is None:
        return
    parsed = service.Press.parse(query.data)
    if parsed is None:
        await show(update, context, Notice(context.services.renderer.text("stale_button")))
        return
    chat_type = chat.type if chat else "private"
    reply = await service.press(context.services, session, parsed, user.id, chat_type)
    await show(update, context, reply)


def handlers(services: Services) -> list[BaseHandler[Update, BotContext, None]]:
    commands = [c.command for c in services.kb.checks.values()]
    return [
        CommandHandler(commands, start_check),
        CallbackQueryHandler(on_button, pattern=pattern(Flow.CHECK)),
    ]
