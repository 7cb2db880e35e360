"""/start and /help."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.services.faq import help_reply, start_reply
from handlers.common import BotContext, send


async def start(update: Update, context: BotContext) -> None:
    user = update.effective_user
    await send(update, context, start_reply(context.services, user.first_name if user else None))


async def show_help(update: Update, context: BotContext) -> None:
    user = update.effective_user
    is_admin = bool(user and context.services.is_admin(user.id))
    await send(update, context, help_reply(context.services, is_admin, context.bot.username))


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [CommandHandler("start", start), CommandHandler("help", show_help)]
