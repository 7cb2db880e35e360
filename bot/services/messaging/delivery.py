"""The delivery engine: sends every pending delivery of every `sending` announcement.

Never imports telegram. It talks to a `Transport` (bot/transport.py adapts telegram.Bot) and
sees only its own outcome types: `Sent`, or one of `RateLimited` (429), `Blocked` (403),
`Rejected` (400), `NotSent` (a connection error before the request went out: safe to retry)
and `MaybeSent` (a timeout after it went out: it may have arrived, never retried blindly).

Pacing is the engine's own (`Pacer`): a global budget of `rate` sends per second, at most one
send per chat per second, and a pause of everything for a 429's retry_after. Time comes from
an injectable `Clock`, so tests and the benchmark measure rates on a virtual clock.

Crash safety, per delivery row:

    pending ──claim (status sending, attempts+1, committed)──▶ API call ──▶ sent + message_id
                                                                       ╰──▶ failed | blocked |
                                                                            pending (retry) |
                                                                            uncertain

At start-up `recover()` turns rows still `sending` (in flight when the process died) into
`uncertain`: they may or may not have arrived, and are only sent again on request
(`resend_uncertain`). At most `concurrency` rows are in flight at any moment, so at most that
many can become uncertain per crash. Nobody gets a message twice: only `pending` rows are
claimed, with a conditional update.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import CursorResult, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.storage.db import Database
from bot.storage.models import Announcement, BotState, Delivery, User

log = logging.getLogger(__name__)

PENDING, SENDING, SENT = "pending", "sending", "sent"
FAILED, BLOCKED, UNCERTAIN = "failed", "blocked", "uncertain"
STATUSES = (PENDING, SENDING, SENT, FAILED, BLOCKED, UNCERTAIN)
MAX_ATTEMPTS = 4  # network errors before a delivery counts as failed
BACKOFF = (2.0, 8.0, 30.0)  # seconds to wait after the 1st, 2nd, 3rd network error
PER_CHAT_INTERVAL = 1.0  # Telegram: about one message per second per chat
BATCH = 200  # pending rows read per query
INACTIVE = "not sent: the user became inactive (blocked the bot, set inactive or removed)"


# -- what goes out and what comes back ---------------------------------------------------------


@dataclass(frozen=True)
class Outgoing:
    """One message to one chat: text (Telegram HTML) or a photo/document with a caption."""

    chat_id: int
    text: str
    reply_markup: dict[str, Any] | None = (
        None  # {"inline_keyboard": [[{"text", "callback_data"}]]}
    )
    media_kind: str | None = None  # photo | document
    media_file_id: str | None = None  # Telegram's id of a file it already has
    media_path: str | None = None  # a local file, uploaded when there is no file id yet


@dataclass(frozen=True)
class Sent:
    message_id: int
    file_id: str | None = None  # the id Telegram gave an uploaded file


class TransportError(Exception):
    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class RateLimited(TransportError):
    """429: nothing may be sent for `retry_after` seconds. The message was not sent."""

    def __init__(self, description: str, retry_after: float) -> None:
        super().__init__(description)
        self.retry_after = retry_after


class Blocked(TransportError):
    """403: the user blocked the bot (or deleted their account)."""


class Rejected(TransportError):
    """400: Telegram refused this message; sending it again would not help."""


class NotSent(TransportError):
    """The request never reached Telegram (connection refused, pool timeout): retry later."""


class MaybeSent(TransportError):
    """The request went out but no answer came (read timeout): it may have arrived."""


class Transport(Protocol):
    async def open(self) -> None: ...

    async def close(self) -> None: ...

    async def send(self, message: Outgoing) -> Sent: ...

    async def edit(
        self, chat_id: int, message_id: int, text: str, reply_markup: dict[str, Any] | None
    ) -> None: ...


# -- time --------------------------------------------------------------------------------------


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def now(self) -> datetime: ...

    async def sleep(self, seconds: float) -> None: ...


class RealClock:
    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now

    def monotonic(self) -> float:
        return time.monotonic()

    def now(self) -> datetime:
        return self._now()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class VirtualClock:
    """Time that passes only when someone sleeps: rates measured without waiting."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self.t = 0.0

    def monotonic(self) -> float:
        return self.t

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.t)

    async def sleep(self, seconds: float) -> None:
        self.t += max(0.0, seconds)
        await asyncio.sleep(0)


