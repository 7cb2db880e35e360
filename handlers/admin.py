"""Programme team: /onbeantwoord (unanswered and 👎 questions) and /checkstats (check outcomes)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.domain import Role
from bot.services import Services
from bot.services.checks import guided as checks
from bot.services.faq import answers as qa
from bot.services.people import accounts
from bot.services.shared.replies import Reply
from handlers.common import BotContext, person, send, with_session

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


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("onbeantwoord", _report(qa.unanswered_reply)),
        CommandHandler("checkstats", _report(checks.stats_reply)),
    ]
