"""Misses become knowledge: linking an unanswered question to an entry in /onbeantwoord makes
the running bot answer it at once; a 👎 proposal waits for the programme team; the CLI takes
learned phrasings into the YAML."""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from bot.cli import main
from bot.config import Settings
from bot.domain import LearnedStatus
from bot.offline import OfflineBot
from bot.services.faq import learning
from bot.simulator import ChatSimulator, Output
from bot.storage.db import Database
from bot.storage.models import LearnedPhrasing, QuestionLog
from bot.telegram_html import strip as strip_html
from knowledge.kb import KB_DIR, load_kb
from tests.support import ADMIN_ID, give_role
from tests.support.chat import press_shown

pytestmark = pytest.mark.both_databases

# Not answered today (refused), and what the programme team decides it is about.
MISSED = "raken we budget kwijt als we de 100 trajecten niet halen"
NEAR = "raken wij als regio budget kwijt als we die 100 trajecten niet halen?"
ENTRY = "faq-0-3"  # Sancties als we het aantal niet halen?


def said(out: list[Output]) -> str:
    return "\n".join(
        strip_html(o.text) for o in out if o.method in ("sendMessage", "editMessageText")
    )


def data_of(out: list[Output]) -> list[str]:
    return [data for o in out for _, data in o.buttons]


async def _ask(bot: OfflineBot, user: int, text: str) -> tuple[ChatSimulator, list[Output]]:
    chat = bot.chat(user)
    return chat, await chat.send(text)


async def _log_id(bot: OfflineBot, text: str) -> int:
    async with bot.services.db.session() as session:
        found = await session.scalar(
            sa.select(QuestionLog.id).where(QuestionLog.text == text).order_by(QuestionLog.id)
        )
    assert found is not None
    return int(found)


async def test_linking_in_onbeantwoord_answers_the_next_asker_without_a_restart(
    bot: OfflineBot,
) -> None:
    services = bot.services
    assert services.matcher.match(MISSED).outcome.value != "answer"  # the miss, before
    asker, _ = await _ask(bot, 6101, MISSED)
    log_id = await _log_id(bot, MISSED)
    await press_shown(asker, f"qa:none:{log_id}")  # "Geen van deze": into the inbox

    admin = bot.chat(ADMIN_ID)
    out = await admin.send("/onbeantwoord")
    assert "budget kwijt" in said(out)
    out = await press_shown(admin, "un:n:0")
    assert "Vraag 1 van 1" in said(out)
    # the entry is not among the three offered: search it
    out = await press_shown(admin, f"un:s:{log_id}")
    assert "Typ een paar woorden" in said(out)
    out = await admin.send("sanctie ambitie niet gehaald")
    assert f"un:l:{log_id}:{ENTRY}" in data_of(out)
    out = await press_shown(admin, f"un:l:{log_id}:{ENTRY}")
    assert "Gekoppeld" in said(out) and "Alle vragen zijn behandeld" in said(out)

    # the same question and a near variant, by someone else: the entry's answer
    for user, text in ((6102, MISSED), (6103, NEAR)):
        _, out = await _ask(bot, user, text)
        assert "qa:up:" in " ".join(data_of(out)), said(out)
        async with services.db.session() as session:
            log = (
                (await session.execute(sa.select(QuestionLog).order_by(QuestionLog.id.desc())))
                .scalars()
                .first()
            )
        assert log is not None and log.outcome == "answer" and log.entry_id == ENTRY

    out = await admin.send("/onbeantwoord")
    assert "budget kwijt" not in said(out)  # handled
    async with services.db.session() as session:
        row = await session.scalar(sa.select(LearnedPhrasing))
    assert row is not None and row.status == LearnedStatus.CONFIRMED
    assert row.entry_id == ENTRY and row.confirmed_by is not None


