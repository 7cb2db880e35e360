"""What a service hands back to a handler: HTML text and buttons, no Telegram types."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from knowledge.models import Region


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


def region_rows(
    regions: Iterable[Region], data: Callable[[str], str], chosen: Collection[str] = ()
) -> tuple[tuple[Button, ...], ...]:
    """A region picker: "AM30 Zuid-Limburg" buttons two to a row (✓ before the chosen),
    each with the callback data `data(code)`."""
    buttons = [
        Button((("✓ " if r.code in chosen else "") + f"{r.code} {r.name}")[:40], data(r.code))
        for r in regions
    ]
    return tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
