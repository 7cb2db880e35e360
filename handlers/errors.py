"""The last line of defence: stale buttons and unexpected errors never leave a user hanging."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.services.shared.replies import Reply
from handlers.common import BotContext, send

log = logging.getLogger(__name__)


async def stale_button(update: Update, context: BotContext) -> None:
    """Any button no other handler took: an old message, or forged data."""
    query = update.callback_query
    if query is not None:
        await query.answer(context.services.renderer.text("stale_button"))


async def on_error(update: object, context: BotContext) -> None:
    """Log first, then tell the user something went wrong (never raise from here)."""
    log.error("error while handling an update", exc_info=context.error)
    if not isinstance(update, Update):
        return
    renderer = context.services.renderer
    if update.callback_query is not None:
        try:
            await update.callback_query.answer()
        except TelegramError:
            log.debug("callback query was already answered")
    if update.effective_chat is not None:
        try:
            await send(update, context, Reply(renderer.render("common/error.html.j2")))
        except TelegramError:
            log.warning("could not tell the user about the error", exc_info=True)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [CallbackQueryHandler(stale_button)]
