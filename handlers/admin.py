"""Programme team: /onbeantwoord (unanswered and 👎 questions, linking them to entries) and
/checkstats (check outcomes)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import Flow, pattern
from bot.domain import Role
from bot.services import Services
from bot.services.checks import guided as checks
from bot.services.faq import review
from bot.services.people import accounts
from bot.services.shared.replies import Reply
from handlers.common import BotContext, person, send, show, with_session

Report = Callable[[Services, AsyncSession, int], Awaitable[Reply]]


def _report(make: Report) -> Callable[[Update, BotContext], Coroutine[Any, Any, None]]:
    """A command for the programme team only: `/command [days]` → `make(…, days)`."""

    @with_session
    async def handler(update: Update, context: BotContext, session: AsyncSession) -> None:
        services = context.services
        if update.effective_user is None:
            return
        who = await accounts.caller(services, session, person(update))
        if not who.can(Role.PROGRAMME):
            await send(update, context, Reply(services.renderer.text("not_admin")))
            return
        args = context.args
        # isdecimal, not isdigit: '²' is a digit that int() refuses
        days = 30
        if args and args[0].isdecimal():
            days = max(1, min(365, int(args[0]))) if len(args[0]) <= 9 else 365
        await send(update, context, await make(services, session, days))

    return handler


@with_session
async def on_inbox_button(update: Update, context: BotContext, session: AsyncSession) -> None:
    """un:… — handling the questions of /onbeantwoord (bot/services/faq/review.py)."""
    query = update.callback_query
    if query is None or query.data is None or update.effective_user is None:
        return
    await show(
        update, context, await review.press(context.services, session, person(update), query.data)
    )


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("onbeantwoord", _report(review.overview)),
        CallbackQueryHandler(on_inbox_button, pattern=pattern(Flow.INBOX)),
        CommandHandler("checkstats", _report(checks.stats_reply)),
    ]
