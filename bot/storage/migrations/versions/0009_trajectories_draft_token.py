"""trajectories.draft_token: the /registreer draft that made the row (confirming twice is safe)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("trajectories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draft_token", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint("uq_trajectories_draft_token", ["draft_token"])


def downgrade() -> None:
    with op.batch_alter_table("trajectories", schema=None) as batch_op:
        batch_op.drop_constraint("uq_trajectories_draft_token", type_="unique")
        batch_op.drop_column("draft_token")
