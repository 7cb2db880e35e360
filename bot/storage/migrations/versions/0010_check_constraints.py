"""check constraints: roles, trajectory, announcement and delivery statuses (bot/domain.py)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 23:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# The values as they are today; a later change of bot/domain.py ships its own migration.
ROLES = ("coach", "regio", "programma")
CHECKS = (
    ("users", "role", ROLES),
    ("invites", "role", ROLES),
    ("trajectories", "status", ("lopend", "geplaatst", "beeindigd")),
    ("announcements", "kind", ("announcement", "digest")),
    ("announcements", "status", ("draft", "scheduled", "sending", "done", "cancelled")),
    ("deliveries", "status", ("pending", "sending", "sent", "failed", "blocked", "uncertain")),
)


def upgrade() -> None:
    for table in dict.fromkeys(t for t, _, _ in CHECKS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for _, column, allowed in (c for c in CHECKS if c[0] == table):
                listed = ", ".join(f"'{v}'" for v in allowed)
                batch_op.create_check_constraint(f"ck_{table}_{column}", f"{column} IN ({listed})")


def downgrade() -> None:
    for table in reversed(list(dict.fromkeys(t for t, _, _ in CHECKS))):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for _, column, _ in (c for c in CHECKS if c[0] == table):
                batch_op.drop_constraint(f"ck_{table}_{column}", type_="check")
