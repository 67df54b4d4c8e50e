"""Recovery cases: a complaint (or a detractor score) and how it was settled; handoff timestamps.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "recovery_cases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "conversation_id",
            sa.Integer,
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("category", sa.String(40), nullable=False),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("order_number", sa.String(40)),
        sa.Column("description", sa.Text),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column(
            "compensation_id",
            sa.Integer,
            sa.ForeignKey("compensations.id", ondelete="SET NULL"),
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_recovery_cases_conversation_id", "recovery_cases", ["conversation_id"])
    op.create_index("ix_recovery_cases_customer_id", "recovery_cases", ["customer_id"])
    with op.batch_alter_table("handoff_requests") as batch:
        batch.add_column(sa.Column("closed_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("handoff_requests") as batch:
        batch.drop_column("closed_at")
    op.drop_table("recovery_cases")
