"""trajectories and their events

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 19:16:05.493266
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "trajectories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("region", sa.String(length=4), nullable=False),
        sa.Column("coach_id", sa.Integer(), nullable=True),
        sa.Column("pseudonym", sa.String(length=40), nullable=True),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("target_group", sa.String(length=16), nullable=False),
        sa.Column("initiator", sa.String(length=16), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("benefit", sa.String(length=32), nullable=False),
        sa.Column("treatment", sa.String(length=16), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("placement_date", sa.Date(), nullable=True),
        sa.Column("hours_per_week", sa.Integer(), nullable=True),
        sa.Column("contract", sa.String(length=32), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("end_reason", sa.String(length=32), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["coach_id"], ["users.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(
            ["region"],
            ["regions.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reference"),
    )
    with op.batch_alter_table("trajectories", schema=None) as batch_op:
        batch_op.create_index(
            "ix_trajectories_coach_pseudonym",
            ["coach_id", "pseudonym", "start_date"],
            unique=False,
        )
        batch_op.create_index(
            "ix_trajectories_region_start", ["region", "start_date"], unique=False
        )

    op.create_table(
        "trajectory_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trajectory_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old", sa.String(length=64), nullable=True),
        sa.Column("new", sa.String(length=64), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["trajectory_id"], ["trajectories.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("trajectory_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trajectory_events_trajectory_id"), ["trajectory_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("trajectory_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trajectory_events_trajectory_id"))

    op.drop_table("trajectory_events")
    with op.batch_alter_table("trajectories", schema=None) as batch_op:
        batch_op.drop_index("ix_trajectories_region_start")
        batch_op.drop_index("ix_trajectories_coach_pseudonym")

    op.drop_table("trajectories")
