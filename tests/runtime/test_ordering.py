"""Many people at once: updates of different people run side by side, one person's (and one
chat's) in the order they came, and a person waiting for their turn takes no place."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from telegram import Bot, Update

from bot.offline import OfflineBot
from bot.ordering import OrderedUpdateProcessor, ordering_keys
from bot.simulator import ChatSimulator

BOT = Bot("123:abc")


def _message(update_id: int, user: int, chat: int | None = None, text: str = "hoi") -> Update:
    chat_id = user if chat is None else chat
    chat_type = "private" if chat_id == user else "group"
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": chat_type},
                "from": {"id": user, "is_bot": False, "first_name": "X"},
                "text": text,
            },
        },
        BOT,
    )


class Recorder:
    """Coroutines that note when they start and end and wait for a gate of their own."""

    def __init__(self) -> None:
        self.events: list[tuple[str, int]] = []
        self.gates: dict[int, asyncio.Event] = {}
        self.running = 0
        self.most_running = 0

    async def work(self, update_id: int) -> None:
        self.events.append(("start", update_id))
        self.running += 1
        self.most_running = max(self.most_running, self.running)
        gate = self.gates.setdefault(update_id, asyncio.Event())
        try:
            await gate.wait()
        finally:
            self.running -= 1
            self.events.append(("end", update_id))

    def started(self) -> list[int]:
        return [u for kind, u in self.events if kind == "start"]

    def release(self, *update_ids: int) -> None:
        for update_id in update_ids:
            self.gates.setdefault(update_id, asyncio.Event()).set()


@asynccontextmanager
async def processing(
    processor: OrderedUpdateProcessor, rec: Recorder, updates: list[Update]
) -> AsyncIterator[list[asyncio.Task[None]]]:
    """Hand the updates to the processor in order, as PTB's fetcher does (a task each)."""
    async with processor:
        tasks = [
            asyncio.create_task(processor.process_update(u, rec.work(u.update_id)))
            for u in updates
        ]
        await asyncio.sleep(0.01)
        try:
            yield tasks
        finally:
            rec.release(*(u.update_id for u in updates))
            await asyncio.gather(*tasks)


def test_keys_are_the_person_and_the_chat() -> None:
    assert ordering_keys(_message(1, user=5)) == (("user", 5), ("chat", 5))
    assert ordering_keys(_message(1, user=5, chat=-100)) == (("user", 5), ("chat", -100))
    assert ordering_keys("not an update") == ()


async def test_different_people_run_at_the_same_time() -> None:
    rec = Recorder()
    updates = [_message(i, user=100 + i) for i in range(1, 6)]
    async with processing(OrderedUpdateProcessor(8), rec, updates):
        # nobody has finished, yet all five started: nobody waits behind another person
        assert rec.started() == [1, 2, 3, 4, 5]


async def test_one_person_waits_for_their_own_earlier_update() -> None:
    rec = Recorder()
    updates = [_message(1, user=7), _message(2, user=7), _message(3, user=8)]
    async with processing(OrderedUpdateProcessor(8), rec, updates):
        assert rec.started() == [1, 3]  # person 7's second message waits; person 8 does not
        rec.release(1)
        await asyncio.sleep(0.01)
        assert rec.started() == [1, 3, 2]
    assert rec.events.index(("end", 1)) < rec.events.index(("start", 2))


async def test_a_slow_first_step_is_never_overtaken() -> None:
    """Ten quick updates of one person behind a slow one: they run after it, in order."""
    rec = Recorder()
    updates = [_message(i, user=7) for i in range(1, 12)]
    async with processing(OrderedUpdateProcessor(4), rec, updates):
        assert rec.started() == [1]
        for i in range(1, 12):
            rec.release(i)
            await asyncio.sleep(0)
    assert rec.started() == list(range(1, 12))
    assert rec.most_running == 1


async def test_a_group_message_waits_for_the_person_and_for_the_group() -> None:
    rec = Recorder()
    updates = [
        _message(1, user=7),  # 7 in private
        _message(2, user=8, chat=-5),  # 8 in the group
        _message(3, user=7, chat=-5),  # 7 in the group: after both
        _message(4, user=9),  # someone else: at once
    ]
    async with processing(OrderedUpdateProcessor(8), rec, updates):
        assert rec.started() == [1, 2, 4]
        rec.release(1)
        await asyncio.sleep(0.01)
        assert rec.started() == [1, 2, 4]
        rec.release(2)
        await asyncio.sleep(0.01)
        assert rec.started() == [1, 2, 4, 3]


