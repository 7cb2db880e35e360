"""Questions, answers and browsing through the fake Bot API: what a user in Telegram sees."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.fakeapi import BOT_USERNAME
from bot.offline import OfflineBot
from bot.storage.models import QuestionLog
from bot.telegram_html import strip as strip_html
from handlers import common
from knowledge.models import Entry
from tests.support import ADMIN_ID, give_role

pytestmark = pytest.mark.both_databases


async def _logs(bot: OfflineBot) -> list[QuestionLog]:
    async with bot.services.db.session() as session:
        return list(
            (await session.execute(select(QuestionLog).order_by(QuestionLog.id))).scalars()
        )


async def test_start_welcomes_with_topic_buttons(bot: OfflineBot) -> None:
    out = await bot.chat().send("/start")
    assert len(out) == 1
    assert "Hoofdzaak Werk" in out[0].text
    labels = [label for label, _ in out[0].buttons]
    assert "Wat telt als traject?" in labels
    assert "Co-financiering IPS" in labels
    # pressing a topic gives the FAQ answer
    answer = await bot.chat().press("qa:rel:faq-0-1", out[0].message_id)
    assert any("Bron: FAQ 0.1" in o.text for o in answer)


async def test_each_role_gets_its_own_command_menu(bot: OfflineBot) -> None:
    def menu(chat_id: int | None) -> dict[str, str]:
        calls = [
            c
            for c in bot.api.sent("setMyCommands")
            if (chat_id is None and "scope" not in c.params)
            or (chat_id is not None and str(chat_id) in str(c.params.get("scope")))
        ]
        assert calls, chat_id
        return {c["command"]: c["description"] for c in calls[-1].params["commands"]}

    everyone = menu(None)
    assert set(everyone) == {
        "start",
        "faq",
        "help",
        "kandidaat",
        "traject",
        "cofinanciering",
        "ik",
    }
    assert "vragen" in everyone["faq"]
    assert {"onbeantwoord", "gebruikers", "registreer", "export"} <= set(menu(ADMIN_ID))
    await give_role(bot, 4401, "coach", "AM18")
    await bot.chat(4401).send("/ik")  # the menu follows the role
    coach = menu(4401)
    assert {"registreer", "mijntrajecten", "stop"} <= set(coach)
    assert not {"gebruikers", "export", "uitnodigen"} & set(coach)
    help_text = (await bot.chat(4401).send("/help"))[-1].text
    assert "/mijntrajecten" in help_text and "/gebruikers" not in help_text
    assert "uitnodiging" in (await bot.chat(4402).send("/help"))[-1].text


async def test_help_names_each_command_once_and_says_english_is_fine(bot: OfflineBot) -> None:
    await give_role(bot, 4411, "coach", "AM18")
    for user in (4411, 4412, ADMIN_ID):
        text = (await bot.chat(user).send("/help"))[-1].text
        listed = re.findall(r"^/(\w+) –", text, re.M)
        assert len(listed) == len(set(listed)), listed
        assert "You can ask in English too" in text
    welcome = (await bot.chat(4412).send("/start"))[-1].text
    assert "You can ask in English too" in welcome


async def test_a_slow_answer_shows_typing_first(
    bot: OfflineBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(common, "BUSY_AFTER", 0.0)
    out = await bot.chat().send("wie betaalt de eerste 8 gesprekken?")
    actions = bot.api.sent("sendChatAction")
    assert actions and actions[0].params["action"] == "typing"
    assert bot.api.calls.index(actions[0]) < bot.api.calls.index(bot.api.sent("sendMessage")[-1])
    assert "zorgverzekeraar" in out[-1].text.lower()


async def test_question_gets_answer_with_source_and_feedback_buttons(bot: OfflineBot) -> None:
    chat = bot.chat()
    out = await chat.send("wie betaalt de eerste 8 gesprekken?")
    # a quick answer comes without a "typing…" round trip to Telegram first
    assert not bot.api.sent("sendChatAction")
    msg = out[-1]
    assert "Bron: FAQ 5.5, stand 2021" in msg.text
    assert "zorgverzekeraar" in msg.text.lower()
    data = [d for _, d in msg.buttons]
    assert data[0].startswith("qa:up:") and data[1].startswith("qa:down:")
    # 👍 is stored and the thumbs disappear
    await chat.press(data[0], msg.message_id)
    (log,) = await _logs(bot)
    assert log.entry_id == "faq-5-5" and log.outcome == "answer" and log.feedback == "up"
    toast = bot.api.sent("answerCallbackQuery")[-1].params.get("text", "")
    assert "dank" in toast.lower()
    shown = [b.get("callback_data", "") for b in chat.last_bot_message().buttons()]
    assert not any(d.startswith("qa:up") for d in shown)


async def test_vague_question_suggests_then_press_answers(bot: OfflineBot) -> None:
    chat = bot.chat()
    out = await chat.send("werkgevers")
    msg = out[-1]
    assert "Bedoel je een van deze vragen" in msg.text
    picks = [d for _, d in msg.buttons if d.startswith("qa:pick:")]
    assert 1 <= len(picks) <= 3
    assert msg.buttons[-1][0] == "Geen van deze"
    entry_id = picks[0].split(":")[3]
    answer = await chat.press(picks[0], msg.message_id)
    edited = [o for o in answer if o.method == "editMessageText"]
    number = bot.services.kb.entry(entry_id).faq_numbers
    assert edited and (not number or f"FAQ {number[0]}" in edited[0].text)
    (log,) = await _logs(bot)
    assert log.outcome == "suggest" and log.entry_id == entry_id


async def test_buttons_nobody_pressed_reach_the_programme_team_until_one_is(
    bot: OfflineBot,
) -> None:
    """A question answered with "Bedoel je …?" buttons of which none was pressed is a miss
    too: it is listed in /onbeantwoord, and a press later takes it off."""
    asker = bot.chat()
    out = await asker.send("werkgevers")
    admin = bot.chat(ADMIN_ID)
    report = await admin.send("/onbeantwoord")
    assert "werkgevers — 1×, 1× geen knop gekozen" in strip_html(report[-1].text)

    pick = next(d for _, d in out[-1].buttons if d.startswith("qa:pick:"))
    await asker.press(pick, out[-1].message_id)
    report = await admin.send("/onbeantwoord")
    assert "werkgevers" not in report[-1].text


async def test_none_of_these_records_question_for_programme_team(bot: OfflineBot) -> None:
    chat = bot.chat()
    out = await chat.send("werkgevers")
    none = next(d for _, d in out[-1].buttons if d.startswith("qa:none:"))
    answer = await chat.press(none, out[-1].message_id)
    assert "programmateam" in answer[-1].text
    admin = bot.chat(ADMIN_ID)
    report = await admin.send("/onbeantwoord")
    assert "werkgevers" in report[-1].text and "1×" in report[-1].text


async def test_a_stranger_cannot_flood_the_teams_inbox(bot: OfflineBot) -> None:
    """Someone without an account sends 20 long questions: the team sees 3 of them, each
    shortened; a coach's question still shows, and its repeats collapse into one line."""
    stranger = bot.chat(6660)
    for i in range(20):
        await stranger.send(f"spam nummer {i} " + "blabla treinkaartje " * 50)
    await give_role(bot, 6661, "coach", "AM18")
    for _ in range(4):
        await bot.chat(6661).send("hoe laat vertrekt de trein naar Zwolle?")
    report = (await bot.chat(ADMIN_ID).send("/onbeantwoord"))[-1].text
    assert report.count("spam nummer") == 3
    assert "spam nummer 0 " in report and "spam nummer 3 " not in report
    assert max(len(line) for line in report.splitlines()) < 400
    assert report.count("trein naar Zwolle") == 1 and "4×" in report


