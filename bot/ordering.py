"""Updates of different people at the same time; one person's (and one chat's) in order.

python-telegram-bot hands every update to an update processor. With the default (one at a
time) everybody waits behind the slowest update: 50 people asking at once waited seconds,
and a `/landelijk` or an export held up everyone. With PTB's `SimpleUpdateProcessor` updates
run at once but in any order, while conversations, forms and optimistic locking assume that
one person's steps arrive one after the other (a double tap on a button, a form answer typed
right after a button press).

`OrderedUpdateProcessor` gives both: an update waits only for the earlier updates of the same
user and of the same chat (its *keys*), and at most `limit` updates are being handled at once.
An update that waits for its turn does not hold one of those places, so one person sending
many messages cannot block the others.

Why it keeps the order: PTB's fetcher creates one task per update in the order they arrive;
each task reaches `do_process_update` in that order (the admission semaphore is FIFO, and
nothing awaits before the tickets are taken), and takes a ticket on each of its keys at once.
An update waits until the updates holding the previous tickets of its keys are done. The
waits only point to earlier arrivals, so there is no cycle: the earliest waiting update can
always go ahead.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Hashable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

log = logging.getLogger(__name__)

# An update that takes longer than this (waiting for its turn included) is logged.
SLOW_SECONDS = 5.0
# Updates admitted to wait for their turn (beyond these, PTB's own queue holds them).
ADMITTED_PER_PLACE = 16


def ordering_keys(update: object) -> tuple[Hashable, ...]:
    """What must not run at the same time as, or overtake, an earlier update: the same
    person and the same chat. Updates without either (none that we ask Telegram for) run
    freely."""
    if not isinstance(update, Update):
        return ()
    keys: list[Hashable] = []
    if update.effective_user is not None:
        keys.append(("user", update.effective_user.id))
    if update.effective_chat is not None:
        keys.append(("chat", update.effective_chat.id))
    return tuple(keys)


class _Ticket:
    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = asyncio.Event()


class OrderedUpdateProcessor(BaseUpdateProcessor):
    """At most `limit` updates handled at once, each person's and chat's in arrival order."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        # PTB's semaphore admits updates into do_process_update (FIFO); our own bounds how
        # many are being handled. Waiting for one's turn happens between the two.
        super().__init__(max_concurrent_updates=limit * ADMITTED_PER_PLACE)
        self.limit = limit
        self._running: asyncio.Semaphore | None = None
        self._last: dict[Hashable, _Ticket] = {}
        self.handled = 0
        self.slow = 0

    @property
    def waiting_for_turn(self) -> int:
        """Keys with an update in progress or waiting (a rough measure of the backlog)."""
        return len(self._last)

    async def initialize(self) -> None:
        self._running = asyncio.Semaphore(self.limit)

    async def shutdown(self) -> None:
        return None

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        if self._running is None:  # used without initialize(): PTB always calls it
            self._running = asyncio.Semaphore(self.limit)
        started = time.monotonic()
        keys = ordering_keys(update)
        ticket = _Ticket()
        before = [self._last[key] for key in keys if key in self._last]
        for key in keys:
            self._last[key] = ticket
        awaited = False
        try:
            for earlier in before:
                await earlier.done.wait()
            async with self._running:
                awaited = True
                await coroutine
        finally:
            if not awaited and inspect.iscoroutine(coroutine):
                coroutine.close()  # cancelled while waiting (shutdown): never started
            ticket.done.set()
            for key in keys:
                if self._last.get(key) is ticket:
                    del self._last[key]
            self._finished(update, time.monotonic() - started)

    def _finished(self, update: object, seconds: float) -> None:
        self.handled += 1
        if seconds > SLOW_SECONDS:
            self.slow += 1
            kind = _kind(update)
            log.warning(
                "slow update: %s took %.1f s (waiting for its turn included)", kind, seconds
            )


def _kind(update: object) -> str:
    """What kind of update it was, for the log (never its text)."""
    if isinstance(update, Update):
        if update.callback_query is not None:
            return "button"
        if update.message is not None and update.message.text:
            first = update.message.text.split(maxsplit=1)[0]
            return first if first.startswith("/") else "message"
        return "update"
    return type(update).__name__
