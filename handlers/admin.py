"""Programme team: /onbeantwoord lists unanswered and 👎 questions, grouped and counted."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.services import qa
from bot.services.replies import Reply
from handlers.common import BotContext, send, with_session


@with_session
async def unanswered(update: Update, context: BotContext, session: AsyncSession) -> None:
    services = context.services
    user = update.effective_user
    if user is None or not services.is_admin(user.id):
        await send(update, context, Reply(services.renderer.text("not_admin")))
        return
    days = 30
    if context.args and context.args[0].isdigit():
        days = max(1, min(365, int(context.args[0])))
    await send(update, context, await qa.unanswered_reply(services, session, days))


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [CommandHandler("onbeantwoord", unanswered)]