async def test_an_english_question_gets_the_dutch_answer_with_one_english_line(
    bot: OfflineBot,
) -> None:
    out = await bot.chat().send("Who pays for the first 8 conversations before IPS starts?")
    text = out[-1].text
    assert text.startswith("<i>I answer in Dutch")
    assert "zorgverzekeraar" in text.lower() and "Bron: FAQ 5.5" in text
    dutch = await bot.chat().send("wie betaalt de eerste 8 gesprekken?")
    assert "I answer in Dutch" not in dutch[-1].text


async def test_unknown_question_is_honest_and_points_to_faq(bot: OfflineBot) -> None:
    out = await bot.chat().send("wat voor weer wordt het morgen in Utrecht?")
    assert "geen antwoord" in out[-1].text and "/faq" in out[-1].text
    (log,) = await _logs(bot)
    assert log.outcome == "unknown"


async def test_greeting_gets_friendly_reply_not_logged(bot: OfflineBot) -> None:
    out = await bot.chat().send("Hoi!")
    assert out[-1].text.startswith("Hoi!")
    assert await _logs(bot) == []


async def test_html_in_question_is_escaped(bot: OfflineBot) -> None:
    # markup characters in a question do not break the answer ...
    out = await bot.chat().send("wat is een <b>WSP</b> & wat doet het?")
    assert "FAQ 9.23" in out[-1].text
    # ... and where the bot shows the user's own words, they are escaped
    await bot.chat().send("<b>vet</b> & <script>alert(1)</script> weerbericht?")
    report = await bot.chat(ADMIN_ID).send("/onbeantwoord")
    text = report[-1].text
    assert "&lt;b&gt;vet&lt;/b&gt; &amp; &lt;script&gt;" in text
    assert "<script>" not in text


