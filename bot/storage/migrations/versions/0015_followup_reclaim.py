"""A follow-up left in "sending" by a crash is tried again once: `followups.reclaimed_at` says it
was (a second stale "sending" is given up, for staff to see, rather than tried forever).

Revision ID: 0015
Revises: 0009 (the lead relinks the chain when merging)
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("followups") as batch:
        batch.add_column(sa.Column("reclaimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("followups") as batch:
        batch.drop_column("reclaimed_at")
