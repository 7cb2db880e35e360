"""/bericht: compose an announcement, choose who gets it, see the preview, send or plan it
(a persistent conversation); /berichten: planned and recent announcements (stateless buttons).
The flow and its checks live in bot/services/messaging/compose.py."""

from __future__ import annotations

from enum import IntEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Message, MessageEntity, Update
from telegram.error import BadRequest
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import Flow, pattern
from bot.services.messaging import compose as flow
from bot.services.shared.inputs import clean_text
from bot.services.shared.replies import Reply
from handlers.common import BotContext, person, send, show, with_session
from handlers.forms import Form, release


class State(IntEnum):
    TEXT = 0
    AUDIENCE = 1
    REGIONS = 2
    PREVIEW = 3
    WHEN = 4


FORM = Form(
    "bericht",
    "announce",
    flow.ComposeDraft,
    {state.name.lower(): int(state) for state in State},
)
# entities that mean the user formatted the text with Telegram's own buttons
FORMATTING = {
    MessageEntity.BOLD,
    MessageEntity.ITALIC,
    MessageEntity.UNDERLINE,
    MessageEntity.STRIKETHROUGH,
    MessageEntity.SPOILER,
    MessageEntity.CODE,
    MessageEntity.PRE,
    MessageEntity.TEXT_LINK,
    MessageEntity.BLOCKQUOTE,
    MessageEntity.EXPANDABLE_BLOCKQUOTE,
}


async def _send_preview(update: Update, context: BotContext, preview: flow.Preview) -> None:
    chat = update.effective_chat
    if chat is None:
        return
    caption = preview.text or None
    if preview.media_kind == "photo" and preview.media_file_id:
        await context.bot.send_photo(chat.id, preview.media_file_id, caption=caption)
    elif preview.media_kind == "document" and preview.media_file_id:
        await context.bot.send_document(chat.id, preview.media_file_id, caption=caption)
    else:
        await context.bot.send_message(chat.id, preview.text)


async def _reply(
    update: Update, context: BotContext, result: flow.Result, session: AsyncSession
) -> int:
    """Keep the draft (at once, in the database), show the preview and the reply."""
    if result.preview is None or result.draft is None:
        return await FORM.reply(update, context, result, session)
    await release(session)
    try:
        await _send_preview(update, context, result.preview)
    except BadRequest as exc:  # Telegram refused what check_html let through
        result = flow.preview_refused(context.services, result.draft, exc.message)
    state = await FORM.keep(update, context, result.draft)
    if update.callback_query is not None:
        await update.callback_query.answer()
    if isinstance(result.reply, Reply):
        await send(update, context, result.reply)
    return state


@with_session
async def on_start(update: Update, context: BotContext, session: AsyncSession) -> int:
    if update.effective_user is None:
        return ConversationHandler.END
    result = await flow.start(context.services, session, person(update))
    return await _reply(update, context, result, session)


def _typed(message: Message) -> tuple[str, flow.MediaKind | None, str | None]:
    """(HTML text, media kind, file id) of what the user sent."""
    entities = message.entities or message.caption_entities or ()
    formatted = any(e.type in FORMATTING for e in entities)
    if message.photo or message.document is not None:
        raw = clean_text(message.caption_html if formatted else (message.caption or ""))
        if message.photo:
            return raw, "photo", message.photo[-1].file_id
        assert message.document is not None
        return raw, "document", message.document.file_id
    return clean_text(message.text_html if formatted else (message.text or "")), None, None


@with_session
async def on_text(update: Update, context: BotContext, session: AsyncSession) -> int:
    message = update.effective_message
    if message is None or update.effective_user is None:
        return ConversationHandler.END
    body, kind, file_id = _typed(message)
    draft = FORM.draft(context)
    result = await flow.text(context.services, session, person(update), draft, body, kind, file_id)
    return await _reply(update, context, result, session)


@with_session
async def on_press(update: Update, context: BotContext, session: AsyncSession) -> int:
    query = update.callback_query
    if query is None or query.data is None or update.effective_user is None:
        return ConversationHandler.END
    draft = FORM.draft(context)
    result = await flow.press(context.services, session, person(update), draft, query.data)
    return await _reply(update, context, result, session)


async def on_stop(update: Update, context: BotContext) -> int:
    await FORM.keep(update, context, None)
    text = context.services.renderer.render("announce/cancelled.html.j2")
    await send(update, context, Reply(text))
    return ConversationHandler.END


@with_session
async def on_list(update: Update, context: BotContext, session: AsyncSession) -> None:
    if update.effective_user is None:
        return
    await send(update, context, await flow.overview(context.services, session, person(update)))


@with_session
async def on_list_press(update: Update, context: BotContext, session: AsyncSession) -> None:
    query = update.callback_query
    if query is None or query.data is None or update.effective_user is None:
        return
    reply = await flow.list_press(context.services, session, person(update), query.data)
    await show(update, context, reply)


async def on_stale(update: Update, context: BotContext) -> None:
    """A /bericht button from a form that is no longer open."""
    query = update.callback_query
    if query is not None:
        await query.answer(context.services.renderer.text("ann_stale"), show_alert=True)


def handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    private = filters.ChatType.PRIVATE
    typed = (filters.TEXT & ~filters.COMMAND) | filters.PHOTO | filters.Document.ALL
    return [
        FORM.conversation(
            entry_points=[CommandHandler("bericht", on_start, filters=private)],
            state_handlers=[
                CallbackQueryHandler(on_press, pattern=pattern(Flow.ANNOUNCE, "a", "p")),
                MessageHandler(typed & private, on_text),
            ],
            stop=on_stop,
            expired=flow.expired,
        ),
        CommandHandler("berichten", on_list),
        CallbackQueryHandler(on_list_press, pattern=pattern(Flow.ANNOUNCE, "c", "u", "l")),
        CallbackQueryHandler(on_stale, pattern=pattern(Flow.ANNOUNCE)),
    ]
