"""Updates per second through the whole Application (handlers, matcher, SQLite, templates)
with the in-process fake Bot API, and a question's round trip through the `run` path against
an echo bot.

    python benchmarks/e2e.py [--updates 2000] [--users 20] [--round-trips 300]

1. Each update is a free-text question from one of the users (a mix of answered, suggested
   and unknown questions), every fifth a press on a 👍 button, handed to the Application
   directly (target: at least 200 updates per second).
2. Round trips: one person asks the questions back to back (the next one when the answer
   has arrived) through the path `hoofdzaak run` takes: the stand-in Telegram queues the
   update, the real Updater fetches it by long polling, the update processor and the whole
   bot handle it, the answer goes out through the Bot API. The same person then talks to an
   echo bot (python-telegram-bot, one handler that sends the text back) on the same stand-in,
   in the same run: the bot's answers per second as a share of the echo bot's (aim: at least
   0.35). Every Bot API call takes `--api-latency` ms (default 2.5: a local Bot API server,
   where an echo bot does about 200 round trips a second, as measured when this was asked
   for); with 0 only the bot's own work counts. No rate limiter.

Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.app import build_application, start_app, stop_app
from bot.config import Settings
from bot.fakeapi import OFFLINE_TOKEN, FakeBotAPI
from bot.offline import offline_bot
from bot.simulator import ChatSimulator
from handlers.common import App, BotContext
from knowledge.evaluation import EVAL_SETS, load_eval

ROOT = Path(__file__).resolve().parent.parent


async def run(updates: int, users: int) -> None:
    questions = [it.question for it in load_eval(EVAL_SETS / "faq_eval.tsv")]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(DATABASE_URL=f"sqlite+aiosqlite:///{tmp}/bench.db")
        async with offline_bot(settings) as bot:
            chats = [bot.chat(10_000 + i, first_name=f"Gebruiker {i}") for i in range(users)]
            latencies = []
            start = time.perf_counter()
            for n in range(updates):
                chat = chats[n % users]
                t0 = time.perf_counter()
                if n % 5 == 4 and bot.api.chat_messages(chat.chat_id):
                    last = chat.last_bot_message()
                    ups = [
                        b["callback_data"]
                        for b in last.buttons()
                        if b.get("callback_data", "").startswith("qa:up:")
                    ]
                    await chat.press(ups[0] if ups else "faq:home", last.message_id)
                else:
                    await chat.send(questions[n % len(questions)])
                latencies.append((time.perf_counter() - t0) * 1000)
            elapsed = time.perf_counter() - start
            calls = len(bot.api.calls)
    latencies.sort()
    print(
        f"{updates} updates from {users} users in {elapsed:.2f} s: "
        f"{updates / elapsed:.0f} updates/s"
    )
    print(
        f"  per update: p50 {statistics.median(latencies):.2f} ms, "
        f"p99 {latencies[int(0.99 * (len(latencies) - 1))]:.2f} ms; "
        f"{calls} Bot API calls"
    )


async def _round_trips(app: App, api: FakeBotAPI, questions: list[str], n: int) -> float:
    """Answers per second: one person, each question when the previous answer is there."""
    assert app.updater is not None
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=10)
    person = ChatSimulator(app, api, user_id=77_001, first_name="Sanne")
    try:
        start = time.perf_counter()
        for i in range(n):
            before = len(api.sent("sendMessage"))
            api.push_update({"message": person._message(questions[i % len(questions)])})
            while len(api.sent("sendMessage")) == before:  # noqa: ASYNC110 - the stand-in has no event
                await asyncio.sleep(0.0002)
        return n / (time.perf_counter() - start)
    finally:
        await app.updater.stop()
        await app.stop()


async def round_trips(n: int, latency_ms: float) -> None:
    questions = [it.question for it in load_eval(EVAL_SETS / "faq_eval.tsv")]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            DATABASE_URL=f"sqlite+aiosqlite:///{tmp}/rt.db",
            HOOFDZAAK_RATE_LIMITER=False,
            HOOFDZAAK_FLOOD_LIMIT=100_000,
        )
        api = FakeBotAPI(latency=latency_ms / 1000)
        app = build_application(settings, request=api, token=OFFLINE_TOKEN)
        await start_app(app)
        try:
            await _round_trips(app, api, questions, 20)  # warm up (caches, word lists)
            bot_rate = await _round_trips(app, api, questions, n)
        finally:
            await stop_app(app)

    echo_api = FakeBotAPI(latency=latency_ms / 1000)
    echo: App = (
        Application.builder()
        .token(OFFLINE_TOKEN)
        .request(echo_api)
        .get_updates_request(echo_api)
        .context_types(ContextTypes(context=BotContext))
        .build()
    )

    async def say_it_back(update: Update, context: BotContext) -> None:
        if update.effective_message is not None and update.effective_message.text:
            await update.effective_message.reply_text(update.effective_message.text)

    echo.add_handler(MessageHandler(filters.TEXT, say_it_back))
    await echo.initialize()
    try:
        await _round_trips(echo, echo_api, questions, 20)
        echo_rate = await _round_trips(echo, echo_api, questions, n)
    finally:
        await echo.shutdown()
    print(
        f"round trips through the run path, one person back to back ({n} questions, "
        f"{latency_ms:g} ms per Bot API call): "
        f"bot {bot_rate:.0f} answers/s, echo bot {echo_rate:.0f}/s: "
        f"{bot_rate / echo_rate:.2f}× echo ({1000 / bot_rate:.1f} ms vs "
        f"{1000 / echo_rate:.1f} ms per round trip)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--round-trips", type=int, default=300)
    parser.add_argument("--api-latency", type=float, default=2.5)
    args = parser.parse_args()
    asyncio.run(run(args.updates, args.users))
    asyncio.run(round_trips(args.round_trips, args.api_latency))
    if args.api_latency:
        asyncio.run(round_trips(args.round_trips, 0.0))


if __name__ == "__main__":
    main()