async def test_at_most_limit_at_once() -> None:
    rec = Recorder()
    updates = [_message(i, user=100 + i) for i in range(1, 11)]
    async with processing(OrderedUpdateProcessor(3), rec, updates):
        assert rec.started() == [1, 2, 3]
        rec.release(2)
        await asyncio.sleep(0.01)
        assert rec.started() == [1, 2, 3, 4]  # the next in line, not any other
    assert rec.most_running == 3


async def test_waiting_for_ones_turn_takes_no_place() -> None:
    """One person with many updates queued does not hold the places others need."""
    rec = Recorder()
    updates = [_message(i, user=7) for i in range(1, 9)] + [_message(9, user=8)]
    async with processing(OrderedUpdateProcessor(2), rec, updates):
        assert rec.started() == [1, 9]


async def test_cancelled_while_waiting_never_runs() -> None:
    rec = Recorder()
    processor = OrderedUpdateProcessor(2)
    async with processor:
        first = asyncio.create_task(processor.process_update(_message(1, 7), rec.work(1)))
        second = asyncio.create_task(processor.process_update(_message(2, 7), rec.work(2)))
        await asyncio.sleep(0.01)
        second.cancel()
        rec.release(1)
        await first
        with pytest.raises(asyncio.CancelledError):
            await second
    assert rec.started() == [1]
    assert processor.waiting_for_turn == 0


# -- through the Application's own queue, as `hoofdzaak run` feeds it --------------------------


def _text_update(sim: ChatSimulator, text: str) -> dict[str, Any]:
    return {"message": sim._message(text)}


async def _until(condition: Any, seconds: float = 10.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():  # noqa: ASYNC110 - polls what the fake Bot API recorded
            await asyncio.sleep(0.01)


async def test_one_slow_person_does_not_hold_up_the_others(bot: OfflineBot) -> None:
    """Telegram is slow for Anna's chat: Bram and Cor still get their answers right away."""
    anna, bram, cor = (bot.chat(uid) for uid in (501, 502, 503))
    held = bot.api.hold(501)
    await bot.app.start()
    try:
        for sim in (anna, bram, cor):
            bot.api.push_update(_text_update(sim, "wie betaalt de eerste 8 gesprekken?"))
        await bot.app.updater.start_polling(poll_interval=0, timeout=1)  # type: ignore[union-attr]
        await _until(lambda: len(_chats(bot)) >= 2)
        assert _chats(bot) == {502, 503}
        held.set()
        await _until(lambda: 501 in _chats(bot))
    finally:
        held.set()
        await bot.app.updater.stop()  # type: ignore[union-attr]
        await bot.app.stop()


def _chats(bot: OfflineBot) -> set[int]:
    """The chats a message was delivered to (a held call is made but not yet answered)."""
    return {int(c.params["chat_id"]) for c in bot.api.sent("sendMessage") if c.result}


async def test_one_persons_messages_are_answered_in_order(bot: OfflineBot) -> None:
    """Three questions typed quickly after each other, the first one slow: the answers come
    in the order of the questions."""
    anna = bot.chat(601)
    held = bot.api.hold(601)
    await bot.app.start()
    try:
        for text in ("wat is een wsp?", "wat is ips?", "wat is een centrumgemeente?"):
            bot.api.push_update(_text_update(anna, text))
        await bot.app.updater.start_polling(poll_interval=0, timeout=1)  # type: ignore[union-attr]
        await asyncio.sleep(0.3)
        # only the first question's call reached Telegram: the others wait their turn
        assert len([c for c in bot.api.calls if str(c.params.get("chat_id")) == "601"]) == 1
        held.set()
        await _until(lambda: len(_replies_now(bot, 601)) == 3)
    finally:
        held.set()
        await bot.app.updater.stop()  # type: ignore[union-attr]
        await bot.app.stop()
    first, second, third = _replies_now(bot, 601)
    assert "werkgeversservicepunt" in first.lower()
    assert "individual placement and support" in second.lower()
    assert "centrumgemeente" in third.lower()


def _replies_now(bot: OfflineBot, chat_id: int) -> list[str]:
    """Messages delivered to the chat, in the order Telegram answered them."""
    return [
        str(c.params.get("text"))
        for c in bot.api.calls
        if c.method == "sendMessage" and str(c.params.get("chat_id")) == str(chat_id) and c.result
    ]
