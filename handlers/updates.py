"""Every kind of update, handled or ignored on purpose, and flood control.

Group -1 (`gate`) runs before every other handler:
- only messages, button presses and membership changes of the bot go on; edited messages,
  channel posts, inline queries, polls, reactions and the like stop here (on purpose: the bot
  answers what people send, not what they edit afterwards);
- one person sending very many messages or presses in a short time is slowed down
  (`bot.services.people.flood`): told once, the rest dropped, nobody else waits for them;
- outside a private chat, commands and buttons that show personal or team data (pseudonyms,
  users, invite links, unanswered questions, announcements, exports, settings) are refused
  with a pointer to the private chat: a group must never see them, and an invite link posted
  in a group could be used by anyone in it.

Group 0, after all flows (so a form that expects a photo gets it first):
- a photo, sticker, voice message, document … in a private chat: "I only read text";
- an unknown command in a private chat: a pointer to /help;
- the bot blocked or unblocked (`my_chat_member` in a private chat): the user is inactive
  while blocked (no announcements, no digest) and active again when they come back;
- the bot added to a group: a short hello saying how it works there.
"""

from __future__ import annotations

import html
import logging

from telegram import Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    ChatMemberHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.callbacks import Flow
from bot.services.people import accounts
from bot.services.people.flood import Verdict
from bot.services.shared.replies import Reply
from handlers.common import BotContext, send

log = logging.getLogger(__name__)

GATE_GROUP = -1
_PRIVATE = filters.ChatType.PRIVATE
_OUT = (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED)
_IN = (ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR)


async def gate(update: Update, context: BotContext) -> None:
    if update.my_chat_member is not None:
        return
    if update.message is None and update.callback_query is None:
        raise ApplicationHandlerStop  # not something the bot answers: ignored on purpose
    user = update.effective_user
    if user is None:
        raise ApplicationHandlerStop
    verdict = context.services.flood.check(user.id)
    if verdict is Verdict.ALLOW:
        await _private_only(update, context)
        return
    if verdict is Verdict.WARN:
        text = context.services.renderer.text("flood")
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE:
            await send(update, context, Reply(html.escape(text)))
        log.info("flood control: slowing down user %s", user.id)
    elif update.callback_query is not None:
        await update.callback_query.answer()  # no spinning button, no reply
    raise ApplicationHandlerStop


# Commands and button prefixes that are for a private chat only (see the module text).
PRIVATE_COMMANDS = frozenset(
    {
        "registreer",
        "mijntrajecten",
        "bericht",
        "berichten",
        "instellingen",
        "export",
        "gebruikers",
        "uitnodigen",
        "onbeantwoord",
        "checkstats",
        "regios",
    }
)
PRIVATE_BUTTONS = tuple(
    f"{flow.value}:"
    for flow in (
        Flow.REGISTER,
        Flow.TRAJECTORY,
        Flow.USERS,
        Flow.INVITE,
        Flow.ANNOUNCE,
        Flow.EXPORT,
        Flow.SETTINGS,
        Flow.REGIONS,
        Flow.INBOX,
    )
)


def _command(text: str) -> str:
    """'/gebruikers@hoofdzaak_bot 2' → 'gebruikers'."""
    first = text.split(maxsplit=1)[0] if text.strip() else ""
    return first.lstrip("/").partition("@")[0].lower()


async def _private_only(update: Update, context: BotContext) -> None:
    """Refuse private-only commands and buttons outside a private chat (and stop there)."""
    chat = update.effective_chat
    if chat is None or chat.type == ChatType.PRIVATE:
        return
    query = update.callback_query
    if query is not None:
        if (query.data or "").startswith(PRIVATE_BUTTONS):
            text = context.services.renderer.text("private_only_button")
            await query.answer(text, show_alert=True)
            log.info("refused a private-only button in a %s chat", chat.type)
            raise ApplicationHandlerStop
        return
    message = update.message
    if message is None or not message.text or not message.text.startswith("/"):
        return
    command = _command(message.text)
    if command in PRIVATE_COMMANDS:
        text = context.services.renderer.render("common/private_only.html.j2", command=command)
        await send(update, context, Reply(text))
        raise ApplicationHandlerStop


async def only_text(update: Update, context: BotContext) -> None:
    await send(update, context, Reply(html.escape(context.services.renderer.text("only_text"))))


async def unknown_command(update: Update, context: BotContext) -> None:
    text = context.services.renderer.text("unknown_command")
    await send(update, context, Reply(html.escape(text)))


async def membership(update: Update, context: BotContext) -> None:
    change = update.my_chat_member
    if change is None:
        return
    old, new = change.old_chat_member.status, change.new_chat_member.status
    services = context.services
    if change.chat.type == ChatType.PRIVATE:
        if new in (ChatMemberStatus.BANNED, ChatMemberStatus.MEMBER):
            blocked = new == ChatMemberStatus.BANNED
            if await accounts.blocked(services, change.from_user.id, blocked):
                log.info("user %s %s the bot", change.from_user.id, new)
        return
    if old in _OUT and new in _IN:
        text = services.renderer.text("group_hello", username=context.bot.username or "")
        await context.bot.send_message(change.chat.id, html.escape(text))
    elif new in _OUT:
        log.info("the bot was removed from group %s", change.chat.id)


def gate_handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [TypeHandler(Update, gate)]


def handlers() -> list[BaseHandler[Update, BotContext, None]]:
    return [
        ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER),
        MessageHandler(_PRIVATE & filters.COMMAND, unknown_command),
        MessageHandler(
            _PRIVATE & filters.UpdateType.MESSAGE & ~filters.TEXT & ~filters.StatusUpdate.ALL,
            only_text,
        ),
    ]
