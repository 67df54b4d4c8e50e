"""When a bot or staff message reached the customer's channel (`messages.delivered_at`).

A channel that repeats stored replies for a redelivered update (Telegram retries a webhook across
a restart) sends again only what never arrived.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("delivered_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("delivered_at")
