"""The statements every customer message runs, built once.

SQLAlchemy reuses a statement object's cache key and compiled form; building the same select or
update again for each message costs more CPU than SQLite's own work on it. Values travel as
bind parameters. Inserts and updates here are Core statements, not the ORM's unit of work (a
flush costs several times the statement itself); `update_row` keeps a row this session already
loaded in step with its update.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import Update

from bot.storage.models import Conversation, Customer, Direction, Message

CUSTOMER_AND_OPEN = (
    select(Customer, Conversation)
    .outerjoin(Conversation, and_(Conversation.customer_id == Customer.id, Conversation.ended_at.is_(None)))
    .where(Customer.channel == bindparam("channel"), Customer.external_id == bindparam("sender_id"))
    .order_by(Conversation.id.desc())
    .limit(1)
)
DUPLICATE = (
    select(Message)
    .join(Conversation, Message.conversation_id == Conversation.id)
    .where(
        Conversation.customer_id == bindparam("customer_id"),
        Message.external_id == bindparam("external_id"),
        Message.direction == Direction.CUSTOMER.value,
    )
)
LANGUAGE = (
    select(Customer.locale)
    .join(Conversation, Conversation.customer_id == Customer.id)
    .where(Conversation.id == bindparam("conversation_id"))
)
_CONVERSATION_AND_CUSTOMER = (
    select(Conversation, Customer)
    .join(Customer, Conversation.customer_id == Customer.id)
    .where(Conversation.id == bindparam("conversation_id"))
)
INSERT_MESSAGE = Message.__table__.insert()
_UPDATE_ROW: dict[type, Update] = {}


def update_row(session: Session, row: Any, **values: Any) -> None:
    """Core UPDATE of one row by id: `row` is a loaded object, or (its class, its id). The object,
    when this session holds it, gets the same values (as stored, not as changes to flush)."""
    entity, ident = row if isinstance(row, tuple) else (type(row), row.id)
    statement = _UPDATE_ROW.get(entity)
    if statement is None:
        table = entity.__table__
        statement = _UPDATE_ROW[entity] = table.update().where(table.c.id == bindparam("id_"))
    session.execute(statement, {"id_": ident, **values})
    loaded = row if not isinstance(row, tuple) else session.identity_map.get(session.identity_key(entity, ident))
    if loaded is not None:
        for key, value in values.items():
            set_committed_value(loaded, key, value)


def conversation_and_customer(session: Session, conversation_id: int) -> tuple[Conversation, Customer]:
    """A conversation and its customer, loaded into the session in one query."""
    row = session.execute(_CONVERSATION_AND_CUSTOMER, {"conversation_id": conversation_id}).one()
    return row[0], row[1]
