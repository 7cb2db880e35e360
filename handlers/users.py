"""/uitnodigen: invite links (inv:<role>[:<region>]); /gebruikers: manage users (usr:…)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import Flow, parse, pattern
from bot.services.people import accounts
from bot.services.shared.replies import Notice, Person, Reply
from handlers.common import BotContext, person, send, set_menu, show, with_session


@with_session
async def invite(update: Update, context: BotContext, session: AsyncSession) -> None:
    if update.effective_user is None:
        return
    typed = " ".join(context.args or ())
    reply = await accounts.invite_menu(
        context.services, session, person(update), typed, context.bot.username
    )
    await send(update, context, reply if isinstance(reply, Reply) else Reply(reply.text))


@with_session
async def on_button(update: Update, context: BotContext, session: AsyncSession) -> None:
    query = update.callback_query
    if query is None or query.data is None or update.effective_user is None:
        return
    pressed = parse(query.data)
    if pressed is None or pressed.flow is not Flow.INVITE:
        await show(update, context, Notice(context.services.renderer.text("stale_button")))
        return
    region = pressed.arg(1) or None
    reply = await accounts.invite_press(
        context.services, session, person(update), pressed.arg(0), region, context.bot.username
    )
    await show(update, context, reply)


@with_session
async def manage(update: Update, context: BotContext, session: AsyncSession) -> None:
    if update.effective_user is None:
        return
    query = " ".join(context.args or ())
    reply = await accounts.users_menu(context.services, session, person(update), query)
    await send(update, context, reply)


@with_session
async def on_user_button(update: Update, context: BotContext, session: AsyncSession) -> None:
    query = update.callback_query
    if query is None or query.data is None or update.effective_user is None:
        return
    pressed = parse(query.data)
    if pressed is None or pressed.flow is not Flow.USERS:
        await show(update, context, Notice(context.services.renderer.text("stale_button")))
        return
    reply = await accounts.user_press(context.services, session, person(update), pressed)
    await show(update, context, reply)
    role_changed = pressed.action in ("role", "region", "off")
    telegram_id = pressed.number(0) if role_changed else None
    if telegram_id is not None and not isinstance(reply, Notice):
        # their command menu follows the new role (the default menu when set inactive)
        changed = await accounts.caller(context.services, session, Person(telegram_id))
        await set_menu(context.bot, context.services, telegram_id, changed.role)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("uitnodigen", invite),
        CallbackQueryHandler(on_button, pattern=pattern(Flow.INVITE)),
        CommandHandler("gebruikers", manage),
        CallbackQueryHandler(on_user_button, pattern=pattern(Flow.USERS)),
    ]
