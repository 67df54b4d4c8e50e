"""Who is chatting in the widget: an anonymous browser, or a shop customer the site vouches for.

Anonymous visitors are known by a random id their browser keeps. A site that has signed-in
customers may pass the customer's id with an HMAC-SHA256 of it, made with a secret it shares with
us (CXBOT_WIDGET_IDENTITY_SECRET), like Chatwoot's identity validation: then the conversation
belongs to that customer on every device. The two kinds of sender id have different prefixes, so
an anonymous browser can never pass itself off as a signed-in customer.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass

from bot.conversation.messages import InvalidMessage

VISITOR_PREFIX = "visitor:"
USER_PREFIX = "user:"
MAX_USER_ID_CHARS = 100  # the stored sender id is at most 128 characters
_VISITOR_ID = re.compile(r"[A-Za-z0-9_-]{16,64}")


class IdentityRefused(Exception):
    """The site's signature does not match; `reason` is safe to show in the browser."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Identity:
    visitor: str | None = None
    user_id: str | None = None
    user_hash: str | None = None

    @classmethod
    def from_fields(cls, fields: Mapping[str, object]) -> Identity:
        """From query parameters or a JSON body: `visitor`, `user_id`, `user_hash`."""

        def text(key: str) -> str | None:
            value = fields.get(key)
            if value is None or value == "":
                return None
            if not isinstance(value, str):
                raise InvalidMessage(f"'{key}' must be a string")
            return value

        return cls(visitor=text("visitor"), user_id=text("user_id"), user_hash=text("user_hash"))


def user_hash(secret: str, user_id: str) -> str:
    """What the shop's site computes: hex HMAC-SHA256 of the customer id, keyed by the secret."""
    return hmac.new(secret.encode("utf-8"), user_id.encode("utf-8"), hashlib.sha256).hexdigest()


def signature_matches(secret: str, user_id: str, given_hash: str) -> bool:
    expected = user_hash(secret, user_id).encode("ascii")
    # compare_digest takes the same time wherever the first difference is: no timing oracle.
    return hmac.compare_digest(expected, given_hash.strip().lower().encode("utf-8"))


def sender_id(identity: Identity, secret: str) -> str:
    """The router's sender id; IdentityRefused for a bad signature, InvalidMessage for bad input."""
    if identity.user_id is None and identity.user_hash is None:
        if identity.visitor is None or not _VISITOR_ID.fullmatch(identity.visitor):
            raise InvalidMessage("'visitor' must be 16 to 64 letters, digits, '-' or '_'")
        return VISITOR_PREFIX + identity.visitor
    if identity.user_id is None or identity.user_hash is None:
        raise IdentityRefused("the page must pass both data-user-id and data-user-hash")
    if len(identity.user_id) > MAX_USER_ID_CHARS:
        raise InvalidMessage(f"'user_id' must be at most {MAX_USER_ID_CHARS} characters")
    if not secret:
        # Without the secret nothing can be checked; accepting the id would let anyone claim it.
        raise IdentityRefused("identity verification is not set up on the chat server")
    if not signature_matches(secret, identity.user_id, identity.user_hash):
        raise IdentityRefused("the customer's identity could not be verified")
    return USER_PREFIX + identity.user_id