async def test_new_topic_and_ignore_take_a_question_off_the_list(bot: OfflineBot) -> None:
    await _ask(bot, 6201, "hoe laat gaat de kantine van het uwv open")
    await _ask(bot, 6202, "wat is het telefoonnummer van de helpdesk")
    first = await _log_id(bot, "hoe laat gaat de kantine van het uwv open")
    second = await _log_id(bot, "wat is het telefoonnummer van de helpdesk")
    admin = bot.chat(ADMIN_ID)
    await admin.send("/onbeantwoord")
    await press_shown(admin, "un:n:0")
    out = await admin.press(f"un:t:{first}", admin.last_bot_message().message_id)
    assert "Bewaard als kandidaat" in said(out)
    out = await press_shown(admin, f"un:i:{second}")
    assert "Genegeerd" in said(out) and "Alle vragen zijn behandeld" in said(out)
    out = await admin.send("/onbeantwoord")
    assert "un:c" in data_of(out)
    out = await press_shown(admin, "un:c")
    assert "kantine" in said(out) and "telefoonnummer" not in said(out)


async def test_only_the_programme_team_handles_questions(bot: OfflineBot) -> None:
    await _ask(bot, 6301, MISSED)
    log_id = await _log_id(bot, MISSED)
    await give_role(bot, 6302, "regio", "AM18")
    regio = bot.chat(6302)
    await regio.send("/onbeantwoord")
    out = await regio.press(f"un:l:{log_id}:{ENTRY}")  # forged
    assert "programmateam" in " ".join(o.text for o in out)
    async with bot.services.db.session() as session:
        assert await session.scalar(sa.select(sa.func.count(LearnedPhrasing.id))) == 0
    group = bot.chat(ADMIN_ID, chat_id=-100500, chat_type="supergroup")
    await group.press(f"un:l:{log_id}:{ENTRY}", message_id=1)  # in a group: refused
    async with bot.services.db.session() as session:
        assert await session.scalar(sa.select(sa.func.count(LearnedPhrasing.id))) == 0


async def test_a_thumbs_down_proposal_waits_for_the_programme_team(bot: OfflineBot) -> None:
    question = "wat telt als traject"
    chat, out = await _ask(bot, 6401, question)
    first = bot.services.matcher.match(question).entry_id
    assert first is not None
    log_id = await _log_id(bot, question)
    out = await press_shown(chat, f"qa:down:{log_id}")
    wishes = [d for d in data_of(out) if d.startswith("qa:wish:")]
    assert wishes, said(out)
    wanted = wishes[0].split(":")[-1]
    assert wanted != first
    out = await press_shown(chat, wishes[0])
    assert "Dank je" in said(out)

    # not used yet: another person still gets the first answer
    _, out = await _ask(bot, 6402, question)
    assert f"qa:more:{wanted}" not in data_of(out)
    async with bot.services.db.session() as session:
        log = (
            (await session.execute(sa.select(QuestionLog).order_by(QuestionLog.id.desc())))
            .scalars()
            .first()
        )
    assert log is not None and log.entry_id == first

    admin = bot.chat(ADMIN_ID)
    out = await admin.send("/onbeantwoord")
    assert "1 voorstel van gebruikers" in said(out)
    out = await press_shown(admin, "un:p:0")
    assert "Voorstel 1 van 1" in said(out)
    async with bot.services.db.session() as session:
        proposal = await session.scalar(sa.select(LearnedPhrasing))
    assert proposal is not None and proposal.status == LearnedStatus.PROPOSED
    out = await press_shown(admin, f"un:y:{proposal.id}")
    assert "Bevestigd" in said(out)

    _, out = await _ask(bot, 6403, question)
    async with bot.services.db.session() as session:
        log = (
            (await session.execute(sa.select(QuestionLog).order_by(QuestionLog.id.desc())))
            .scalars()
            .first()
        )
    assert log is not None and log.entry_id == wanted


