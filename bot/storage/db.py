"""Engine, session factory and migrations."""

from __future__ import annotations

import asyncio
import functools
import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, event, inspect, make_url, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.util import await_only

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig
    from alembic.script import ScriptDirectory

log = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=5000")
    # WAL + NORMAL: no corruption on a crash, at most the last commits lost on power loss
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


class WriterQueue:
    """SQLite: one writing transaction at a time in this process, first come first served.

    SQLite has one writer at a time. Left to itself, a connection that finds the write lock
    taken sleeps and polls (busy_timeout); under load a waiting writer can keep missing the
    lock until it fails with "database is locked" (benchmarks/load.py: 3 of ~6,600 updates
    with 50 people at once). Here a connection's first INSERT/UPDATE/DELETE waits in an
    asyncio queue (fair, no polling) and the turn passes on at its commit or rollback. The
    wait happens inside SQLAlchemy's greenlet (`await_only`), so every write is covered:
    Core statements, ORM flushes and autoflushes alike. Only this process's connections
    queue; another process (a CLI command) still meets SQLite's own lock and busy timeout,
    and a turn not given within WAIT seconds (a session opened while another one of the
    same task holds the turn) falls back to that too.
    """

    WAIT = 10.0
    KEY = "hoofdzaak_writer"
    _DML = ("INSERT", "UPDATE", "DELETE", "REPLACE")

    def __init__(self) -> None:
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    def attach(self, engine: AsyncEngine) -> None:
        sync = engine.sync_engine
        event.listen(sync, "before_cursor_execute", self._before_execute)
        event.listen(sync, "commit", self._end)
        event.listen(sync, "rollback", self._end)
        event.listen(sync.pool, "reset", self._reset)
        event.listen(sync.pool, "close", self._close)

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            self._locks = {lp: lk for lp, lk in self._locks.items() if not lp.is_closed()}
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    async def _acquire(self) -> asyncio.Lock | None:
        lock = self._lock()
        try:
            async with asyncio.timeout(self.WAIT):
                await lock.acquire()
        except TimeoutError:
            log.warning(
                "sqlite: no write turn within %.0f s; relying on the busy timeout", self.WAIT
            )
            return None
        return lock

    def _before_execute(self, conn: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        info = conn.info
        if self.KEY in info or not statement.lstrip()[:7].upper().startswith(self._DML):
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # plain sync use (no event loop): SQLite's own locking
            return
        info[self.KEY] = await_only(self._acquire())

    def _release(self, info: dict[Any, Any]) -> None:
        lock = info.pop(self.KEY, None)
        if lock is not None and lock.locked():
            lock.release()

    def _end(self, conn: Connection) -> None:
        self._release(conn.info)

    def _reset(
        self, dbapi_connection: Any, connection_record: ConnectionPoolEntry, reset_state: Any
    ) -> None:
        self._release(connection_record.info)

    def _close(self, dbapi_connection: Any, connection_record: ConnectionPoolEntry) -> None:
        self._release(connection_record.info)


class DatabaseUnavailable(Exception):
    """The database cannot be reached; the message is one line, without the password."""


class SchemaTooNew(Exception):
    """The database was migrated by a newer version of the bot than this one."""


class Database:
    """Owns the async engine; `session()` opens one session (one per update)."""

    def __init__(self, url: str, **engine_options: Any) -> None:
        """`engine_options` go to SQLAlchemy's `create_async_engine` (e.g. the pool's size).

        Statement parameters are hidden from errors (`hide_parameters`): a failed write must
        not put a question's text or a person's name into the log (docs/privacy.md)."""
        self.url = url
        # SQLite lets one connection write at a time; PostgreSQL many
        self.single_writer = url.startswith("sqlite")
        options: dict[str, Any] = {"pool_pre_ping": True, "hide_parameters": True}
        self.engine: AsyncEngine = create_async_engine(url, **{**options, **engine_options})
        if self.single_writer:
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
            WriterQueue().attach(self.engine)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._upgraded = False
        self._upgrade_lock = asyncio.Lock()

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            yield session

    async def upgrade(self) -> None:
        """Apply the Alembic migrations up to head (in a thread: Alembic is blocking); once."""
        async with self._upgrade_lock:
            if not self._upgraded:
                found, head = await self.revisions()
                if found != head:  # already at head: no need to start Alembic at all
                    await asyncio.to_thread(upgrade, self.url)
                self._upgraded = True

    async def ping(self, limit: float = 10.0) -> None:
        """Connect and run SELECT 1, or raise DatabaseUnavailable saying where and why."""
        where = make_url(self.url).render_as_string(hide_password=True)
        try:
            async with asyncio.timeout(limit), self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        except TimeoutError:
            raise DatabaseUnavailable(f"no answer from {where} within {limit:g} s") from None
        except (OSError, SQLAlchemyError) as exc:
            reason = getattr(exc, "orig", None) or exc
            first = str(reason).strip().splitlines()[0] if str(reason).strip() else ""
            raise DatabaseUnavailable(
                f"cannot connect to {where}: {type(reason).__name__}: {first}".rstrip(": ")
            ) from None

    async def revisions(self) -> tuple[str | None, str]:
        """The database's migration revision (None: empty) and this version's head."""

        def current(conn: Connection) -> str | None:
            # what Alembic's MigrationContext reads, without importing Alembic (a read-only
            # command checks this on every start)
            if not inspect(conn).has_table("alembic_version"):
                return None
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
            return None if row is None else str(row[0])

        async with self.engine.connect() as conn:
            found = await conn.run_sync(current)
        return found, head_revision()

    async def check_schema(self) -> None:
        """Raise SchemaTooNew when the database is at a revision this version does not know
        (a newer version migrated it): starting would fail deep inside Alembic."""
        found, head = await self.revisions()
        if found is not None and found not in known_revisions():
            raise SchemaTooNew(
                f"the database is at migration {found}, which this version of the bot does "
                f"not know (its newest is {head}): install the newer version again, or "
                "restore the backup taken before the upgrade (docs/deploy.md, Upgrades)"
            )

    async def dispose(self) -> None:
        await self.engine.dispose()


async def take_turn(session: AsyncSession, key: int) -> None:
    """Until this session's transaction ends, every other session that takes the turn with
    the same key waits: on PostgreSQL an advisory lock; on SQLite the write lock itself (one
    writer at a time, and in this process the WriterQueue's turn), taken with a write that
    changes nothing. What the session reads after this nobody else changes meanwhile."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
    else:
        await session.execute(text("UPDATE bot_state SET data = data WHERE 0"))


def alembic_config(url: str) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig  # Alembic only when migrating

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://"))


_REVISION = re.compile(r'^revision = "(\w+)"', re.M)
_DOWN = re.compile(r'^down_revision = (?:"(\w+)"|None)', re.M)


@functools.cache
def _chain() -> dict[str, str | None]:
    """revision → down_revision, read from the migration files (as Alembic does, without
    importing it; tests/storage checks that both agree)."""
    chain: dict[str, str | None] = {}
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        rev, down = _REVISION.search(source), _DOWN.search(source)
        if rev is not None and down is not None:
            chain[rev.group(1)] = down.group(1)
    return chain


def head_revision() -> str:
    chain = _chain()
    downs = set(chain.values())
    heads = [rev for rev in chain if rev not in downs]
    assert len(heads) == 1, heads
    return heads[0]


def known_revisions() -> set[str]:
    return set(_chain())


def alembic_head() -> str | None:
    """Alembic's own answer (for the test that the quick one agrees)."""
    return _scripts().get_current_head()
