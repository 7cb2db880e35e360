"""/uitnodigen: invite links (inv:<role>[:<region>]); /gebruikers: manage users (usr:…)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.services.people import accounts
from bot.services.shared.inputs import as_number
from bot.services.shared.replies import Notice, Person
from handlers.common import BotContext, person, send, set_menu, show, with_session


@with_session
async def invite(update: Update, context: BotContext, session: AsyncSession) -> None:
    if update.effective_user is None:
        return
    await send(
        update, context, await accounts.invite_menu(context.services, session, person(update))
    )


@with_session
async def on_button(update: Update, context: BotContext, session: AsyncSession) -> None:
    query = update.callback_query
    if query is None or query.data is None or update.effective_user is None:
        return
    parts = query.data.split(":")
    if len(parts) not in (2, 3):
        await show(update, context, Notice(context.services.renderer.text("stale_button")))
        return
    region = parts[2] if len(parts) == 3 else None
    reply = await accounts.invite_press(
        context.services, session, person(update), parts[1], region, context.bot.username
    )
    await show(update, context, reply)


@with_session
async def manage(update: Update, context: BotContext, session: AsyncSession) -> None:
    if update.effective_user is None:
        return
    reply = await accounts.users_menu(context.services, session, person(update))
    await send(update, context, reply)


@with_session
async def on_user_button(update: Update, context: BotContext, session: AsyncSession) -> None:
    query = update.callback_query
    if query is None or query.data is None or update.effective_user is None:
        return
    parts = query.data.split(":")[1:]
    reply = await accounts.user_press(context.services, session, person(update), parts)
    await show(update, context, reply)
    telegram_id = as_number(parts[0]) if len(parts) > 1 else None
    if telegram_id is not None and not isinstance(reply, Notice):
        # their command menu follows the new role (the default menu when set inactive)
        changed = await accounts.caller(context.services, session, Person(telegram_id))
        await set_menu(context.bot, context.services, telegram_id, changed.role)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("uitnodigen", invite),
        CallbackQueryHandler(on_button, pattern=r"^inv:"),
        CommandHandler("gebruikers", manage),
        CallbackQueryHandler(on_user_button, pattern=r"^usr:"),
    ]
