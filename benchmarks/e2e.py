"""Updates per second through the whole Application (handlers, matcher, SQLite, templates)
with the in-process fake Bot API.

    python benchmarks/e2e.py [--updates 2000] [--users 20]

Each update is a free-text question from one of the users (a mix of answered, suggested and
unknown questions), every fifth a press on a 👍 button. Prints figures; asserts nothing
(target: at least 200 updates per second).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from bot.config import Settings
from bot.offline import offline_bot
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--users", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(run(args.updates, args.users))


if __name__ == "__main__":
    main()
