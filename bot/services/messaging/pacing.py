"""Time and pace of the delivery engine: an injectable clock (tests and the benchmark measure
rates on a virtual one) and the `Pacer`: a global budget of `rate` sends per second, at most
one send per chat per second, and a pause of everything for a 429's retry_after."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

PER_CHAT_INTERVAL = 1.0  # Telegram: about one message per second per chat


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...


class RealClock:
    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return self._now()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class VirtualClock:
    """Time that passes only when someone sleeps: rates measured without waiting."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.t = 0.0

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.t)

    async def sleep(self, seconds: float) -> None:
        self.t += max(0.0, seconds)
        await asyncio.sleep(0)


class Pacer:
    """The global budget (`rate` per second), one per chat per second, and 429 pauses."""

    def __init__(self, rate: float, clock: Clock) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self._next = -math.inf
        self._chat_free: dict[int, float] = {}
        self.paused_until = -math.inf
        self.paused_total = 0.0  # seconds of imposed 429 pauses (for the benchmark)

    def chat_free_at(self, chat_id: int) -> float:
        return self._chat_free.get(chat_id, -math.inf)

    def pause(self, seconds: float) -> None:
        now = self.clock.monotonic()
        until = now + seconds
        if until > self.paused_until:
            self.paused_total += until - max(now, self.paused_until)
            self.paused_until = until

    async def acquire(self, chat_id: int) -> None:
        while True:
            now = self.clock.monotonic()
            slot = max(now, self._next, self.paused_until, self.chat_free_at(chat_id))
            if slot <= now:
                break
            await self.clock.sleep(slot - now)
        # the schedule moves on by one interval from this slot; a slightly late wake-up (a
        # sleep that overshot by up to a tenth of an interval) is made up by the next slot,
        # a longer idle spell is not (no burst after a pause)
        late = now - self._next
        self._next = (self._next if late <= self.interval / 10 else now) + self.interval
        self._chat_free[chat_id] = now + PER_CHAT_INTERVAL
        if len(self._chat_free) > 10_000:
            self._chat_free = {c: t for c, t in self._chat_free.items() if t > now}
