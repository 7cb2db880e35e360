"""/faq: browse by section with inline buttons → questions → answer (callback data faq:…)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

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
    _, action, arg = [*query.data.split(":", 2), "", ""][:3]
    reply = None
    if action == "home":
        reply = sections_reply(services)
    elif action == "sec":
        reply = section_reply(services, arg)
    elif action == "ent":
        reply = browse_entry_reply(services, arg)
    await show(update, context, reply or Notice(services.renderer.text("stale_button")))


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [CommandHandler("faq", open_faq), CallbackQueryHandler(browse, pattern=r"^faq:")]
