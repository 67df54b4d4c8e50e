"""Survey responses (CES, NPS, CSAT), offered and answered.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "survey_responses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "conversation_id",
            sa.Integer,
            sa.ForeignKey("conversations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("handled_by", sa.String(100), nullable=False),
        sa.Column("score", sa.Integer),
        sa.Column("answer", sa.String(20)),
        sa.Column("comment", sa.Text),
        sa.Column("comment_polarity", sa.Float),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_survey_responses_conversation_id", "survey_responses", ["conversation_id"])
    op.create_index("ix_survey_responses_customer_id", "survey_responses", ["customer_id"])


def downgrade() -> None:
    op.drop_table("survey_responses")
