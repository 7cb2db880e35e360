"""/start (with an invite code from a deep link: join), /help and /ik."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.services import accounts
from bot.services.faq import help_reply, start_reply
from handlers.common import BotContext, person, send, with_session


@with_session
async def start(update: Update, context: BotContext, session: AsyncSession) -> None:
    user = update.effective_user
    if context.args and user is not None:
        code = context.args[0]
        await send(
            update, context, await accounts.join(context.services, session, person(update), code)
        )
        return
    await send(update, context, start_reply(context.services, user.first_name if user else None))


async def show_help(update: Update, context: BotContext) -> None:
    user = update.effective_user
    is_admin = bool(user and context.services.is_admin(user.id))
    await send(update, context, help_reply(context.services, is_admin, context.bot.username))


@with_session
async def whoami(update: Update, context: BotContext, session: AsyncSession) -> None:
    if update.effective_user is None:
        return
    await send(update, context, await accounts.me(context.services, session, person(update)))


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("start", start),
        CommandHandler("help", show_help),
        CommandHandler("ik", whoami),
    ]
