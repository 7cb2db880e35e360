"""learned_phrasings (questions linked to an entry in the chat) and question_log.triage

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-08 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# The values as they are today (bot/domain.py LearnedStatus).
STATUSES = ("proposed", "confirmed", "exported")


def upgrade() -> None:
    listed = ", ".join(f"'{v}'" for v in STATUSES)
    op.create_table(
        "learned_phrasings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("entry_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column("confirmed_by", sa.Integer(), sa.ForeignKey("users.id", ondelete="SET NULL")),
        sa.Column(
            "question_id", sa.Integer(), sa.ForeignKey("question_log.id", ondelete="SET NULL")
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"status IN ({listed})", name="ck_learned_phrasings_status"),
    )
    op.create_index("ix_learned_phrasings_status", "learned_phrasings", ["status"])
    with op.batch_alter_table("question_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("triage", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("triaged_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("question_log", schema=None) as batch_op:
        batch_op.drop_column("triaged_at")
        batch_op.drop_column("triage")
    op.drop_index("ix_learned_phrasings_status", table_name="learned_phrasings")
    op.drop_table("learned_phrasings")
