"""The delivery engine on a virtual clock, through the real transport and the fake Bot API:
pacing (global and per chat), 429, 403, 400, network errors, crash recovery, resend."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from telegram import Bot

from bot.fakeapi import NETWORK, OFFLINE_TOKEN, TIMEOUT, FakeBotAPI
from bot.services.messaging.outcomes import BACKOFF, Counts, Report, Reporter
from bot.services.messaging.pacing import VirtualClock
from bot.services.messaging.sender import Sender, counts, resend_uncertain
from bot.storage.db import Database
from bot.storage.models import Announcement, BotState, Delivery, User
from bot.transport import TelegramTransport

START = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
FIRST_CHAT = 500_001


@dataclass
class Rig:
    db: Database
    api: FakeBotAPI
    clock: VirtualClock

    def sender(
        self,
        rate: float = 10,
        concurrency: int = 4,
        reporter: Reporter | None = None,
        progress_interval: float = 3.0,
    ) -> Sender:
        transport = TelegramTransport(Bot(OFFLINE_TOKEN, request=self.api))
        sender = Sender(
            self.db,
            transport,
            rate=rate,
            concurrency=concurrency,
            clock=self.clock,
            reporter=reporter,
            progress_interval=progress_interval,
        )
        sender.stats.keep_times = True
        return sender

    async def users(self, n: int) -> list[int]:
        async with self.db.session() as session:
            rows = [
                User(
                    telegram_id=FIRST_CHAT + i,
                    first_name=f"U{i}",
                    first_seen=START,
                    last_seen=START,
                    role="coach",
                )
                for i in range(n)
            ]
            session.add_all(rows)
            await session.commit()
            return [u.id for u in rows]

    async def announce(
        self, user_ids: list[int], text: str = "Hallo <b>allemaal</b>", **kw: object
    ) -> int:
        async with self.db.session() as session:
            ann = Announcement(
                text=text, status="sending", created_at=START, started_at=START, **kw
            )
            session.add(ann)
            await session.flush()
            users = (await session.execute(select(User).where(User.id.in_(user_ids)))).scalars()
            session.add_all(
                Delivery(
                    announcement_id=ann.id,
                    user_id=u.id,
                    chat_id=u.telegram_id,
                    status="pending",
                    attempts=0,
                    updated_at=START,
                )
                for u in users
            )
            await session.commit()
            return ann.id

    async def rows(self, ann_id: int) -> list[Delivery]:
        async with self.db.session() as session:
            result = await session.execute(
                select(Delivery).where(Delivery.announcement_id == ann_id).order_by(Delivery.id)
            )
            return list(result.scalars())

    def received(self, chat_id: int) -> int:
        return len(self.api.chat_messages(chat_id))


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'delivery.db'}")
    await db.upgrade()
    yield Rig(db, FakeBotAPI(), VirtualClock(START))
    await db.dispose()


def max_in_window(times: list[float], window: float = 1.0) -> int:
    best = 0
    for i, t in enumerate(times):
        best = max(best, sum(1 for u in times[i:] if u < t + window - 1e-9))
    return best


async def test_global_rate_is_respected_and_reached(rig: Rig) -> None:
    users = await rig.users(100)
    ann = await rig.announce(users)
    sender = rig.sender(rate=10)
    await sender.run_until_done()
    times = [t for t, _ in sender.stats.dispatched]
    assert len(times) == 100 and sender.stats.sent == 100
    assert max_in_window(times) <= 10
    assert times[-1] - times[0] == pytest.approx(9.9, abs=0.05)  # the full budget, no more
    assert [r.status for r in await rig.rows(ann)] == ["sent"] * 100
    async with rig.db.session() as session:
        done = await session.get(Announcement, ann)
    assert done is not None and done.status == "done" and done.finished_at is not None


async def test_one_message_per_second_per_chat(rig: Rig) -> None:
    users = await rig.users(3)
    for _ in range(4):  # four announcements to the same three people
        await rig.announce(users)
    sender = rig.sender(rate=25)
    await sender.run_until_done()
    times: dict[int, list[float]] = {}
    for t, chat in sender.stats.dispatched:
        times.setdefault(chat, []).append(t)
    for chat_times in times.values():
        assert len(chat_times) == 4
        gaps = [b - a for a, b in itertools.pairwise(chat_times)]
        assert min(gaps) >= 1.0 - 1e-9
    for uid in range(3):
        assert rig.received(FIRST_CHAT + uid) == 4


async def test_429_pauses_everything_for_retry_after(rig: Rig) -> None:
    users = await rig.users(20)
    ann = await rig.announce(users)
    rig.api.fail_next("sendMessage", 429, retry_after=7, chat_id=FIRST_CHAT + 5)
    sender = rig.sender(rate=10, concurrency=1)
    await sender.run_until_done()
    times = [t for t, _ in sender.stats.dispatched]
    assert len(times) == 21 and sender.stats.sent == 20 and sender.stats.rate_limited == 1
    assert sender.pacer.paused_total == pytest.approx(7)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert max(gaps) >= 7  # nothing went out during the pause
    assert times[-1] - times[0] == pytest.approx(1.9 + 7, abs=0.15)
    assert all(rig.received(FIRST_CHAT + i) == 1 for i in range(20))
    assert {r.status for r in await rig.rows(ann)} == {"sent"}


async def test_403_marks_blocked_and_inactive_without_retry(rig: Rig) -> None:
    users = await rig.users(5)
    ann = await rig.announce(users)
    rig.api.block(FIRST_CHAT + 2)
    await rig.sender().run_until_done()
    rows = await rig.rows(ann)
    assert [r.status for r in rows] == ["sent", "sent", "blocked", "sent", "sent"]
    assert rows[2].attempts == 1 and "blocked" in (rows[2].last_error or "")
    calls = [c for c in rig.api.sent("sendMessage") if c.params["chat_id"] == FIRST_CHAT + 2]
    assert len(calls) == 1
    async with rig.db.session() as session:
        user = await session.get(User, users[2])
    assert user is not None and not user.active


async def test_400_is_failed_and_recorded(rig: Rig) -> None:
    users = await rig.users(3)
    ann = await rig.announce(users)
    rig.api.fail_next("sendMessage", 400, "Bad Request: chat not found", chat_id=FIRST_CHAT + 1)
    await rig.sender().run_until_done()
    rows = await rig.rows(ann)
    assert [r.status for r in rows] == ["sent", "failed", "sent"]
    assert "chat not found" in (rows[1].last_error or "").lower() and rows[1].attempts == 1
    assert (await counts(rig.db, ann)) == Counts(sent=2, failed=1)


async def test_network_error_is_retried_with_backoff(rig: Rig) -> None:
    users = await rig.users(2)
    ann = await rig.announce(users)
    for _ in range(2):
        rig.api.fail_next("sendMessage", NETWORK, chat_id=FIRST_CHAT)
    sender = rig.sender()
    await sender.run_until_done()
    rows = await rig.rows(ann)
    assert [r.status for r in rows] == ["sent", "sent"]
    assert rows[0].attempts == 3 and rows[1].attempts == 1
    assert rig.received(FIRST_CHAT) == 1
    assert rig.clock.monotonic() >= BACKOFF[0] + BACKOFF[1]


async def test_network_error_gives_up_after_max_attempts(rig: Rig) -> None:
    users = await rig.users(1)
    ann = await rig.announce(users)
    for _ in range(10):
        rig.api.fail_next("sendMessage", NETWORK, chat_id=FIRST_CHAT)
    await rig.sender().run_until_done()
    (row,) = await rig.rows(ann)
    assert (
        row.status == "failed" and row.attempts == 4 and "ConnectError" in (row.last_error or "")
    )


async def test_timeout_after_sending_is_uncertain_and_resend_sends_exactly_those(
    rig: Rig,
) -> None:
    users = await rig.users(6)
    ann = await rig.announce(users)
    rig.api.fail_next("sendMessage", TIMEOUT, chat_id=FIRST_CHAT + 1)
    rig.api.fail_next("sendMessage", TIMEOUT, chat_id=FIRST_CHAT + 4)
    sender = rig.sender()
    await sender.run_until_done()
    rows = await rig.rows(ann)
    assert [r.status for r in rows] == ["sent", "uncertain", "sent", "sent", "uncertain", "sent"]
    assert rig.received(FIRST_CHAT + 1) == 1  # it did arrive: not retried blindly
    rig.api.reset_calls()
    assert await resend_uncertain(rig.db, ann, rig.clock.now()) == 2
    await sender.run_until_done()
    again = sorted(int(c.params["chat_id"]) for c in rig.api.sent("sendMessage"))
    assert again == [FIRST_CHAT + 1, FIRST_CHAT + 4]
    assert {r.status for r in await rig.rows(ann)} == {"sent"}


async def test_rows_left_sending_become_uncertain_at_start(rig: Rig) -> None:
    users = await rig.users(3)
    ann = await rig.announce(users)
    async with rig.db.session() as session:
        row = (
            (await session.execute(select(Delivery).where(Delivery.announcement_id == ann)))
            .scalars()
            .first()
        )
        assert row is not None
        row.status, row.attempts = "sending", 1
        await session.commit()
    sender = rig.sender()
    assert await sender.recover() == 1
    await sender.run_until_done()
    assert [r.status for r in await rig.rows(ann)] == ["uncertain", "sent", "sent"]
    assert rig.received(FIRST_CHAT) == 0


async def test_one_row_per_announcement_and_user(rig: Rig) -> None:
    users = await rig.users(1)
    ann = await rig.announce(users)
    async with rig.db.session() as session:
        session.add(
            Delivery(announcement_id=ann, user_id=users[0], chat_id=FIRST_CHAT, updated_at=START)
        )
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_personal_text_and_buttons_replace_the_announcement_text(rig: Rig) -> None:
    users = await rig.users(2)
    ann = await rig.announce(users, kind="digest", text="")
    async with rig.db.session() as session:
        row = (
            await session.execute(select(Delivery).where(Delivery.user_id == users[0]))
        ).scalar_one()
        row.text = "Jouw week: <b>3</b> trajecten"
        row.reply_markup = '{"inline_keyboard": [[{"text": "Uit", "callback_data": "dg:off"}]]}'
        other = (
            await session.execute(select(Delivery).where(Delivery.user_id == users[1]))
        ).scalar_one()
        other.text = "Jouw week: <b>0</b> trajecten"
        await session.commit()
    await rig.sender().run_until_done()
    (first,) = rig.api.chat_messages(FIRST_CHAT)
    assert first.text == "Jouw week: <b>3</b> trajecten"
    assert first.buttons() == [{"text": "Uit", "callback_data": "dg:off"}]
    assert rig.api.chat_messages(FIRST_CHAT + 1)[0].text.endswith("<b>0</b> trajecten")
    async with rig.db.session() as session:
        done = await session.get(Announcement, ann)
    assert done is not None and done.status == "done"


async def test_local_file_is_uploaded_once_then_sent_by_file_id(rig: Rig, tmp_path: Path) -> None:
    photo = tmp_path / "poster.png"
    photo.write_bytes(b"\x89PNG fake")
    users = await rig.users(5)
    ann = await rig.announce(
        users, text="Kijk <i>hier</i>", media_kind="photo", media_path=str(photo)
    )
    await rig.sender(concurrency=4).run_until_done()
    calls = rig.api.sent("sendPhoto")
    assert len(calls) == 5
    assert sum(1 for c in calls if c.params.get("_files")) == 1
    async with rig.db.session() as session:
        row = await session.get(Announcement, ann)
    assert row is not None and row.media_file_id
    assert all(c.params["photo"] == row.media_file_id for c in calls[1:])
    assert all(rig.api.chat_messages(FIRST_CHAT + i)[0].kind == "photo" for i in range(5))


class _Reporter:
    def progress(self, announcement_id: int, counts: Counts, seconds_left: float) -> Report:
        return Report(f"{announcement_id}: {counts.sent}/{counts.total}, {seconds_left:.0f}s")

    def final(self, announcement_id: int, counts: Counts) -> Report:
        return Report(f"klaar {announcement_id}: {counts.sent}")


async def test_progress_message_is_edited_and_a_final_report_follows(rig: Rig) -> None:
    users = await rig.users(60)
    ann = await rig.announce(users, progress_chat_id=42)
    sender = rig.sender(rate=10, reporter=_Reporter(), progress_interval=3.0)
    await sender.run_until_done()
    progress, final = rig.api.chat_messages(42)
    assert progress.text == f"{ann}: 60/60, 0s" and progress.edits >= 1
    assert final.text == f"klaar {ann}: 60"
    assert len(rig.api.sent("editMessageText")) >= 2


async def test_only_one_sender_per_database(rig: Rig) -> None:
    users = await rig.users(2)
    first, second = rig.sender(), rig.sender()
    await first.start()
    await second.start()
    assert first.lease.held and not second.lease.held
    assert second.lease.holder == first.lease.owner
    ann = await rig.announce(users)
    second.wake()
    first.wake()
    for _ in range(200):
        if {r.status for r in await rig.rows(ann)} == {"sent"}:
            break
        await asyncio.sleep(0.02)
    assert {r.status for r in await rig.rows(ann)} == {"sent"}
    await first.stop()  # releases the lease: the other one takes over at its next look
    later = await rig.announce(users)
    second.wake()
    for _ in range(200):
        if {r.status for r in await rig.rows(later)} == {"sent"}:
            break
        await asyncio.sleep(0.02)
    assert second.lease.held
    assert {r.status for r in await rig.rows(later)} == {"sent"}
    await second.stop()


async def test_a_lease_left_by_a_dead_process_is_taken_over_at_once(rig: Rig) -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import os; print(os.getpid())", stdout=asyncio.subprocess.PIPE
    )
    out, _ = await proc.communicate()
    dead_pid = int(out)
    async with rig.db.session() as session:
        session.add(
            BotState(
                kind="sender",
                key="lease",
                data=json.dumps({"owner": "old", "host": socket.gethostname(), "pid": dead_pid}),
                updated_at=rig.clock.now(),
            )
        )
        await session.commit()
    sender = rig.sender()
    assert await sender.lease.hold()
    busy = rig.sender()  # a live holder (this process) is respected
    assert not await busy.lease.hold()
    await sender.lease.release()
    assert await busy.lease.hold()


async def test_a_lease_left_under_our_own_pid_by_an_earlier_process_is_taken_over(
    rig: Rig,
) -> None:
    """In a container the bot restarted after a kill -9 is pid 1 again: a fresh lease naming
    this host and this pid, written by another process, is the dead one's."""
    async with rig.db.session() as session:
        session.add(
            BotState(
                kind="sender",
                key="lease",
                data=json.dumps(
                    {
                        "owner": "before-the-restart",
                        "host": socket.gethostname(),
                        "pid": os.getpid(),
                        "process": "another-process",
                    }
                ),
                updated_at=rig.clock.now(),
            )
        )
        await session.commit()
    sender = rig.sender()
    assert await sender.lease.hold()
    assert not await rig.sender().lease.hold()  # but a second sender of this process waits


