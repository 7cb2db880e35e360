"""`hoofdzaak chat`: the real bot in the terminal, through the fake Bot API. No token needed.

Interactive: type a message, or a number to press the button with that number, `/stop`-style
commands are sent to the bot as commands, and `:q` (or Ctrl-D) leaves. Piped (stdin not a
terminal): one message per line, the replies printed, exit at end of input.
"""

from __future__ import annotations

import re
import sys
from typing import TextIO

from bot.config import Settings
from bot.offline import offline_bot
from bot.render import strip_html
from bot.simulator import ChatSimulator, Output

CONSOLE_USER_ID = 424242
_NUMBER = re.compile(r"^\s*(\d{1,2})\s*$")
HELP = (
    "Typ je vraag en druk op Enter. Een nummer (1, 2, …) drukt op die knop onder het laatste "
    "bericht. :q of Ctrl-D stopt."
)


def _format(outputs: list[Output], numbered: list[tuple[str, int | None]]) -> str:
    """Render the bot's actions as text; buttons get numbers (collected in `numbered`)."""
    lines: list[str] = []
    for out in outputs:
        if out.method == "answerCallbackQuery":
            if out.text:
                lines.append(f"  (melding) {out.text}")
            continue
        if out.method == "editMessageReplyMarkup":
            continue
        if out.method not in ("sendMessage", "editMessageText", "sendPhoto", "sendDocument"):
            continue
        label = "bot (bewerkt)" if out.method == "editMessageText" else "bot"
        body = strip_html(out.text).strip()
        lines.append(f"{label}: " + body.replace("\n", "\n     "))
        if out.buttons:
            numbered.clear()
            for text, data in out.buttons:
                numbered.append((data, out.message_id))
                lines.append(f"   [{len(numbered)}] {text}")
    return "\n".join(lines)


async def run_console(settings: Settings, stdin: TextIO, stdout: TextIO) -> int:
    interactive = stdin.isatty()
    async with offline_bot(settings) as bot:
        chat = bot.chat(CONSOLE_USER_ID, first_name="Console")
        numbered: list[tuple[str, int | None]] = []
        if interactive:
            print(HELP, file=stdout)
            out = await chat.send("/start")
            print(_format(out, numbered), file=stdout)
        while True:
            if interactive:
                stdout.write("jij> ")
                stdout.flush()
            line = stdin.readline()
            if not line:
                break
            text = line.rstrip("\n")
            if not text.strip():
                continue
            if text.strip() in (":q", ":quit", ":exit"):
                break
            if not interactive:
                print(f"jij> {text}", file=stdout)
            out = await _act(chat, text, numbered)
            formatted = _format(out, numbered)
            if formatted:
                print(formatted, file=stdout)
            elif out == []:
                print("  (de bot reageert hier niet op)", file=stdout)
    return 0


async def _act(
    chat: ChatSimulator, text: str, numbered: list[tuple[str, int | None]]
) -> list[Output]:
    m = _NUMBER.match(text)
    if m and numbered:
        index = int(m.group(1))
        if 1 <= index <= len(numbered):
            data, message_id = numbered[index - 1]
            return await chat.press(data, message_id)
        return [
            Output(
                "answerCallbackQuery",
                None,
                None,
                f"Er is geen knop {index}; kies 1 tot {len(numbered)}.",
                (),
            )
        ]
    return await chat.send(text)


def main(settings: Settings) -> int:
    import asyncio

    return asyncio.run(run_console(settings, sys.stdin, sys.stdout))
