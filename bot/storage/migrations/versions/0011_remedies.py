"""Remedies before goodwill: the ledger says which rows fix the problem (remedy) and which are a
gesture (goodwill); a recovery case records its remedy and an amount the customer stated.

Revision ID: 0011
Revises: 0006
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("compensations") as batch:
        batch.add_column(sa.Column("purpose", sa.String(10), nullable=False, server_default="goodwill"))
    with op.batch_alter_table("recovery_cases") as batch:
        batch.add_column(sa.Column("remedy", sa.String(30)))
        batch.add_column(sa.Column("remedy_id", sa.Integer))
        batch.add_column(sa.Column("stated_amount_cents", sa.Integer))
        batch.create_foreign_key(
            "fk_recovery_cases_remedy_id", "compensations", ["remedy_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("recovery_cases") as batch:
        batch.drop_constraint("fk_recovery_cases_remedy_id", type_="foreignkey")
        batch.drop_column("stated_amount_cents")
        batch.drop_column("remedy_id")
        batch.drop_column("remedy")
    with op.batch_alter_table("compensations") as batch:
        batch.drop_column("purpose")
