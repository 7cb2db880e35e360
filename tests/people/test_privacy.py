"""Retention and `users forget`: personal data goes, the figures stay (docs/privacy.md)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli import main
from bot.config import TIMEZONE
from bot.offline import OfflineBot
from bot.services.people import privacy
from bot.services.trajectories import records as trajectories
from bot.storage.models import (
    Announcement,
    BotState,
    Delivery,
    QuestionLog,
    Trajectory,
    TrajectoryEvent,
    User,
)
from tests.support import give_role

pytestmark = pytest.mark.both_databases

COACH, OTHER = 7001, 7002
NOW = datetime(2026, 12, 4, 10, 0, tzinfo=TIMEZONE)
POLICY = privacy.RetentionPolicy(question_days=180, pseudonym_days=365, message_days=30)


def _new(pseudonym: str, start: date) -> trajectories.NewTrajectory:
    return trajectories.NewTrajectory(
        "AM18", pseudonym, start, "ips", "epa", "uwv", "ggz", "ww", "basis"
    )


async def _fill(bot: OfflineBot) -> dict[str, int]:
    """Two coaches: questions old and new, trajectories ended long ago and recently,
    a renamed pseudonym in the history, a digest text, a half-finished form."""
    await give_role(bot, COACH, "coach", "AM18")
    await give_role(bot, OTHER, "coach", "AM18")
    async with bot.services.db.session() as s:
        coach = (await s.execute(select(User).where(User.telegram_id == COACH))).scalar_one()
        other = (await s.execute(select(User).where(User.telegram_id == OTHER))).scalar_one()
        for who, days, text in (
            (coach, 400, "mag mijn kandidaat Jan uit Zwolle meedoen?"),
            (coach, 10, "wie betaalt de eerste 8 gesprekken?"),
            (other, 300, "telt een WSP-traject mee?"),
            (other, 5, "wat is IPS?"),
        ):
            s.add(
                QuestionLog(
                    user_id=who.id, chat_type="private", text=text, outcome="answered",
                    entry_id="faq:5.5", score=0.9, asked_at=NOW - timedelta(days=days),
                )
            )  # fmt: skip
        await s.commit()
        old = await trajectories.register(s, _new("KL-OUD", date(2024, 1, 8)), coach.id, NOW)
        recent = await trajectories.register(s, _new("KL-NIEUW", date(2026, 3, 2)), coach.id, NOW)
        theirs = await trajectories.register(s, _new("AB-12", date(2024, 2, 5)), other.id, NOW)
        await trajectories.change(s, old.id, old.version, {"pseudonym": "KL-OUD2"}, coach.id, NOW)
        for t, end in (
            (old, date(2024, 9, 30)),
            (recent, date(2026, 11, 2)),
            (theirs, date(2026, 1, 6)),
        ):
            await s.refresh(t)
            await trajectories.change(
                s, t.id, t.version, {"end_date": end, "end_reason": "anders"}, coach.id, NOW,
                status=trajectories.ENDED,
            )  # fmt: skip
        digest = Announcement(kind="digest", key="digest:2026-W40", text="", status="done",
                              created_at=NOW - timedelta(days=60))  # fmt: skip
        s.add(digest)
        await s.flush()
        for who, days in ((coach, 60), (other, 60), (coach, 3)):
            s.add(
                Delivery(
                    announcement_id=digest.id if days == 60 else await _week(s), user_id=who.id,
                    chat_id=who.telegram_id, text=f"Je lopende trajecten: KL-NIEUW ({days})",
                    status="sent", updated_at=NOW - timedelta(days=days),
                )
            )  # fmt: skip
        s.add(BotState(kind="user", key=str(COACH), data='{"form": {"pseudonym": "KL-X"}}',
                       updated_at=NOW))  # fmt: skip
        s.add(BotState(kind="conversation:registreer", key=f"{COACH}:{COACH}", data="3",
                       updated_at=NOW))  # fmt: skip
        await s.commit()
        return {"coach": coach.id, "old": old.id, "recent": recent.id, "theirs": theirs.id}


async def _cli(args: list[str]) -> Result:
    """The CLI runs its own event loop: give it a thread of its own."""
    return await asyncio.to_thread(CliRunner().invoke, main, args)


async def _week(s: AsyncSession) -> int:
    row = Announcement(kind="digest", key="digest:2026-W49", text="", status="done",
                       created_at=NOW)  # fmt: skip
    s.add(row)
    await s.flush()
    return row.id


async def _n(s: AsyncSession, stmt: Select[tuple[int]]) -> int:
    return int(await s.scalar(stmt) or 0)


async def _figures(bot: OfflineBot) -> tuple[int, ...]:
    async with bot.services.db.session() as s:
        return (
            await _n(s, select(func.count(QuestionLog.id))),
            await _n(s, select(func.count(Trajectory.id))),
            await _n(s, select(func.count(Trajectory.id)).where(Trajectory.status == "beeindigd")),
            await _n(s, select(func.count(Delivery.id)).where(Delivery.status == "sent")),
            await _n(
                s, select(func.count(QuestionLog.id)).where(QuestionLog.entry_id == "faq:5.5")
            ),
        )


async def test_retention_anonymises_old_texts_and_pseudonyms_and_keeps_figures(
    bot: OfflineBot,
) -> None:
    ids = await _fill(bot)
    before = await _figures(bot)
    async with bot.services.db.session() as s:
        dry = await privacy.apply_retention(s, POLICY, NOW, dry_run=True)
    assert dry.as_dict() == {"questions": 2, "pseudonyms": 1, "events": 1, "messages": 2}
    async with bot.services.db.session() as s:
        assert (await s.get(Trajectory, ids["old"])).pseudonym == "KL-OUD2"  # type: ignore[union-attr]
        done = await privacy.apply_retention(s, POLICY, NOW)
    assert done == dry
    async with bot.services.db.session() as s:
        texts = (
            (await s.execute(select(QuestionLog.text).order_by(QuestionLog.asked_at)))
            .scalars()
            .all()
        )
        assert texts == [
            privacy.ANONYMISED,
            privacy.ANONYMISED,
            "wie betaalt de eerste 8 gesprekken?",
            "wat is IPS?",
        ]
        pseudonyms = {t.id: t.pseudonym for t in (await s.execute(select(Trajectory))).scalars()}
        # ended 2024-09-30 (> 365 days ago): gone; ended 2026-01-06 is younger: kept
        assert pseudonyms == {ids["old"]: None, ids["recent"]: "KL-NIEUW", ids["theirs"]: "AB-12"}
        history = (
            (await s.execute(select(TrajectoryEvent).where(TrajectoryEvent.field == "pseudonym")))
            .scalars()
            .all()
        )
        assert [(e.old, e.new) for e in history] == [(None, None)]
        messages = (
            (await s.execute(select(Delivery.text).order_by(Delivery.updated_at))).scalars().all()
        )
        assert messages[:2] == [None, None] and messages[2] is not None
    assert await _figures(bot) == before
    async with bot.services.db.session() as s:  # nothing left to do the second time
        again = await privacy.apply_retention(s, POLICY, NOW)
    assert again.as_dict() == {"questions": 0, "pseudonyms": 0, "events": 0, "messages": 0}


async def test_forget_removes_a_person_and_keeps_the_figures(
    bot: OfflineBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = await _fill(bot)
    before = await _figures(bot)
    monkeypatch.setenv("DATABASE_URL", bot.services.settings.db_url)
    result = await _cli(["users", "forget", str(COACH), "--json"])
    assert result.exit_code == 0, result.output
    assert '"questions": 2' in result.output and '"pseudonyms": 2' in result.output
    assert '"forms": 2' in result.output
    async with bot.services.db.session() as s:
        coach = await s.get(User, ids["coach"])
        assert coach is not None
        assert (coach.first_name, coach.last_name, coach.username, coach.role) == (None,) * 4
        assert coach.telegram_id != COACH and not coach.active
        assert await s.scalar(select(func.count(User.id)).where(User.telegram_id == COACH)) == 0
        assert (
            await s.scalar(select(func.count(Delivery.id)).where(Delivery.chat_id == COACH)) == 0
        )
        assert (
            await s.scalar(
                select(func.count(BotState.key)).where(BotState.key.contains(str(COACH)))
            )
            == 0
        )
        theirs = (
            (await s.execute(select(QuestionLog.text).where(QuestionLog.user_id == ids["coach"])))
            .scalars()
            .all()
        )
        assert theirs == [privacy.ANONYMISED] * 2
        mine = {
            t.pseudonym
            for t in (
                await s.execute(select(Trajectory).where(Trajectory.coach_id == ids["coach"]))
            ).scalars()
        }
        assert mine == {None}
        other = (
            await s.execute(select(Trajectory).where(Trajectory.id == ids["theirs"]))
        ).scalar_one()
        assert other.pseudonym == "AB-12"  # someone else's data is untouched
        kept = (
            (await s.execute(select(QuestionLog.text).where(QuestionLog.user_id != ids["coach"])))
            .scalars()
            .all()
        )
        assert privacy.ANONYMISED not in kept
    assert await _figures(bot) == before
    # they may come back: then they are someone new, without a role
    chat = bot.chat(COACH)
    await chat.send("/ik")
    async with bot.services.db.session() as s:
        new = (await s.execute(select(User).where(User.telegram_id == COACH))).scalar_one()
        assert new.id != ids["coach"] and new.role is None
    unknown = await _cli(["users", "forget", "123456789"])
    assert unknown.exit_code == 2 and "no user" in unknown.output


async def test_forget_clears_their_chat_from_announcements_they_wrote(bot: OfflineBot) -> None:
    """An announcement's progress message went to its author's chat: after `forget` no row
    holds their Telegram id; the text they wrote for others stays, without their name."""
    await give_role(bot, COACH, "programma", None)
    async with bot.services.db.session() as s:
        author = (await s.execute(select(User).where(User.telegram_id == COACH))).scalar_one()
        s.add(
            Announcement(
                kind="announcement", text="Nieuwe factsheet staat online.", status="done",
                created_by=author.id, created_at=NOW, progress_chat_id=COACH,
                progress_message_id=12,
            )
        )  # fmt: skip
        await s.commit()
        await privacy.forget_user(s, COACH)
    async with bot.services.db.session() as s:
        ann = (await s.execute(select(Announcement))).scalar_one()
        assert (ann.progress_chat_id, ann.progress_message_id) == (None, None)
        assert ann.text == "Nieuwe factsheet staat online."
        kept = await s.get(User, ann.created_by)
        assert kept is not None and kept.telegram_id != COACH and kept.first_name is None


async def test_retention_runs_every_night_and_from_the_cli(
    bot: OfflineBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    jobs = bot.app.job_queue.get_jobs_by_name("retention")  # type: ignore[union-attr]
    assert len(jobs) == 1
    nxt = jobs[0].next_t
    assert nxt is not None and (
        nxt.astimezone(TIMEZONE).hour,
        nxt.astimezone(TIMEZONE).minute,
    ) == (3, 30)
    await _fill(bot)
    monkeypatch.setenv("DATABASE_URL", bot.services.settings.db_url)
    dry = await _cli(["db", "retention", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "question texts would be anonymised:" in dry.output
    done = await _cli(["db", "retention", "--json"])
    assert done.exit_code == 0 and '"dry_run": false' in done.output
