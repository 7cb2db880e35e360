"""demo flags and persisted bot state

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 19:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("users", "region_years", "trajectories")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column("demo", sa.Boolean(), server_default=sa.false(), nullable=False)
            )
    op.create_table(
        "bot_state",
        sa.Column("kind", sa.String(length=48), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kind", "key"),
    )


def downgrade() -> None:
    op.drop_table("bot_state")
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("demo")
