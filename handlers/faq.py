"""/faq: browse by section with inline buttons → questions → answer (callback data faq:…)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.callbacks import Flow, parse, pattern
from bot.services.faq.browse import browse_entry_reply, section_reply, sections_reply
from bot.services.shared.replies import Notice
from handlers.common import BotContext, send, show


async def open_faq(update: Update, context: BotContext) -> None:
    await send(update, context, sections_reply(context.services))


async def browse(update: Update, context: BotContext) -> None:
    """faq:home | faq:sec:<section> | faq:ent:<entry id>"""
    query = update.callback_query
    if query is None or query.data is None:
        return
    services = context.services
    pressed = parse(query.data)
    reply = None
    if pressed is not None and pressed.flow is Flow.FAQ:
        if pressed.action == "home":
            reply = sections_reply(services)
        elif pressed.action == "sec":
            reply = section_reply(services, pressed.arg(0))
        elif pressed.action == "ent":
            reply = browse_entry_reply(services, pressed.arg(0))
    await show(update, context, reply or Notice(services.renderer.text("stale_button")))


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        CommandHandler("faq", open_faq),
        CallbackQueryHandler(browse, pattern=pattern(Flow.FAQ)),
    ]