async def test_the_bot_follows_the_table_and_drops_what_a_release_has(bot: OfflineBot) -> None:
    services = bot.services
    now = services.clock()
    async with services.db.session() as session:
        session.add_all(
            [
                LearnedPhrasing(text=MISSED, entry_id=ENTRY, status="confirmed", created_at=now),
                # already an alternative of faq-0-1 in the YAML: released
                LearnedPhrasing(
                    text="wat is een traject precies",
                    entry_id="faq-0-1",
                    status="exported",
                    created_at=now,
                ),
            ]
        )
        await session.commit()
    result = await learning.sync_now(services)
    assert (result.active, result.released) == (1, 1)
    assert services.matcher.match(MISSED, services.learned).entry_id == ENTRY
    async with services.db.session() as session:
        await session.execute(sa.delete(LearnedPhrasing))  # another process removed it
        await session.commit()
    result = await learning.sync_now(services)
    assert result.active == 0 and result.removed == 1
    assert services.matcher.match(MISSED, services.learned).entry_id != ENTRY


async def _add_learned(db_url: str) -> None:
    db = Database(db_url)
    try:
        async with db.session() as session:
            now = datetime.now(UTC)
            session.add_all(
                [
                    LearnedPhrasing(
                        text=MISSED, entry_id=ENTRY, status="confirmed", created_at=now
                    ),
                    LearnedPhrasing(
                        text="iets wat nog een voorstel is",
                        entry_id=ENTRY,
                        status="proposed",
                        created_at=now,
                    ),
                ]
            )
            await session.commit()
    finally:
        await db.dispose()


def test_cli_list_export_remove(settings: Settings, tmp_path: Path) -> None:
    kb_dir = tmp_path / "knowledge"
    shutil.copytree(KB_DIR, kb_dir, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    env = {"DATABASE_URL": settings.db_url}
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    asyncio.run(_add_learned(settings.db_url))
    listed = runner.invoke(main, ["kb", "learned", "list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    assert {r["status"] for r in json.loads(listed.output)} == {"confirmed", "proposed"}

    exported = runner.invoke(
        main, ["kb", "learned", "export", "--kb-dir", str(kb_dir), "--json"], env=env
    )
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.output)["written"] == 1
    entry = next(
        e
        for f in (kb_dir / "faq").glob("*.yaml")
        for e in yaml.safe_load(f.read_text(encoding="utf-8"))["entries"]
        if e["id"] == ENTRY
    )
    assert MISSED in entry["alternatives"]
    assert load_kb(kb_dir).entry(ENTRY).alternatives[-1] == MISSED
    listed = runner.invoke(
        main, ["kb", "learned", "list", "--status", "exported", "--json"], env=env
    )
    assert [r["question"] for r in json.loads(listed.output)] == [MISSED]

    # kb eval --learned: the figures with the learned phrasings, and what they change
    eval_set = tmp_path / "mini.tsv"
    eval_set.write_text(
        f"question\texpected\tkind\n{MISSED}\t{ENTRY}\tparafrase\n"
        "wat is het weer morgen in Utrecht\t-\toos\n",
        encoding="utf-8",
    )
    evaluated = runner.invoke(
        main, ["kb", "eval", "--file", str(eval_set), "--learned", "--json"], env=env
    )
    assert evaluated.exit_code == 0, evaluated.output
    report = json.loads(evaluated.output)
    assert report["in_scope"]["right"] == 0.0
    assert report["with_learned"]["in_scope"]["right"] == 1.0
    assert report["with_learned"]["out_of_scope"]["refused"] == 1.0
    assert [c["question"] for c in report["with_learned"]["changed"]] == [MISSED]

    removed = runner.invoke(main, ["kb", "learned", "remove", "1", "2"], env=env)
    assert removed.exit_code == 0 and "2 learned phrasings removed" in removed.output


async def test_forgetting_someone_drops_their_open_proposals(bot: OfflineBot) -> None:
    from bot.services.people.privacy import forget_user

    question = "wat telt als traject"
    chat, _ = await _ask(bot, 6501, question)
    log_id = await _log_id(bot, question)
    out = await press_shown(chat, f"qa:down:{log_id}")
    wish = next(d for d in data_of(out) if d.startswith("qa:wish:"))
    await press_shown(chat, wish)
    async with bot.services.db.session() as session:
        assert await session.scalar(sa.select(sa.func.count(LearnedPhrasing.id))) == 1
        await forget_user(session, 6501)
        await session.commit()
        assert await session.scalar(sa.select(sa.func.count(LearnedPhrasing.id))) == 0
