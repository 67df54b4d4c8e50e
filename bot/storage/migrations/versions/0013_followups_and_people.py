"""Proactive follow-ups after a settled complaint, and one person behind several channel identities.

- `followups`: one check-in per recovery case (a unique case id), claimed by a conditional UPDATE
  so several replicas send it once; `followup_optouts`: who said "stop" (never asked again).
- `persons` and `person_identities`: the channel identities (customers rows) that belong to one; `link_tokens` are the one-time tokens
  of "Continue on Telegram"; `person_merges` record a staff merge so it can be undone.

Revision ID: 0013
Revises: 0008 (the lead relinks the chain when merging)
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

MOMENT = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "persons",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", MOMENT, nullable=False),
    )
    # A table of its own, not a column on customers: SQLite would rebuild `customers` to add a
    # foreign key, and dropping it there cascades into every conversation.
    op.create_table(
        "person_identities",
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("person_id", sa.Integer, sa.ForeignKey("persons.id", ondelete="CASCADE"), nullable=False),
        sa.Column("linked_at", MOMENT, nullable=False),
        sa.Column("how", sa.String(20), nullable=False),
    )
    op.create_index("ix_person_identities_person_id", "person_identities", ["person_id"])
    op.create_table(
        "link_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("nonce", sa.String(32), nullable=False, unique=True),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("used_at", MOMENT),
        sa.Column("used_by_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="SET NULL")),
    )
    op.create_table(
        "person_merges",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kept_person_id", sa.Integer, sa.ForeignKey("persons.id", ondelete="CASCADE"), nullable=False),
        sa.Column("merged_person_id", sa.Integer, sa.ForeignKey("persons.id", ondelete="CASCADE"), nullable=False),
        sa.Column("moved_customer_ids", sa.Text, nullable=False),
        sa.Column("staff_user_id", sa.Integer, sa.ForeignKey("staff_users.id", ondelete="SET NULL")),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.Column("undone_at", MOMENT),
    )
    op.create_table(
        "followups",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_id", sa.Integer, sa.ForeignKey("recovery_cases.id", ondelete="CASCADE"), nullable=False),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("due_at", MOMENT, nullable=False),
        sa.Column("claimed_at", MOMENT),
        sa.Column("sent_at", MOMENT),
        sa.Column("conversation_id", sa.Integer, sa.ForeignKey("conversations.id", ondelete="SET NULL")),
        sa.Column("answer", sa.String(10)),
        sa.Column("answered_at", MOMENT),
        sa.Column("survey_id", sa.Integer, sa.ForeignKey("survey_responses.id", ondelete="SET NULL")),
        sa.Column("cancelled_by", sa.String(100)),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.UniqueConstraint("case_id", name="uq_followup_case"),
    )
    op.create_index("ix_followups_status_due", "followups", ["status", "due_at"])
    op.create_index("ix_followups_customer_id", "followups", ["customer_id"])
    op.create_table(
        "followup_optouts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("customer_id", sa.Integer, sa.ForeignKey("customers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", MOMENT, nullable=False),
        sa.UniqueConstraint("customer_id", name="uq_followup_optout_customer"),
    )


def downgrade() -> None:
    op.drop_table("followup_optouts")
    op.drop_index("ix_followups_customer_id", table_name="followups")
    op.drop_index("ix_followups_status_due", table_name="followups")
    op.drop_table("followups")
    op.drop_table("person_merges")
    op.drop_table("link_tokens")
    op.drop_index("ix_person_identities_person_id", table_name="person_identities")
    op.drop_table("person_identities")
    op.drop_table("persons")
