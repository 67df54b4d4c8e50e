""" "Continue on Telegram": a one-time signed token in a deep link joins a Telegram identity to the
widget visitor's person.

The token is `<nonce>-<signature>` (letters, digits and '-', as Telegram's start parameter allows):
a forged one fails the HMAC, a reused or stale one fails the conditional UPDATE that spends it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.people.persons import link
from bot.storage.followups import LinkToken
from bot.storage.models import Conversation, Customer, Message, utcnow

TOKEN = re.compile(r"([0-9a-f]{16})-([0-9a-f]{32})")
TOKEN_LIFETIME = timedelta(minutes=30)
HISTORY_MESSAGES = 6


@dataclass(frozen=True)
class Linked:
    person_id: int
    history: list[tuple[str, str]]  # (direction, text) of the widget conversation's last messages


def _customer(session: Session, channel: str, sender_id: str, now: datetime) -> Customer:
    customer = session.execute(
        select(Customer).where(Customer.channel == channel, Customer.external_id == sender_id)
    ).scalar_one_or_none()
    if customer is None:
        customer = Customer(channel=channel, external_id=sender_id, first_seen=now, last_seen=now)
        session.add(customer)
        session.flush()
    return customer


def _history(session: Session, customer_id: int) -> list[tuple[str, str]]:
    rows = session.execute(
        select(Message.direction, Message.text, Message.button_title)
        .join(Conversation, Message.conversation_id == Conversation.id)
        .where(Conversation.customer_id == customer_id, Message.text != "")
        .order_by(Message.id.desc())
        .limit(HISTORY_MESSAGES)
    ).all()
    return [(direction, title or text) for direction, text, title in reversed(rows)]


class LinkTokens:
    def __init__(self, secret: bytes) -> None:
        """`secret` is the server's signing key; "telegram-link:" in the signed text keeps these
        signatures apart from any other use of it."""
        if not secret:
            raise ValueError("link tokens need a secret")
        self._key = secret

    def _sign(self, nonce: str) -> str:
        return hmac.new(self._key, f"telegram-link:{nonce}".encode(), hashlib.sha256).hexdigest()[:32]

    def issue(self, session: Session, *, channel: str, sender_id: str, now: datetime | None = None) -> str:
        """A new one-time token for this widget identity (made if it never wrote yet)."""
        now = now or utcnow()
        customer = _customer(session, channel, sender_id, now)
        nonce = secrets.token_hex(8)
        session.add(LinkToken(nonce=nonce, customer_id=customer.id, created_at=now))
        session.flush()
        return f"{nonce}-{self._sign(nonce)}"

    def redeem(
        self, session: Session, token: str, *, channel: str, sender_id: str, now: datetime | None = None
    ) -> Linked | None:
        """Spend the token for this (Telegram) identity: None if forged, used, or stale."""
        now = now or utcnow()
        match = TOKEN.fullmatch(token.strip())
        if match is None or not hmac.compare_digest(match.group(2), self._sign(match.group(1))):
            return None
        customer = _customer(session, channel, sender_id, now)
        # Warning: this row count is what makes a token single-use, across processes too.
        spent = session.execute(
            update(LinkToken)
            .where(
                LinkToken.nonce == match.group(1),
                LinkToken.used_at.is_(None),
                LinkToken.created_at > now - TOKEN_LIFETIME,
                LinkToken.customer_id != customer.id,
            )
            .values(used_at=now, used_by_id=customer.id)
            .execution_options(synchronize_session=False)
        )
        if spent.rowcount != 1:
            return None
        origin = session.execute(select(LinkToken.customer_id).where(LinkToken.nonce == match.group(1))).scalar_one()
        person_id, _, _ = link(session, origin, customer.id, how="telegram_link", now=now)
        return Linked(person_id, _history(session, origin))
