"""Staff desk: staff users and their sessions, who has a handoff, its history, internal notes,
the author of staff messages, and the staff chat's Telegram posts.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_users",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True)),
    )
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("staff_users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_staff_sessions_user_id", "staff_sessions", ["user_id"])
    with op.batch_alter_table("handoff_requests") as batch:
        batch.add_column(sa.Column("assigned_to_id", sa.Integer, sa.ForeignKey(
            "staff_users.id", name="fk_handoff_assigned_to", ondelete="SET NULL")))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("timed_out_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("closed_by_id", sa.Integer, sa.ForeignKey(
            "staff_users.id", name="fk_handoff_closed_by", ondelete="SET NULL")))
    op.create_index("ix_handoff_requests_status", "handoff_requests", ["status"])
    op.create_table(
        "handoff_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("handoff_id", sa.Integer, sa.ForeignKey("handoff_requests.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("staff_user_id", sa.Integer, sa.ForeignKey("staff_users.id", ondelete="SET NULL")),
        sa.Column("to_staff_user_id", sa.Integer, sa.ForeignKey("staff_users.id", ondelete="SET NULL")),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_handoff_events_handoff_id", "handoff_events", ["handoff_id"])
    op.create_table(
        "staff_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("conversation_id", sa.Integer, sa.ForeignKey("conversations.id", ondelete="CASCADE"), nullable=False),
        sa.Column("author_id", sa.Integer, sa.ForeignKey("staff_users.id", ondelete="SET NULL")),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_staff_notes_conversation_id", "staff_notes", ["conversation_id"])
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("staff_user_id", sa.Integer, sa.ForeignKey(
            "staff_users.id", name="fk_messages_staff_user", ondelete="SET NULL")))
    op.create_table(
        "staff_chat_posts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("chat_id", sa.BigInteger, nullable=False),
        sa.Column("message_id", sa.BigInteger, nullable=False),
        sa.Column("handoff_id", sa.Integer, sa.ForeignKey("handoff_requests.id", ondelete="CASCADE"), nullable=False),
        # "announce" is the escalation post with the Claim button; "relay" forwards a customer message.
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("chat_id", "message_id", name="uq_staff_chat_post"),
    )
    op.create_index("ix_staff_chat_posts_handoff_id", "staff_chat_posts", ["handoff_id"])


def downgrade() -> None:
    op.drop_table("staff_chat_posts")
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("staff_user_id")
    op.drop_table("staff_notes")
    op.drop_table("handoff_events")
    op.drop_index("ix_handoff_requests_status", "handoff_requests")
    with op.batch_alter_table("handoff_requests") as batch:
        batch.drop_column("closed_by_id")
        batch.drop_column("timed_out_at")
        batch.drop_column("claimed_at")
        batch.drop_column("assigned_to_id")
    op.drop_table("staff_sessions")
    op.drop_table("staff_users")
