"""What the form conversations (/registreer, /mijntrajecten) share: persistence at every step
and one ConversationHandler shape (private chats, same handlers in every state, 30-minute
timeout, re-entry)."""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.callbacks import Flow, pattern
from bot.services import Services
from bot.services.shared.drafts import IDLE, Draft
from bot.services.shared.inputs import clean_text
from bot.services.shared.replies import Notice, Person, Reply
from handlers.common import BotContext, person, send, show, with_session

Handler = BaseHandler[Update, BotContext, Any]


@runtime_checkable
class FormStore(Protocol):
    """A persistence that writes a form's step at once (bot/persistence.py)."""

    async def save_form(
        self,
        user_id: int,
        user_data: dict[Any, Any],
        name: str,
        key: tuple[int, ...],
        state: object | None,
    ) -> None: ...


async def save_now(
    update: Update,
    context: BotContext,
    name: str,
    key: str,
    draft: Draft | None,
    state_of: Mapping[str, int],
) -> int:
    """Keep the draft in user data and write it and the state to the database at once."""
    user_data = context.user_data
    if user_data is not None:
        if draft is None:
            user_data.pop(key, None)
        else:
            user_data[key] = draft.dump()
    state = ConversationHandler.END if draft is None else state_of[draft.step]
    persistence = context.application.persistence  # a FormStore: bot/app.py sets it
    user, chat = update.effective_user, update.effective_chat
    if isinstance(persistence, FormStore) and user is not None and chat is not None:
        new_state = None if state == ConversationHandler.END else state
        # the user's data and the conversation's state in one transaction
        await persistence.save_form(
            user.id, dict(user_data or {}), name, (chat.id, user.id), new_state
        )
    return state


async def release(session: AsyncSession | None) -> None:
    """Give the update's connection back before the conversation state is written with
    another one. Holding one pooled connection while waiting for a second deadlocks once
    every connection of the pool is held by an update doing the same (until the pool's
    timeout: benchmarks/load.py found it with 50 people at once). Whatever the service did
    not commit is rolled back, as it would be when the update's session ends."""
    if session is not None:
        await session.close()


def conversation(
    name: str,
    entry_points: list[Handler],
    state_handlers: list[Handler],
    states: list[int],
    fallbacks: list[Handler],
    on_timeout: Any,
) -> ConversationHandler[BotContext]:
    """A persistent conversation in private chats with the same handlers in every state."""
    with warnings.catch_warnings():
        # Buttons are tracked per chat and user, not per message: that is what we want here.
        warnings.filterwarnings("ignore", message=".*per_message=False.*")
        return ConversationHandler(
            entry_points=entry_points,
            states={
                **{state: state_handlers for state in states},
                ConversationHandler.TIMEOUT: [TypeHandler(Update, on_timeout)],
            },
            fallbacks=fallbacks,
            name=name,
            persistent=True,
            allow_reentry=True,
            conversation_timeout=IDLE.total_seconds(),
        )


D = TypeVar("D", bound=Draft)
D_co = TypeVar("D_co", bound=Draft, covariant=True)


class Outcome(Protocol[D_co]):
    """What a form service returns (registration.Result, followup.Result, compose.Result)."""

    @property
    def reply(self) -> Reply | Notice: ...

    @property
    def draft(self) -> D_co | None: ...


Step = Callable[[Services, AsyncSession, Person, D | None, str], Awaitable[Outcome[D]]]
Callback = Callable[[Update, BotContext], Coroutine[Any, Any, int]]


@dataclass(frozen=True)
class Form(Generic[D]):
    """One form conversation: its name, its draft's model and place in the user data, and its
    states per step."""

    name: str
    key: str  # in context.user_data
    model: type[D]
    state_of: Mapping[str, int]

    def draft(self, context: BotContext) -> D | None:
        """The kept draft, as a new object (a step that fails half-way changes nothing)."""
        return self.model.load(context.user_data.get(self.key) if context.user_data else None)

    async def keep(self, update: Update, context: BotContext, draft: D | None) -> int:
        """Keep the draft (None: the form is over) at once in the database; the new state."""
        return await save_now(update, context, self.name, self.key, draft, self.state_of)

    async def reply(
        self,
        update: Update,
        context: BotContext,
        result: Outcome[D],
        session: AsyncSession | None = None,
    ) -> int:
        """Keep the new draft (at once, in the database), show the reply, give the state.

        `session`, the update's own, is closed first (see `release`)."""
        await release(session)
        state = await self.keep(update, context, result.draft)
        if update.callback_query is not None:
            await show(update, context, result.reply)
        elif isinstance(result.reply, Reply):
            await send(update, context, result.reply)
        return state

    def on_press(self, step: Step[D]) -> Callback:
        @with_session
        async def handler(update: Update, context: BotContext, session: AsyncSession) -> int:
            query = update.callback_query
            if query is None or query.data is None or update.effective_user is None:
                return ConversationHandler.END
            draft = self.draft(context)
            result = await step(context.services, session, person(update), draft, query.data)
            if isinstance(result.reply, Notice) and draft is not None and result.draft is draft:
                await show(update, context, result.reply)  # nothing changed: keep the state
                return self.state_of[draft.step]
            return await self.reply(update, context, result, session)

        return handler

    def on_text(self, step: Step[D]) -> Callback:
        @with_session
        async def handler(update: Update, context: BotContext, session: AsyncSession) -> int:
            message = update.effective_message
            if message is None or message.text is None or update.effective_user is None:
                return ConversationHandler.END
            draft = self.draft(context)
            text = clean_text(message.text)
            result = await step(context.services, session, person(update), draft, text)
            return await self.reply(update, context, result, session)

        return handler

    def on_timeout(self, expired: Callable[[Services], Reply]) -> Callback:
        """30 minutes without input: drop the draft and say so."""

        async def handler(update: Update, context: BotContext) -> int:
            await self.keep(update, context, None)
            chat = update.effective_chat
            if chat is not None:
                await context.bot.send_message(chat.id, expired(context.services).text)
            return ConversationHandler.END

        return handler

    def steps(self, flow: Flow, press: Step[D], text: Step[D]) -> list[Handler]:
        """The usual handlers of a step: the flow's buttons and typed text (private chats)."""
        return [
            CallbackQueryHandler(self.on_press(press), pattern=pattern(flow)),
            MessageHandler(
                filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, self.on_text(text)
            ),
        ]

    def conversation(
        self,
        entry_points: list[Handler],
        state_handlers: list[Handler],
        stop: Callback,
        expired: Callable[[Services], Reply],
    ) -> ConversationHandler[BotContext]:
        """The same handlers in every state; /stop and /annuleer end it; 30 minutes idle
        ends it with `expired`'s message."""
        return conversation(
            self.name,
            entry_points=entry_points,
            state_handlers=state_handlers,
            states=sorted(set(self.state_of.values())),
            fallbacks=[CommandHandler(["stop", "annuleer"], stop)],
            on_timeout=self.on_timeout(expired),
        )
