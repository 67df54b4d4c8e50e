"""Crash safety: when a customer message was answered, and who is answering it now.

`answered_at` is set in the transaction that stores a turn's outcome (replies, a holding note, or
the message passed on to staff); a message without it was stored but never answered (the process
died in between). `answering_by`/`answering_since` are a claim on the row: a process sets them
with a conditional UPDATE before answering, so a retry and the start-up recovery never answer one
message twice. `missed_at` marks messages found unanswered too late to answer, for staff.

Existing customer messages count as answered: nothing is known about them.

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0013"
branch_labels = None
depends_on = None

UNANSWERED = "direction = 'customer' AND answered_at IS NULL AND missed_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("answered_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("answering_by", sa.String(64)))
        batch.add_column(sa.Column("answering_since", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("missed_at", sa.DateTime(timezone=True)))
    op.execute("UPDATE messages SET answered_at = created_at WHERE direction = 'customer'")
    # The start-up recovery reads only the few unanswered rows.
    op.create_index(
        "ix_messages_unanswered",
        "messages",
        ["created_at"],
        sqlite_where=sa.text(UNANSWERED),
        postgresql_where=sa.text(UNANSWERED),
    )


def downgrade() -> None:
    op.drop_index("ix_messages_unanswered", table_name="messages")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("missed_at")
        batch.drop_column("answering_since")
        batch.drop_column("answering_by")
        batch.drop_column("answered_at")
