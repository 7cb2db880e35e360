"""check log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 18:37:11.295565
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "check_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("check_id", sa.String(length=32), nullable=False),
        sa.Column("outcome", sa.String(length=64), nullable=False),
        sa.Column("verdict", sa.String(length=8), nullable=False),
        sa.Column("region", sa.String(length=8), nullable=True),
        sa.Column("chat_type", sa.String(length=16), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("check_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_check_log_check_finished", ["check_id", "finished_at"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("check_log", schema=None) as batch_op:
        batch_op.drop_index("ix_check_log_check_finished")

    op.drop_table("check_log")
