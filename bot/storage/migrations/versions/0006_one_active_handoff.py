"""At most one active handoff request per conversation, held by the database (a partial unique
index, which SQLite and PostgreSQL both support), and the response name on bot messages.

Duplicates that an earlier race may have left are closed first: the oldest active request stays.
Bot messages get `response` (the `utter_...` that produced them), so "not understood" is a query.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

ACTIVE = "('open', 'timed_out', 'claimed')"


def upgrade() -> None:
    op.execute(
        f"""
        UPDATE handoff_requests SET status = 'cancelled', closed_at = created_at
        WHERE status IN {ACTIVE} AND id NOT IN (
            SELECT MIN(id) FROM handoff_requests WHERE status IN {ACTIVE} GROUP BY conversation_id
        )
        """
    )
    op.create_index(
        "uq_handoff_one_active",
        "handoff_requests",
        ["conversation_id"],
        unique=True,
        sqlite_where=sa.text(f"status IN {ACTIVE}"),
        postgresql_where=sa.text(f"status IN {ACTIVE}"),
    )
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("response", sa.String(100)))


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("response")
    op.drop_index("uq_handoff_one_active", table_name="handoff_requests")