class Pacer:
    """The global budget (`rate` per second), one per chat per second, and 429 pauses."""

    def __init__(self, rate: float, clock: Clock) -> None:
        self.interval = 1.0 / rate
        self.clock = clock
        self._next = -math.inf
        self._chat_free: dict[int, float] = {}
        self.paused_until = -math.inf
        self.paused_total = 0.0  # seconds of imposed 429 pauses (for the benchmark)

    def chat_free_at(self, chat_id: int) -> float:
        return self._chat_free.get(chat_id, -math.inf)

    def pause(self, seconds: float) -> None:
        now = self.clock.monotonic()
        until = now + seconds
        if until > self.paused_until:
            self.paused_total += until - max(now, self.paused_until)
            self.paused_until = until

    async def acquire(self, chat_id: int) -> None:
        while True:
            now = self.clock.monotonic()
            slot = max(now, self._next, self.paused_until, self.chat_free_at(chat_id))
            if slot <= now:
                break
            await self.clock.sleep(slot - now)
        # the schedule moves on by one interval from this slot; a slightly late wake-up (a
        # sleep that overshot by up to a tenth of an interval) is made up by the next slot,
        # a longer idle spell is not (no burst after a pause)
        late = now - self._next
        self._next = (self._next if late <= self.interval / 10 else now) + self.interval
        self._chat_free[chat_id] = now + PER_CHAT_INTERVAL
        if len(self._chat_free) > 10_000:
            self._chat_free = {c: t for c, t in self._chat_free.items() if t > now}


# -- progress ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    pending: int = 0
    sending: int = 0
    sent: int = 0
    failed: int = 0
    blocked: int = 0
    uncertain: int = 0

    @property
    def total(self) -> int:
        return (
            self.pending + self.sending + self.sent + self.failed + self.blocked + self.uncertain
        )

    @property
    def left(self) -> int:
        return self.pending + self.sending

    def as_dict(self) -> dict[str, int]:
        return {s: getattr(self, s) for s in STATUSES} | {"total": self.total}


async def counts(db: Database, announcement_id: int) -> Counts:
    async with db.session() as session:
        rows = await session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.announcement_id == announcement_id)
            .group_by(Delivery.status)
        )
        found = {status: int(n) for status, n in rows.all()}
    return Counts(**{s: found.get(s, 0) for s in STATUSES})


@dataclass(frozen=True)
class Report:
    text: str  # Telegram HTML
    reply_markup: dict[str, Any] | None = None


class Reporter(Protocol):
    """The texts of the progress message and the final report (rendered by a service)."""

    def progress(self, announcement_id: int, counts: Counts, seconds_left: float) -> Report: ...

    def final(self, announcement_id: int, counts: Counts) -> Report: ...


# -- one sender per database --------------------------------------------------------------------

LEASE_TTL = timedelta(seconds=30)  # a lease not renewed for this long is free
LEASE_RENEW = 5.0  # seconds between renewals while sending


# This process, whatever its pid: in a container a restarted bot is pid 1 again, so a lease
# naming our own pid but another process token was left by the previous incarnation.
_PROCESS = uuid.uuid4().hex


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Lease:
    """Only one sender per database: a `bot_state` row (kind `sender`, key `lease`) naming the
    process that sends, renewed while it runs. Another process takes it over when it is
    released, not renewed for LEASE_TTL, or left by a process on this host that is gone (a
    kill -9 followed by a restart resumes at once, in a container too, where the restarted
    bot has the same pid as the one that died)."""

    KIND, KEY = "sender", "lease"

    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self.db = db
        self.now = now
        self.host = socket.gethostname()
        self.owner = f"{self.host}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.held = False
        self.holder: str | None = None  # who has it when we do not

    def _data(self, at: datetime) -> str:
        return json.dumps(
            {
                "owner": self.owner,
                "host": self.host,
                "pid": os.getpid(),
                "process": _PROCESS,
                "at": at.isoformat(),
            }
        )

    def _free(self, data: dict[str, Any], updated_at: datetime, now: datetime) -> bool:
        if now - updated_at > LEASE_TTL:
            return True
        if data.get("host") != self.host:
            return False
        pid = int(data.get("pid") or 0)
        if pid == os.getpid():  # our pid: free unless this very process wrote it
            return data.get("process") != _PROCESS
        return not _alive(pid)

    async def hold(self) -> bool:
        """Take the lease (free, expired, or its process is gone) or renew ours.

        Reading and writing are separate transactions and every write is one conditional
        statement: on SQLite a transaction that reads and then writes while another
        connection has committed fails at once with "database is locked" (a stale WAL
        snapshot), whatever the busy timeout."""
        now = self.now()
        async with self.db.session() as session:
            row = await session.get(BotState, (self.KIND, self.KEY))
            seen = None if row is None else (row.data, row.updated_at)
        if seen is None:
            async with self.db.session() as session:
                session.add(
                    BotState(kind=self.KIND, key=self.KEY, data=self._data(now), updated_at=now)
                )
                try:
                    await session.commit()
                except IntegrityError:  # another process was quicker
                    await session.rollback()
                    self.held = False
                    return False
            self.held, self.holder = True, self.owner
            return True
        data = json.loads(seen[0])
        if data.get("owner") != self.owner and not self._free(data, seen[1], now):
            self.held, self.holder = False, str(data.get("owner"))
            return False
        async with self.db.session() as session:
            result = await session.execute(
                update(BotState)
                .where(
                    BotState.kind == self.KIND, BotState.key == self.KEY, BotState.data == seen[0]
                )
                .values(data=self._data(now), updated_at=now)
            )
            await session.commit()
        self.held = _rowcount(result) == 1
        self.holder = self.owner if self.held else None
        return self.held

    async def release(self) -> None:
        if not self.held:
            return
        self.held = False
        owner = json.dumps({"owner": self.owner})[1:-1]  # '"owner": "<ours>"', as _data writes it
        async with self.db.session() as session:
            await session.execute(
                delete(BotState).where(
                    BotState.kind == self.KIND,
                    BotState.key == self.KEY,
                    BotState.data.contains(owner, autoescape=True),
                )
            )
            await session.commit()


