"""The audit log of staff actions on customer data, and customers' privacy requests.

Revision ID: 0012
Revises: 0006 (the lead relinks the chain)
Create Date: 2026-12-02
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column(
            "staff_user_id",
            sa.Integer,
            sa.ForeignKey("staff_users.id", name="fk_audit_staff_user", ondelete="SET NULL"),
        ),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(100), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"])
    op.create_table(
        "privacy_requests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("conversation_id", sa.Integer, sa.ForeignKey("conversations.id", ondelete="SET NULL")),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_by", sa.String(100)),
        sa.Column("handled_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_privacy_requests_customer_id", "privacy_requests", ["customer_id"])


def downgrade() -> None:
    op.drop_index("ix_privacy_requests_customer_id", "privacy_requests")
    op.drop_table("privacy_requests")
    op.drop_index("ix_audit_log_at", "audit_log")
    op.drop_table("audit_log")