async def test_faq_browsing_by_section(bot: OfflineBot) -> None:
    chat = bot.chat()
    out = await chat.send("/faq")
    assert any(d == "faq:sec:5" for _, d in out[-1].buttons)
    sec = await chat.press("faq:sec:5", out[-1].message_id)
    assert any(d == "faq:ent:faq-5-10" for _, d in sec[-1].buttons)
    ans = await chat.press("faq:ent:faq-5-10", out[-1].message_id)
    assert "Bron: FAQ 5.10" in ans[-1].text
    assert "faq:sec:5" in [d for _, d in ans[-1].buttons]


async def test_stale_and_forged_buttons_get_polite_notice(bot: OfflineBot) -> None:
    chat = bot.chat()
    await chat.send("/start")
    for data in (
        "old:format",
        "qa:up:999999",
        "qa:pick:1:not-an-entry",
        "faq:ent:faq-99-1",
        "qa:rel:doc-none",
        "qa:up:abc",
    ):
        out = await chat.press(data)
        notices = [o for o in out if o.method == "answerCallbackQuery"]
        assert notices, data
        assert bot.api.sent("answerCallbackQuery")[-1].params.get("text"), data
    # someone else's feedback button
    other = bot.chat(2002)
    ans = await other.send("wie betaalt de eerste 8 gesprekken?")
    up = ans[-1].buttons[0][1]
    await chat.press(up, ans[-1].message_id)
    assert "iemand anders" in bot.api.sent("answerCallbackQuery")[-1].params["text"]


async def test_group_answers_only_when_addressed(bot: OfflineBot) -> None:
    group = bot.chat(3003, chat_id=-100123, chat_type="supergroup")
    assert await group.send("wie betaalt de eerste 8 gesprekken?") == []
    out = await group.send(f"@{BOT_USERNAME} wie betaalt de eerste 8 gesprekken?")
    assert "FAQ 5.5" in out[-1].text
    reply = await group.send("en wat is een wsp?", reply_to=out[-1].message_id)
    assert "FAQ 9.23" in reply[-1].text
    assert "Veelgestelde vragen" in (await group.send("/faq"))[-1].text


async def test_long_answer_is_split_with_buttons_under_last_part(bot: OfflineBot) -> None:
    kb = bot.services.kb
    entry = kb.entry("faq-5-5")
    long = Entry.model_construct(**{**entry.__dict__, "answer": "Lange tekst. " * 700})
    kb.by_id["faq-5-5"] = long  # type: ignore[index]
    try:
        out = await bot.chat().send("wie betaalt de eerste 8 gesprekken?")
    finally:
        kb.by_id["faq-5-5"] = entry  # type: ignore[index]
    messages = [o for o in out if o.method == "sendMessage"]
    assert len(messages) >= 3
    assert all(len(m.text) <= 4096 for m in messages)
    assert not messages[0].buttons and messages[-1].buttons
    assert "Bron: FAQ 5.5" in messages[-1].text


async def test_unexpected_error_tells_the_user(
    bot: OfflineBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(_q: str) -> None:
        raise RuntimeError("kapot")

    monkeypatch.setattr(bot.services.matcher, "match", boom)
    out = await bot.chat().send("wat is een wsp?")
    assert "er ging iets mis" in out[-1].text.lower()


async def test_blocked_user_does_not_break_the_bot(bot: OfflineBot) -> None:
    chat = bot.chat(4004)
    bot.api.block(4004)
    out = await chat.send("wat is een wsp?")
    assert all(o.method in ("sendMessage",) for o in out)  # tried, got 403, no crash
    other = await bot.chat(4005).send("wat is een wsp?")
    assert "FAQ 9.23" in other[-1].text


async def test_unanswered_is_for_admins_only(bot: OfflineBot) -> None:
    out = await bot.chat(5005).send("/onbeantwoord")
    assert "alleen voor het programmateam" in out[-1].text


@pytest.mark.parametrize("days", ["²", "9" * 5000], ids=["squared", "long"])
async def test_odd_day_counts_for_onbeantwoord_are_no_error(bot: OfflineBot, days: str) -> None:
    """'²' passes str.isdigit() but int() refuses it: the report for the default period
    (or the longest) comes, not the error reply."""
    out = await bot.chat(ADMIN_ID).send(f"/onbeantwoord {days}")
    apology = bot.services.renderer.render("common/error.html.j2")
    assert out and apology not in out[-1].text
