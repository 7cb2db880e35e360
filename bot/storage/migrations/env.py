"""Alembic environment: async engine, batch mode so SQLite can alter tables."""

from __future__ import annotations

import asyncio
from typing import Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from bot.storage.models import Base, UtcDateTime

config = context.config
target_metadata = Base.metadata
MIGRATION_LOCK = 0x485A_4D49  # PostgreSQL advisory lock key while migrating ("HZMI")


def _render_item(type_: str, obj: object, _ctx: AutogenContext) -> str | Literal[False]:
    """Render our UtcDateTime as a plain aware DateTime: migrations don't import bot code."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Instances starting together migrate one after the other: the second waits here
            # until the first has committed, then finds the database at head.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()


async def _run_async() -> None:
    # statement parameters stay out of error messages and logs (docs/privacy.md)
    engine = create_async_engine(
        config.get_main_option("sqlalchemy.url") or "", hide_parameters=True
    )
    async with engine.connect() as connection:
        await connection.run_sync(_run)
    await engine.dispose()


def run_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    asyncio.run(_run_async())