# -- the sender --------------------------------------------------------------------------------


@dataclass
class _Job:
    delivery_id: int
    announcement_id: int
    user_id: int
    attempts: int
    message: Outgoing


@dataclass
class _Media:
    text: str
    kind: str | None
    file_id: str | None
    path: str | None

    @property
    def needs_upload(self) -> bool:
        return self.kind is not None and self.file_id is None and self.path is not None


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
            result = await session.execute(
                update(Delivery)
                .where(Delivery.status == SENDING)
                .values(
                    status=UNCERTAIN,
                    last_error="in flight at a restart: may or may not have arrived",
                    updated_at=self.clock.now(),
                )
            )
            await session.commit()
        return _rowcount(result)

    async def activate_due(self) -> int:
        """Scheduled announcements whose time has come start sending."""
        now = self.clock.now()
        async with self.db.session() as session:
            result = await session.execute(
                update(Announcement)
                .where(Announcement.status == "scheduled", Announcement.scheduled_at <= now)
                .values(status="sending", started_at=now)
            )
            await session.commit()
        return _rowcount(result)

    async def _skip_inactive(self) -> None:
        """Pending deliveries to users who became inactive since (blocked the bot, set
        inactive, removed) are not sent: `failed`, with the reason."""
        async with self.db.session() as session:
            await session.execute(
                update(Delivery)
                .where(
                    Delivery.status == PENDING,
                    Delivery.announcement_id.in_(
                        select(Announcement.id).where(Announcement.status == "sending")
                    ),
                    Delivery.user_id.in_(select(User.id).where(User.active.is_(False))),
                )
                .values(status=FAILED, last_error=INACTIVE, updated_at=self.clock.now())
            )
            await session.commit()

    async def _candidates(self) -> list[tuple[int, int, int, int, int, str | None, str | None]]:
        await self._skip_inactive()
        async with self.db.session() as session:
            rows = await session.execute(
                select(
                    Delivery.id,
                    Delivery.announcement_id,
                    Delivery.user_id,
                    Delivery.chat_id,
                    Delivery.attempts,
                    Delivery.text,
                    Delivery.reply_markup,
                )
                .join(Announcement, Announcement.id == Delivery.announcement_id)
                .where(
                    Announcement.status == "sending",
                    Delivery.status == PENDING,
                    or_(Delivery.not_before.is_(None), Delivery.not_before <= self.clock.now()),
                )
                .order_by(Delivery.id)
                .limit(BATCH)
            )
            return [tuple(r) for r in rows.all()]

    async def _media(self, ids: set[int]) -> dict[int, _Media]:
        if not ids:
            return {}
        async with self.db.session() as session:
            rows = await session.execute(
                select(
                    Announcement.id,
                    Announcement.text,
                    Announcement.media_kind,
                    Announcement.media_file_id,
                    Announcement.media_path,
                ).where(Announcement.id.in_(ids))
            )
            return {r[0]: _Media(r[1], r[2], r[3], r[4]) for r in rows.all()}

    async def _claim(self, delivery_id: int) -> bool:
        """pending → sending, attempts + 1, committed before the API call; only while its
        announcement is still `sending` (a cancel stops the rest at once)."""
        sending = select(Announcement.id).where(Announcement.status == "sending")
        async with self.db.session() as session:
            result = await session.execute(
                update(Delivery)
                .where(
                    Delivery.id == delivery_id,
                    Delivery.status == PENDING,
                    Delivery.announcement_id.in_(sending),
                )
                .values(
                    status=SENDING, attempts=Delivery.attempts + 1, updated_at=self.clock.now()
                )
            )
            await session.commit()
        return _rowcount(result) == 1

    async def _record(self, job: _Job, **values: Any) -> None:
        async with self.db.session() as session:
            await session.execute(
                update(Delivery)
                .where(Delivery.id == job.delivery_id)
                .values(updated_at=self.clock.now(), **values)
            )
            if values.get("status") == BLOCKED:
                # inactive until they come back (users.blocked_at); someone the programme
                # team switched off already stays off
                await session.execute(
                    update(User)
                    .where(User.id == job.user_id, User.active.is_(True))
                    .values(active=False, blocked_at=self.clock.now())
                )
            await session.commit()

    async def _next_retry(self) -> float | None:
        """Seconds until the earliest pending row waiting for its backoff, or None."""
        async with self.db.session() as session:
            when = await session.scalar(
                select(func.min(Delivery.not_before))
                .join(Announcement, Announcement.id == Delivery.announcement_id)
                .where(Announcement.status == "sending", Delivery.status == PENDING)
            )
        if when is None:
            return None
        if when.tzinfo is None:  # SQLite's MIN() gives the raw value back
            when = datetime.fromisoformat(str(when)).replace(tzinfo=self.clock.now().tzinfo)
        return max(0.0, (when - self.clock.now()).total_seconds())

    async def _sending(self) -> list[Announcement]:
        async with self.db.session() as session:
            rows = await session.execute(
                select(Announcement).where(Announcement.status == "sending")
            )
            return list(rows.scalars().all())

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
            media = await self._media({r[1] for r in rows})
            dispatched = 0
            chat_wait = math.inf
            for delivery_id, ann_id, user_id, chat_id, attempts, text, markup in rows:
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
                    user_id,
                    attempts + 1,
                    Outgoing(
                        chat_id,
                        text if text is not None else info.text,
                        json.loads(markup) if markup else None,
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
            await self._record(job, status=PENDING, last_error=_short(exc))
        except Blocked as exc:
            await self._record(job, status=BLOCKED, last_error=_short(exc))
        except Rejected as exc:
            await self._record(job, status=FAILED, last_error=_short(exc))
        except NotSent as exc:
            if job.attempts >= MAX_ATTEMPTS:
                await self._record(job, status=FAILED, last_error=_short(exc))
            else:
                wait = BACKOFF[min(job.attempts, len(BACKOFF)) - 1]
                not_before = self.clock.now() + timedelta(seconds=wait)
                await self._record(
                    job, status=PENDING, last_error=_short(exc), not_before=not_before
                )
        except MaybeSent as exc:
            await self._record(job, status=UNCERTAIN, last_error=_short(exc))
        except Exception as exc:  # a bug in a transport: we cannot know whether it arrived
            log.exception("sender: delivery %s", job.delivery_id)
            await self._record(job, status=UNCERTAIN, last_error=_short(exc))
        else:
            now = self.clock.monotonic()
            if self.stats.started is None:
                self.stats.started = now
            self.stats.last_send = now
            self.stats.sent += 1
            await self._record(
                job, status=SENT, message_id=sent.message_id, last_error=None, not_before=None
            )
            if sent.file_id and job.message.media_file_id is None:
                async with self.db.session() as session:
                    await session.execute(
                        update(Announcement)
                        .where(
                            Announcement.id == job.announcement_id,
                            Announcement.media_file_id.is_(None),
                        )
                        .values(media_file_id=sent.file_id)
                    )
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
                    await session.execute(
                        update(Announcement)
                        .where(Announcement.id == ann.id)
                        .values(progress_message_id=sent.message_id)
                    )
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
                result = await session.execute(
                    update(Announcement)
                    .where(
                        Announcement.id == ann.id,
                        Announcement.status == "sending",
                        # in the same statement: rows queued meanwhile (a digest) keep it open
                        ~select(Delivery.id)
                        .where(
                            Delivery.announcement_id == ann.id,
                            Delivery.status.in_((PENDING, SENDING)),
                        )
                        .exists(),
                    )
                    .values(status="done", finished_at=self.clock.now())
                )
                await session.commit()
            if _rowcount(result) != 1:
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


def _rowcount(result: object) -> int:
    return int(result.rowcount) if isinstance(result, CursorResult) else 0


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text[:250]


# -- what announcements and digests share ------------------------------------------------------


async def resend_uncertain(db: Database, announcement_id: int, now: datetime) -> int:
    """The uncertain deliveries of an announcement go out again (and only those)."""
    async with db.session() as session:
        result = await session.execute(
            update(Delivery)
            .where(Delivery.announcement_id == announcement_id, Delivery.status == UNCERTAIN)
            .values(status=PENDING, not_before=None, updated_at=now)
        )
        n = _rowcount(result)
        if n:
            await session.execute(
                update(Announcement)
                .where(
                    Announcement.id == announcement_id,
                    Announcement.status.in_(("done", "sending")),
                )
                .values(status="sending", finished_at=None)
            )
        await session.commit()
    return n
