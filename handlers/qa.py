"""Free-text questions and the buttons under answers (callback data qa:…)."""

from __future__ import annotations

import html

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.callbacks import Flow, parse, pattern
from bot.services.faq import answers as qa
from bot.services.shared.inputs import clean_text
from bot.services.shared.replies import Notice, Reply
from handlers.common import (
    BotContext,
    busy,
    person,
    send,
    show,
    strip_mention,
    with_session,
)


class AddressedToBot(filters.MessageFilter):
    """In groups: only messages that @mention the bot or reply to one of its messages."""

    def filter(self, message: Message) -> bool:
        if message.chat.type == ChatType.PRIVATE:
            return True
        bot = message.get_bot()
        reply = message.reply_to_message
        if reply is not None and reply.from_user is not None and reply.from_user.id == bot.id:
            return True
        text = message.text or ""
        return bool(bot.username) and f"@{bot.username}".lower() in text.lower()


@with_session
async def ask(update: Update, context: BotContext, session: AsyncSession) -> None:
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None or not message.text:
        return
    text = strip_mention(clean_text(message.text), context.bot.username)
    if not text:  # only spaces, or only the bot's name: still an answer, never silence
        await send(
            update, context, Reply(html.escape(context.services.renderer.text("no_question")))
        )
        return
    async with busy(update, context):
        reply = await qa.ask(context.services, session, person(update), text, chat.type)
    await send(update, context, reply)


def _without_feedback(markup: InlineKeyboardMarkup | None) -> InlineKeyboardMarkup | None:
    if markup is None:
        return None

    def feedback(data: object) -> bool:
        parsed = parse(str(data or ""))
        return parsed is not None and parsed.flow is Flow.QA and parsed.action in ("up", "down")

    rows = [
        row for row in markup.inline_keyboard if not any(feedback(b.callback_data) for b in row)
    ]
    return InlineKeyboardMarkup(rows) if rows else None


@with_session
async def on_button(update: Update, context: BotContext, session: AsyncSession) -> None:
    """qa:up|down:<log> · qa:pick|wish:<log>:<entry> · qa:none:<log> · qa:more|rel:<entry>"""
    query = update.callback_query
    if query is None or query.data is None:
        return
    services = context.services
    stale = Notice(services.renderer.text("stale_button"))
    pressed = parse(query.data)
    if pressed is None or pressed.flow is not Flow.QA:
        await query.answer(stale.text)
        return
    action, log_id = pressed.action, pressed.number(0)

    if action in ("up", "down") and log_id is not None:
        notice = await qa.feedback(services, session, person(update), log_id, action)
        await query.answer(notice.text)
        thanked = notice.text == services.renderer.text(f"feedback_thanks_{action}")
        if thanked and isinstance(query.message, Message):
            await query.edit_message_reply_markup(_without_feedback(query.message.reply_markup))
        if thanked and action == "down":
            wish = await qa.wish_options(services, session, person(update), log_id)
            if wish is not None:
                await send(update, context, wish)
        return
    if action == "wish" and log_id is not None:
        await show(
            update,
            context,
            await qa.choose_wish(services, session, person(update), log_id, pressed.arg(1)),
        )
        return
    if action == "pick" and log_id is not None:
        await show(
            update,
            context,
            await qa.choose_suggestion(services, session, person(update), log_id, pressed.arg(1)),
        )
        return
    if action == "none" and log_id is not None:
        await show(
            update, context, await qa.none_of_these(services, session, person(update), log_id)
        )
        return
    if action in ("more", "rel"):
        entry_id = pressed.arg(0)
        if entry_id not in services.kb.by_id:
            await query.answer(services.renderer.text("unknown_entry"))
            return
        await query.answer()
        reply = (
            qa.more_reply(services, entry_id)
            if action == "more"
            else qa.entry_reply(services, entry_id)
        )
        await send(update, context, reply)
        return
    await query.answer(stale.text)


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        MessageHandler(filters.TEXT & ~filters.COMMAND & AddressedToBot(), ask),
        CallbackQueryHandler(on_button, pattern=pattern(Flow.QA)),
    ]
