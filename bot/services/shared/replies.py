"""What a service hands back to a handler: HTML text and buttons, no Telegram types."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Button:
    text: str
    data: str


@dataclass(frozen=True)
class Reply:
    text: str  # HTML, already escaped
    buttons: tuple[tuple[Button, ...], ...] = ()
    toast: str | None = None  # short notice for a pressed button
    alert: bool = False

    @classmethod
    def column(cls, text: str, buttons: list[Button], **kw: object) -> Reply:
        return cls(text, tuple((b,) for b in buttons), **kw)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Notice:
    """Only a pop-up notice for a pressed button; the message stays as it is."""

    text: str
    alert: bool = False


@dataclass(frozen=True)
class Person:
    """The Telegram user behind an update (staff, never a candidate)."""

    telegram_id: int
    first_name: str | None = None
    last_name: str | None = None
    username: str | None = None
