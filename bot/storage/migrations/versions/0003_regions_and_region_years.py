"""regions and region years

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 18:55:13.734306
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "regions",
        sa.Column("code", sa.String(length=4), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("centrumgemeente", sa.String(length=80), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "region_years",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=4), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("division", sa.String(length=32), nullable=True),
        sa.Column("target", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["region_code"],
            ["regions.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("region_code", "year", name="uq_region_years_region_year"),
    )


def downgrade() -> None:

    op.drop_table("region_years")
    op.drop_table("regions")
