"""Two instances starting together on one PostgreSQL database migrate one after the other
(an advisory lock in the migration environment): both succeed and the database is at head.
(SQLite is one file on one machine: instances are not started side by side there.)"""

from __future__ import annotations

import asyncio
import sys

from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.db import head_revision
from bot.storage.models import Base
from tests.support.pg import PostgresCluster


async def test_two_processes_migrate_an_empty_database_at_the_same_moment(
    postgres: PostgresCluster,
) -> None:
    url = postgres.empty_database()
    code = "import sys; from bot.storage.db import upgrade; upgrade(sys.argv[1])"
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", code, url, stderr=asyncio.subprocess.PIPE
        )
        for _ in range(2)
    ]
    for proc in procs:
        _, err = await proc.communicate()
        assert proc.returncode == 0, err.decode()[-2000:]
    engine = create_async_engine(url)
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        result = await conn.exec_driver_sql("SELECT version_num FROM alembic_version")
        version = [tuple(row) for row in result.all()]
    await engine.dispose()
    assert tables == set(Base.metadata.tables) | {"alembic_version"}
    assert version == [(head_revision(),)]
