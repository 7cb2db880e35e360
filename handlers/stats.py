"""/regio and /landelijk: progress figures with a chart; buttons st:… (year, region)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InputFile, Update
from telegram.constants import ChatAction
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import Flow, pattern
from bot.services import Services
from bot.services.progress import figures as service
from bot.services.shared.replies import Notice, Person, Reply
from handlers.common import BotContext, busy, markup, person, send, show, with_session


async def deliver(
    update: Update, context: BotContext, result: Reply | Notice | service.StatsView
) -> None:
    """A reply, or the figures: first the message with the numbers, then the chart."""
    chat = update.effective_chat
    if isinstance(result, Notice):
        await show(update, context, result)
        return
    if update.callback_query is not None:
        await update.callback_query.answer()
    if isinstance(result, Reply):
        await send(update, context, result)
        return
    await send(update, context, result.text)
    if chat is not None:
        await context.bot.send_photo(
            chat.id,
            photo=InputFile(result.png, filename=result.filename),
            caption=result.caption.text,
            reply_markup=markup(result.caption),
        )


def _command(
    make: Callable[
        [Services, AsyncSession, Person, Sequence[str]],
        Awaitable[Reply | Notice | service.StatsView],
    ],
) -> Callable[[Update, BotContext], Coroutine[Any, Any, None]]:
    """`/regio` and `/landelijk`: the figures with the chart, while showing "sending a photo"."""

    @with_session
    async def handler(update: Update, context: BotContext, session: AsyncSession) -> None:
        if update.effective_user is None:
            return
        async with busy(update, context, ChatAction.UPLOAD_PHOTO):
            result = await make(context.services, session, person(update), context.args or ())
        await deliver(update, context, result)

    return handler


@with_session
async def on_button(update: Update, context: BotContext, session: AsyncSession) -> None:
    query = update.callback_query
    if query is None or query.data is None or update.effective_user is None:
        return
    result = await service.press(context.services, session, person(update), query.data)
    await deliver(update, context, result)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("regio", _command(service.region_command)),
        CommandHandler("landelijk", _command(service.national_command)),
        CallbackQueryHandler(on_button, pattern=pattern(Flow.STATS)),
    ]
