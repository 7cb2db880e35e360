"""What the delivery engine hands a transport, what can come back, and its progress figures.

Never imports telegram: bot/transport.py adapts telegram.Bot to `Transport`. A send ends in
`Sent`, or one of `RateLimited` (429), `Blocked` (403), `Rejected` (400), `NotSent` (a
connection error before the request went out: safe to retry) and `MaybeSent` (a timeout
after it went out: it may have arrived, never retried blindly).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from bot.domain import DeliveryStatus

MAX_ATTEMPTS = 4  # network errors before a delivery counts as failed
BACKOFF = (2.0, 8.0, 30.0)  # seconds to wait after the 1st, 2nd, 3rd network error


@dataclass(frozen=True)
class Outgoing:
    """One message to one chat: text (Telegram HTML) or a photo/document with a caption."""

    chat_id: int
    text: str
    reply_markup: dict[str, Any] | None = (
        None  # {"inline_keyboard": [[{"text", "callback_data"}]]}
    )
    media_kind: str | None = None  # photo | document
    media_file_id: str | None = None  # Telegram's id of a file it already has
    media_path: str | None = None  # a local file, uploaded when there is no file id yet


@dataclass(frozen=True)
class Sent:
    message_id: int
    file_id: str | None = None  # the id Telegram gave an uploaded file


class TransportError(Exception):
    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class RateLimited(TransportError):
    """429: nothing may be sent for `retry_after` seconds. The message was not sent."""

    def __init__(self, description: str, retry_after: float) -> None:
        super().__init__(description)
        self.retry_after = retry_after


class Blocked(TransportError):
    """403: the user blocked the bot (or deleted their account)."""


class Rejected(TransportError):
    """400: Telegram refused this message; sending it again would not help."""


class NotSent(TransportError):
    """The request never reached Telegram (connection refused, pool timeout): retry later."""


class MaybeSent(TransportError):
    """The request went out but no answer came (read timeout): it may have arrived."""


class Transport(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def send(self, message: Outgoing) -> Sent: ...

    async def edit(
        self, chat_id: int, message_id: int, text: str, reply_markup: dict[str, Any] | None
    ) -> None: ...


@dataclass(frozen=True)
class Counts:
    pending: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    uncertain: int = 0

    @property
    def total(self) -> int:
        return (
            self.pending + self.sending + self.sent + self.failed + self.blocked + self.uncertain
        )

    @property
    def left(self) -> int:
        return self.pending + self.sending

    def as_dict(self) -> dict[str, int]:
        return {s.value: getattr(self, s.value) for s in DeliveryStatus} | {"total": self.total}

    @classmethod
    def of(cls, found: dict[str, int]) -> Counts:
        return cls(**{s.value: found.get(s.value, 0) for s in DeliveryStatus})


@dataclass(frozen=True)
class Report:
    text: str  # Telegram HTML
    reply_markup: dict[str, Any] | None = None


class Reporter(Protocol):
    """The texts of the progress message and the final report (rendered by a service)."""

    def progress(self, announcement_id: int, counts: Counts, seconds_left: float) -> Report: ...

    def final(self, announcement_id: int, counts: Counts) -> Report: ...
