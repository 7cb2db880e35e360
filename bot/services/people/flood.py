"""Flood control: one person sending very many updates in a short time is slowed down.

A sliding window per Telegram user, in memory (one bot process). Over the limit, updates
are dropped before any handler or database work, and the person is told once per window;
everyone else is answered as usual.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

LIMIT = 20  # updates …
WINDOW = 10.0  # … per this many seconds; a quick typist or button-presser stays far below
MAX_TRACKED = 10_000  # people tracked at once (memory stays bounded)


class Verdict(Enum):
    ALLOW = "allow"
    WARN = "warn"  # the first update over the limit: drop it and say why
    DROP = "drop"  # over the limit and already told


@dataclass
class FloodGuard:
    limit: int = LIMIT
    window: float = WINDOW
    clock: Callable[[], float] = time.monotonic
    _seen: dict[int, deque[float]] = field(default_factory=dict)
    _warned: dict[int, float] = field(default_factory=dict)

    def check(self, user_id: int) -> Verdict:
        now = self.clock()
        stamps = self._seen.get(user_id)
        if stamps is None:
            if len(self._seen) >= MAX_TRACKED:
                self._forget_idle(now)
            stamps = self._seen[user_id] = deque()
        while stamps and now - stamps[0] > self.window:
            stamps.popleft()
        if len(stamps) < self.limit:
            stamps.append(now)
            return Verdict.ALLOW
        warned = self._warned.get(user_id)
        if warned is not None and now - warned <= self.window:
            return Verdict.DROP
        self._warned[user_id] = now
        return Verdict.WARN

    def _forget_idle(self, now: float) -> None:
        for uid in [u for u, s in self._seen.items() if not s or now - s[-1] > self.window]:
            del self._seen[uid]
            self._warned.pop(uid, None)
        if len(self._seen) >= MAX_TRACKED:  # everyone is busy: start afresh rather than grow
            self._seen.clear()
            self._warned.clear()
