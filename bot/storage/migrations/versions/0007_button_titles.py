"""Customer messages sent by tapping a button keep the button's title, so staff and managers read
what the customer saw ("6", "Very easy") while `text` keeps the payload Rasa parsed.

Existing taps get their title from the buttons of the bot messages just before them.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
import json
import re

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PAYLOAD = re.compile(r"^/\w+(\{.*\})?$", re.DOTALL)
RECENT_BOT_MESSAGES = 5


def _title(payload: str, bot_payloads: list) -> str | None:
    # A frozen copy of bot.storage.titles.tapped_title on purpose: a migration must keep doing what
    # it did when it was written, whatever the application code becomes later.
    for raw in bot_payloads:
        try:
            data = json.loads(raw or "{}")
        except json.JSONDecodeError:
            continue
        buttons = data.get("buttons") if isinstance(data, dict) else None
        for button in buttons if isinstance(buttons, list) else ():
            if isinstance(button, dict) and button.get("payload") == payload and button.get("title"):
                return str(button["title"])[:200]
    return None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(sa.Column("button_title", sa.String(200)))
    bind = op.get_bind()
    taps = bind.execute(
        sa.text("SELECT id, conversation_id, text FROM messages WHERE direction = 'customer' AND text LIKE '/%'")
    ).all()
    earlier = sa.text(
        "SELECT payload FROM messages WHERE conversation_id = :conversation AND direction = 'bot' "
        "AND id < :id AND payload IS NOT NULL ORDER BY id DESC LIMIT :limit"
    )
    for message_id, conversation_id, text in taps:
        if not PAYLOAD.match(text.strip()):
            continue
        payloads = bind.execute(
            earlier, {"conversation": conversation_id, "id": message_id, "limit": RECENT_BOT_MESSAGES}
        ).scalars()
        title = _title(text.strip(), list(payloads))
        if title:
            bind.execute(sa.text("UPDATE messages SET button_title = :title WHERE id = :id"), {"title": title, "id": message_id})


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("button_title")
