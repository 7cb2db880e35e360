"""Every kind of update is handled or ignored on purpose; a flood from one person is slowed
down without keeping anyone else waiting."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.offline import OfflineBot
from bot.services.people import users
from bot.services.people.flood import FloodGuard, Verdict
from bot.simulator import ChatSimulator
from bot.storage.models import QuestionLog, User
from tests.support import give_role

COACH = 6101


def _message(chat: ChatSimulator, **content: Any) -> dict[str, Any]:
    return {
        "message_id": 500 + len(chat.api.calls),
        "date": int(time.time()),
        "chat": chat.chat,
        "from": chat.user,
        **content,
    }


def _member(status: str, user: dict[str, Any]) -> dict[str, Any]:
    return {"status": status, "user": user} | ({"until_date": 0} if status == "kicked" else {})


def _member_change(user_id: int, chat: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    bot_user = {"id": 7000000001, "is_bot": True, "first_name": "Hoofdzaak Werk"}
    return {
        "my_chat_member": {
            "chat": chat,
            "from": {"id": user_id, "is_bot": False, "first_name": "Sanne"},
            "date": int(time.time()),
            "old_chat_member": _member(old, bot_user),
            "new_chat_member": _member(new, bot_user),
        }
    }


@pytest.mark.parametrize(
    "content",
    [
        {"photo": [{"file_id": "p1", "file_unique_id": "u1", "width": 9, "height": 9}]},
        {"sticker": {"file_id": "s1", "file_unique_id": "u2", "width": 9, "height": 9,
                     "is_animated": False, "is_video": False, "type": "regular"}},
        {"voice": {"file_id": "v1", "file_unique_id": "u3", "duration": 3}},
        {"document": {"file_id": "d1", "file_unique_id": "u4", "file_name": "cv.pdf"}},
        {"location": {"latitude": 52.37, "longitude": 4.89}},
    ],
    ids=["photo", "sticker", "voice", "document", "location"],
)  # fmt: skip
async def test_what_is_not_text_gets_a_plain_answer(
    bot: OfflineBot, content: dict[str, Any]
) -> None:
    chat = bot.chat(COACH)
    out = await chat.process({"message": _message(chat, **content)})
    assert len(out) == 1 and "alleen tekst" in out[0].text
    group = bot.chat(COACH, chat_id=-100123, chat_type="supergroup")
    assert await group.process({"message": _message(group, **content)}) == []


async def test_edits_channel_posts_and_inline_queries_are_ignored_on_purpose(
    bot: OfflineBot,
) -> None:
    chat = bot.chat(COACH)
    await chat.send("wie betaalt de eerste 8 gesprekken?")
    edited = _message(chat, text="wie betaalt de co-financiering?", edit_date=int(time.time()))
    assert await chat.process({"edited_message": edited}) == []
    channel = {"id": -1009, "type": "channel", "title": "Nieuws"}
    post = {"message_id": 1, "date": int(time.time()), "chat": channel, "text": "wat is IPS?"}
    assert await chat.process({"channel_post": post}) == []
    query = {"id": "q1", "from": chat.user, "query": "ips", "offset": ""}
    assert await chat.process({"inline_query": query}) == []
    async with bot.services.db.session() as s:  # only the one real question was logged
        assert await s.scalar(select(func.count(QuestionLog.id))) == 1


async def test_unknown_command_points_to_help(bot: OfflineBot) -> None:
    out = await bot.chat(COACH).send("/weetikveel")
    assert len(out) == 1 and "/help" in out[0].text


async def test_blocking_makes_inactive_and_coming_back_restores_the_role(bot: OfflineBot) -> None:
    await give_role(bot, COACH, "coach", "AM18")
    chat = bot.chat(COACH)
    assert await chat.process(_member_change(COACH, chat.chat, "member", "kicked")) == []

    async def state(telegram_id: int) -> tuple[bool, bool, str | None]:
        async with bot.services.db.session() as s:
            user = (
                await s.execute(select(User).where(User.telegram_id == telegram_id))
            ).scalar_one()
            return user.active, user.blocked_at is not None, user.role

    assert await state(COACH) == (False, True, "coach")
    await chat.process(_member_change(COACH, chat.chat, "kicked", "member"))
    assert await state(COACH) == (True, False, "coach")
    out = await chat.send("/ik")
    assert "coach" in out[-1].text.lower()

    # someone the programme team switched off stays off, blocked or not
    other = 6102
    await give_role(bot, other, "coach", "AM18")
    async with bot.services.db.session() as s:
        await users.deactivate(s, other)
    them = bot.chat(other)
    await them.process(_member_change(other, them.chat, "member", "kicked"))
    await them.process(_member_change(other, them.chat, "kicked", "member"))
    assert await state(other) == (False, False, "coach")


async def test_added_to_a_group_says_hello_and_leaving_is_quiet(bot: OfflineBot) -> None:
    group = {"id": -100777, "type": "supergroup", "title": "Regio-overleg"}
    chat = bot.chat(COACH, chat_id=-100777, chat_type="supergroup")
    out = await chat.process(_member_change(COACH, group, "left", "member"))
    assert len(out) == 1 and "@" in out[0].text and "privé" in out[0].text
    assert await chat.process(_member_change(COACH, group, "member", "left")) == []


async def test_a_flood_is_slowed_down_and_others_are_answered(bot: OfflineBot) -> None:
    clock = [0.0]
    bot.services.flood = FloodGuard(limit=20, window=10.0, clock=lambda: clock[0])
    flooder, other = bot.chat(6201), bot.chat(6202)
    answers = []
    for i in range(50):  # 50 messages within one second
        clock[0] = i / 50
        answers.extend(await flooder.send("wat is IPS?"))
    warnings = [o for o in answers if "veel berichten" in o.text]
    assert len(warnings) == 1
    assert len(answers) == 20 + 1  # twenty answered, told once, the other 29 dropped
    started = time.monotonic()
    out = await other.send("wat is IPS?")
    assert out and "veel berichten" not in out[0].text
    assert time.monotonic() - started < 2
    clock[0] = 12.0  # after the window the flooder is answered again
    again = await flooder.send("wat is IPS?")
    assert again and "veel berichten" not in again[0].text
    # a flood of button presses: the spinner stops, nothing is done
    for i in range(25):
        clock[0] = 20 + i / 50
        await other.press("faq:x")
    assert any(c.method == "answerCallbackQuery" for c in bot.api.calls[-3:])


def test_flood_guard_window() -> None:
    now = [0.0]
    guard = FloodGuard(limit=3, window=10.0, clock=lambda: now[0])
    assert [guard.check(1) for _ in range(5)] == [
        Verdict.ALLOW,
        Verdict.ALLOW,
        Verdict.ALLOW,
        Verdict.WARN,
        Verdict.DROP,
    ]
    assert guard.check(2) is Verdict.ALLOW  # someone else is not affected
    now[0] = 10.5
    assert guard.check(1) is Verdict.ALLOW
