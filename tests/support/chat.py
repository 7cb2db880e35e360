"""Talking to the offline bot the way a person does: press what is shown, fill a form."""

from __future__ import annotations

from bot.simulator import ChatSimulator, Output


def text_of(out: list[Output]) -> str:
    """Everything the bot sent or showed, one text."""
    return "\n".join(o.text for o in out)


async def press_shown(chat: ChatSimulator, data: str) -> list[Output]:
    """Press a button that the bot's last message shows (fails if it is not there)."""
    last = chat.last_bot_message()
    assert data in [b.get("callback_data") for b in last.buttons()], (data, last.text)
    return await chat.press(data, last.message_id)


async def fill_registration(
    chat: ChatSimulator, pseudonym: str = "KL-07", start: str = "12-3-2026"
) -> str:
    """Answer every question of /registreer up to the summary; returns the summary text."""
    await chat.send("/registreer")
    await chat.send(pseudonym)
    await chat.send(start)
    await press_shown(chat, "new:v:method:ips")
    await press_shown(chat, "new:v:target_group:epa")
    await press_shown(chat, "new:v:initiator:gemeente")
    await press_shown(chat, "new:v:provider:ggz")
    await press_shown(chat, "new:v:benefit:wia")
    await press_shown(chat, "new:v:ggz:specialistisch")
    out = await press_shown(chat, "new:v:werken:ja")
    return text_of(out)
