"""The delivery engine: sends every pending delivery of every `sending` announcement.

Crash safety, per delivery row:

    pending ──claim (status sending, attempts+1, committed)──▶ API call ──▶ sent + message_id
                                                                       ╰──▶ failed | blocked |
                                                                            pending (retry) |
                                                                            uncertain

At start-up `recover()` turns rows still `sending` (in flight when the process died) into
`uncertain`: they may or may not have arrived, and are only sent again on request
(`resend_uncertain`). At most `concurrency` rows are in flight at any moment, so at most that
many can become uncertain per crash. Nobody gets a message twice: only `pending` rows are
claimed, with a conditional update (bot/storage/deliveries.py). What goes out and comes back
is in outcomes.py, the pace in pacing.py, the one-sender-per-database lease in lease.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.domain import DeliveryStatus
from bot.services.messaging.lease import LEASE_RENEW, Lease
from bot.services.messaging.outcomes import (
    BACKOFF,
    MAX_ATTEMPTS,
    Blocked,
    Counts,
    MaybeSent,
    NotSent,
    Outgoing,
    RateLimited,
    Rejected,
    Reporter,
    Transport,
    TransportError,
)
from bot.services.messaging.pacing import Clock, Pacer
from bot.storage.announcements import AnnouncementMedia, DeliveryRepo, PendingRow
from bot.storage.db import Database
from bot.storage.models import Announcement

log = logging.getLogger(__name__)

BATCH = 200  # pending rows read per query
INACTIVE = "not sent: the user became inactive (blocked the bot, set inactive or removed)"
IN_FLIGHT_AT_RESTART = "in flight at a restart: may or may not have arrived"


async def counts(db: Database, announcement_id: int) -> Counts:
    """How many deliveries of an announcement are in each state."""
    async with db.session() as session:
        return Counts.of(await DeliveryRepo(session).counts(announcement_id))


async def resend_uncertain(db: Database, announcement_id: int, now: datetime) -> int:
    """The uncertain deliveries of an announcement go out again (and only those)."""
    async with db.session() as session:
        n = await DeliveryRepo(session).resend_uncertain(announcement_id, now)
        await session.commit()
    return n


@dataclass
class _Job:
    delivery_id: int
    announcement_id: int
    user_id: int
    attempts: int
    message: Outgoing


@dataclass
class Stats:
    """What this sender did since it was made (the benchmark and the tests read it)."""

    api_calls: int = 0
    rate_limited: int = 0
    sent: int = 0
    started: float | None = None
    last_send: float | None = None
    keep_times: bool = False  # keep `dispatched`: (clock time, chat id) of every send
    dispatched: list[tuple[float, int]] = field(default_factory=list)


class Sender:
    """One per database. `start()` runs it in the background; `wake()` makes it look now."""

    def __init__(
        self,
        db: Database,
        transport: Transport,
        *,
        rate: float,
        concurrency: int,
        clock: Clock,
        reporter: Reporter | None = None,
        poll_interval: float = 3.0,
        progress_interval: float = 3.0,
    ) -> None:
        self.db = db
        self.transport = transport
        self.clock = clock
        self.rate = rate
        self.concurrency = concurrency
        self.reporter = reporter
        self.poll_interval = poll_interval
        self.progress_interval = progress_interval
        self.pacer = Pacer(rate, clock)
        self.stats = Stats()
        self._inflight: set[asyncio.Task[None]] = set()
        self._inflight_chats: set[int] = set()
        self._uploading: set[int] = set()
        self._last_progress: dict[int, tuple[Counts, float]] = {}
        self._next_progress = -math.inf
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._opened = False
        self.lease = Lease(db, clock.now)
        self._use_lease = False  # only the background sender (start) holds the lease
        self._lease_due = -math.inf
        self._waiting = False
        self._stopping = False

    # -- life cycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Run in the background: once it holds the database's lease, recover from a crash
        (sending → uncertain) and send; without the lease it waits for it."""
        if self._task is not None:
            return
        self._stopping = False
        await self.transport.open()
        self._opened = True
        self._use_lease = True
        await self._hold()
        self._task = asyncio.create_task(self._loop(), name="broadcast-sender")

    async def _hold(self) -> bool:
        """Take or renew the lease; the first time it is ours, recover."""
        was = self.lease.held
        if not await self.lease.hold():
            if was or not self._waiting:
                log.warning(
                    "sender: %s sends for this database; this process waits", self.lease.holder
                )
                self._waiting = True
            return False
        self._waiting = False
        self._lease_due = self.clock.monotonic() + LEASE_RENEW
        if not was:
            uncertain = await self.recover()
            if uncertain:
                log.warning(
                    "sender: %d deliveries were in flight at a crash: now uncertain", uncertain
                )
        return True

    def wake(self) -> None:
        """Look for work now (a new announcement, a resend) instead of at the next poll."""
        self._wake.set()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self, grace: float = 10.0) -> None:
        """Stop dispatching, let sends in flight finish (up to `grace` seconds), close.

        The loop is asked to stop and leaves at its next step rather than being cancelled:
        a task cancelled in the middle of a database call can leave its connection in an
        open transaction, holding SQLite's write lock. Rows not yet claimed stay `pending`
        and go out at the next start."""
        task, self._task = self._task, None
        self._stopping = True
        self._wake.set()
        if task is not None:
            _, late_loop = await asyncio.wait({task}, timeout=grace)
            if late_loop:  # stuck waiting (a long 429 pause): cancel it there
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._inflight:
            _, late = await asyncio.wait(set(self._inflight), timeout=grace)
            for t in late:  # left `sending`: uncertain at the next start
                t.cancel()
            if late:
                await asyncio.wait(late)
        if self._use_lease:
            await self.lease.release()
        if self._opened:
            self._opened = False
            await self.transport.close()

    async def _loop(self) -> None:
        while not self._stopping:
            delay: float | None = None
            try:
                if await self._hold():
                    await self.activate_due()
                    delay = await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sender: unexpected error; trying again at the next poll")
            timeout = self.poll_interval if delay is None else min(delay, self.poll_interval)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.05, timeout))
            if not self._stopping:
                self._wake.clear()

    # -- database steps ------------------------------------------------------------------------

    async def recover(self) -> int:
        """Rows left `sending` by a crash become `uncertain`. Returns how many."""
        async with self.db.session() as session:
            n = await DeliveryRepo(session).recover(self.clock.now(), IN_FLIGHT_AT_RESTART)
            await session.commit()
        return n

    async def activate_due(self) -> int:
        """Scheduled announcements whose time has come start sending."""
        async with self.db.session() as session:
            n = await DeliveryRepo(session).activate_due(self.clock.now())
            await session.commit()
        return n

    async def _skip_inactive(self) -> None:
        """Pending deliveries to users who became inactive since (blocked the bot, set
        inactive, removed) are not sent: `failed`, with the reason."""
        async with self.db.session() as session:
            await DeliveryRepo(session).skip_inactive(self.clock.now(), INACTIVE)
            await session.commit()

    async def _candidates(self) -> list[PendingRow]:
        await self._skip_inactive()
        async with self.db.session() as session:
            return await DeliveryRepo(session).pending(self.clock.now(), BATCH)

    async def _media(self, ids: set[int]) -> dict[int, AnnouncementMedia]:
        async with self.db.session() as session:
            return await DeliveryRepo(session).media(ids)

    async def _claim(self, delivery_id: int) -> bool:
        """pending → sending, attempts + 1, committed before the API call; only while its
        announcement is still `sending` (a cancel stops the rest at once)."""
        async with self.db.session() as session:
            claimed = await DeliveryRepo(session).claim(delivery_id, self.clock.now())
            await session.commit()
        return claimed

    async def _record(self, job: _Job, **values: Any) -> None:
        async with self.db.session() as session:
            await DeliveryRepo(session).record(
                job.delivery_id, job.user_id, self.clock.now(), **values
            )
            await session.commit()

    async def _next_retry(self) -> float | None:
        """Seconds until the earliest pending row waiting for its backoff, or None."""
        now = self.clock.now()
        async with self.db.session() as session:
            when = await DeliveryRepo(session).next_retry(now.tzinfo)
        return None if when is None else max(0.0, (when - now).total_seconds())

    async def _sending(self) -> list[Announcement]:
        async with self.db.session() as session:
            return await DeliveryRepo(session).sending()

    # -- sending -------------------------------------------------------------------------------

    async def drain(self) -> float | None:
        """Send everything that can be sent now. Returns the seconds until a delivery waiting
        for its backoff is due (None: nothing is waiting); finished announcements are closed."""
        while not self._stopping:
            renew = self._use_lease and self.clock.monotonic() >= self._lease_due
            if renew and not await self._hold():  # another process took over: stop sending
                return None
            await self._progress_tick()
            rows = await self._candidates()
            media = await self._media({r.announcement_id for r in rows})
            dispatched = 0
            chat_wait = math.inf
            for row in rows:
                delivery_id, ann_id, chat_id = row.delivery_id, row.announcement_id, row.chat_id
                now = self.clock.monotonic()
                free = self.pacer.chat_free_at(chat_id)
                if chat_id in self._inflight_chats:
                    continue
                if free > now:
                    chat_wait = min(chat_wait, free - now)
                    continue
                info = media[ann_id]
                if ann_id in self._uploading:
                    continue
                while len(self._inflight) >= self.concurrency:
                    await asyncio.wait(set(self._inflight), return_when=asyncio.FIRST_COMPLETED)
                if self._stopping:
                    return None
                renew = self._use_lease and self.clock.monotonic() >= self._lease_due
                if renew and not await self._hold():
                    return None
                await self.pacer.acquire(chat_id)
                if self._stopping:
                    return None
                if not await self._claim(delivery_id):
                    continue
                if self.stats.keep_times:
                    self.stats.dispatched.append((self.clock.monotonic(), chat_id))
                job = _Job(
                    delivery_id,
                    ann_id,
                    row.user_id,
                    row.attempts + 1,
                    Outgoing(
                        chat_id,
                        row.text if row.text is not None else info.text,
                        json.loads(row.reply_markup) if row.reply_markup else None,
                        info.kind,
                        info.file_id,
                        info.path,
                    ),
                )
                self._spawn(job, upload=info.needs_upload)
                dispatched += 1
                if info.needs_upload:
                    break  # the others wait for Telegram's file id (read again next round)
                if self.clock.monotonic() >= self._next_progress:
                    await self._progress_tick()
            if dispatched:
                continue
            if self._inflight:
                await asyncio.wait(set(self._inflight), return_when=asyncio.FIRST_COMPLETED)
                continue
            if chat_wait < math.inf:
                await self.clock.sleep(chat_wait)
                continue
            await self._finish()
            return await self._next_retry()
        return None

    async def run_until_done(self) -> None:
        """Drain, waiting out backoffs on the clock, until nothing is left (tests, benchmark)."""
        while True:
            await self.activate_due()
            delay = await self.drain()
            if delay is None:
                return
            await self.clock.sleep(delay)

    def _spawn(self, job: _Job, upload: bool) -> None:
        chat_id = job.message.chat_id
        self._inflight_chats.add(chat_id)
        if upload:
            self._uploading.add(job.announcement_id)
        task = asyncio.create_task(self._deliver(job), name=f"delivery-{job.delivery_id}")
        self._inflight.add(task)

        def done(t: asyncio.Task[None]) -> None:
            self._inflight.discard(t)
            self._inflight_chats.discard(chat_id)
            self._uploading.discard(job.announcement_id)

        task.add_done_callback(done)

    async def _deliver(self, job: _Job) -> None:
        self.stats.api_calls += 1
        try:
            sent = await self.transport.send(job.message)
        except RateLimited as exc:
            self.stats.rate_limited += 1
            self.pacer.pause(exc.retry_after)
            await self._record(job, status=DeliveryStatus.PENDING, last_error=_short(exc))
        except Blocked as exc:
            await self._record(job, status=DeliveryStatus.BLOCKED, last_error=_short(exc))
        except Rejected as exc:
            await self._record(job, status=DeliveryStatus.FAILED, last_error=_short(exc))
        except NotSent as exc:
            if job.attempts >= MAX_ATTEMPTS:
                await self._record(job, status=DeliveryStatus.FAILED, last_error=_short(exc))
            else:
                wait = BACKOFF[min(job.attempts, len(BACKOFF)) - 1]
                not_before = self.clock.now() + timedelta(seconds=wait)
                await self._record(
                    job,
                    status=DeliveryStatus.PENDING,
                    last_error=_short(exc),
                    not_before=not_before,
                )
        except MaybeSent as exc:
            await self._record(job, status=DeliveryStatus.UNCERTAIN, last_error=_short(exc))
        except Exception as exc:  # a bug in a transport: we cannot know whether it arrived
            log.exception("sender: delivery %s", job.delivery_id)
            await self._record(job, status=DeliveryStatus.UNCERTAIN, last_error=_short(exc))
        else:
            now = self.clock.monotonic()
            if self.stats.started is None:
                self.stats.started = now
            self.stats.last_send = now
            self.stats.sent += 1
            await self._record(
                job,
                status=DeliveryStatus.SENT,
                message_id=sent.message_id,
                last_error=None,
                not_before=None,
            )
            if sent.file_id and job.message.media_file_id is None:
                async with self.db.session() as session:
                    await DeliveryRepo(session).set_file_id(job.announcement_id, sent.file_id)
                    await session.commit()

    # -- progress and the final report ---------------------------------------------------------

    async def _progress_tick(self) -> None:
        """Every `progress_interval`: edit the progress messages; a new announcement gets its
        progress message at once."""
        if self.reporter is None:
            return
        now = self.clock.monotonic()
        due = now >= self._next_progress
        if due:
            self._next_progress = now + self.progress_interval
        for ann in await self._sending():
            if ann.progress_chat_id is None or not (due or ann.progress_message_id is None):
                continue
            c = await counts(self.db, ann.id)
            last = self._last_progress.get(ann.id)
            if last is not None and last[0] == c:
                continue
            await self._show_progress(ann, c)

    async def _show_progress(self, ann: Announcement, c: Counts) -> None:
        if self.reporter is None or ann.progress_chat_id is None:
            return
        report = self.reporter.progress(ann.id, c, c.left / self.rate)
        chat_id = int(ann.progress_chat_id)
        await self.pacer.acquire(chat_id)
        self.stats.api_calls += 1
        try:
            if ann.progress_message_id is None:
                sent = await self.transport.send(
                    Outgoing(chat_id, report.text, report.reply_markup)
                )
                async with self.db.session() as session:
                    await DeliveryRepo(session).set_progress_message(ann.id, sent.message_id)
                    await session.commit()
                ann.progress_message_id = sent.message_id
            else:
                await self.transport.edit(
                    chat_id, int(ann.progress_message_id), report.text, report.reply_markup
                )
        except RateLimited as exc:
            self.pacer.pause(exc.retry_after)
            return
        except TransportError as exc:  # e.g. "message is not modified", the author blocked us
            log.info("sender: progress of announcement %s: %s", ann.id, exc.description)
        self._last_progress[ann.id] = (c, self.clock.monotonic())

    async def _finish(self) -> None:
        """Announcements with nothing pending or in flight are done: final report."""
        for ann in await self._sending():
            c = await counts(self.db, ann.id)
            if c.left:
                continue
            async with self.db.session() as session:
                finished = await DeliveryRepo(session).finish(ann.id, self.clock.now())
                await session.commit()
            if not finished:
                continue
            log.info("sender: announcement %s done: %s", ann.id, c.as_dict())
            self._last_progress.pop(ann.id, None)
            if self.reporter is None or ann.progress_chat_id is None:
                continue
            await self._show_progress(ann, c)
            final = self.reporter.final(ann.id, c)
            chat_id = int(ann.progress_chat_id)
            await self.pacer.acquire(chat_id)
            try:
                await self.transport.send(Outgoing(chat_id, final.text, final.reply_markup))
            except TransportError as exc:
                log.info("sender: final report of %s: %s", ann.id, exc.description)


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text[:250]
