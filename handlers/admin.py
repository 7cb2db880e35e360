"""Programme team: /onbeantwoord lists unanswered and 👎 questions, grouped and counted."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.services import checks, qa
from bot.services.replies import Reply
from handlers.common import BotContext, send, with_session


@with_session
async def unanswered(update: Update, context: BotContext, session: AsyncSession) -> None:
    services = context.services
    user = update.effective_user
    if user is None or not services.is_admin(user.id):
        await send(update, context, Reply(services.renderer.text("not_admin")))
        return
    await send(update, context, await qa.unanswered_reply(services, session, _days(context.args)))


@with_session
async def check_stats(update: Update, context: BotContext, session: AsyncSession) -> None:
    services = context.services
    user = update.effective_user
    if user is None or not services.is_admin(user.id):
        await send(update, context, Reply(services.renderer.text("not_admin")))
        return
    days = _days(context.args)
    await send(update, context, await checks.stats_reply(services, session, days))


def _days(args: list[str] | None, default: int = 30) -> int:
    if args and args[0].isdigit():
        return max(1, min(365, int(args[0])))
    return default


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [CommandHandler("onbeantwoord", unanswered), CommandHandler("checkstats", check_stats)]
