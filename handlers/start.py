"""/start (with an invite code from a deep link: join), /help and /ik."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.services.faq.browse import help_reply, start_reply
from bot.services.people import accounts
from handlers.common import BotContext, person, send, set_menu, with_session


@with_session
async def start(update: Update, context: BotContext, session: AsyncSession) -> None:
    user = update.effective_user
    if context.args and user is not None:
        code = context.args[0]
        await send(
            update, context, await accounts.join(context.services, session, person(update), code)
        )
        await _refresh_menu(update, context, session)
        return
    await send(update, context, start_reply(context.services, user.first_name if user else None))


async def _refresh_menu(update: Update, context: BotContext, session: AsyncSession) -> None:
    """The command menu of this private chat follows the user's current role."""
    chat = update.effective_chat
    if chat is None or chat.type != "private" or update.effective_user is None:
        return
    who = await accounts.caller(context.services, session, person(update))
    if who.role is not None:
        await set_menu(context.bot, context.services, chat.id, who.role)


@with_session
async def show_help(update: Update, context: BotContext, session: AsyncSession) -> None:
    if update.effective_user is None:
        return
    who = await accounts.caller(context.services, session, person(update))
    await send(update, context, help_reply(context.services, who.role, context.bot.username))


@with_session
async def whoami(update: Update, context: BotContext, session: AsyncSession) -> None:
    if update.effective_user is None:
        return
    await send(update, context, await accounts.me(context.services, session, person(update)))
    await _refresh_menu(update, context, session)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("start", start),
        CommandHandler("help", show_help),
        CommandHandler("ik", whoami),
    ]