async def test_cancel_while_sending_stops_the_rest(rig: Rig) -> None:
    users = await rig.users(40)
    ann = await rig.announce(users)
    sender = rig.sender(rate=10, concurrency=2)
    real_send = sender.transport.send
    calls = 0

    async def send_then_cancel(message):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 5:
            async with rig.db.session() as session:
                row = await session.get(Announcement, ann)
                assert row is not None
                row.status = "cancelled"
                await session.commit()
        return await real_send(message)

    sender.transport.send = send_then_cancel  # type: ignore[method-assign]
    await sender.run_until_done()
    c = await counts(rig.db, ann)
    assert 5 <= c.sent <= 5 + 2 and c.pending == 40 - c.sent and c.sending == 0


async def test_users_who_became_inactive_are_skipped(rig: Rig) -> None:
    users = await rig.users(3)
    ann = await rig.announce(users)
    async with rig.db.session() as session:
        user = await session.get(User, users[1])
        assert user is not None
        user.active = False  # blocked the bot via another message, or was removed
        await session.commit()
    await rig.sender().run_until_done()
    rows = await rig.rows(ann)
    assert [r.status for r in rows] == ["sent", "failed", "sent"]
    assert rows[1].attempts == 0 and "inactive" in (rows[1].last_error or "")
    assert rig.received(FIRST_CHAT + 1) == 0
