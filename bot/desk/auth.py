"""Staff users, their passwords (Argon2id), console sessions, CSRF tokens and the login limiter."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from bot.storage.ids import fits_bigint
from bot.storage.models import StaffRole, StaffSession, StaffUser, utcnow

ROLES = tuple(role.value for role in StaffRole)
# Each role may do what the roles before it may.
RANK = {StaffRole.AGENT.value: 1, StaffRole.MANAGER.value: 2, StaffRole.ADMIN.value: 3}
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
MIN_PASSWORD_CHARS = 10

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """Verified when the user does not exist, so a wrong name takes as long as a wrong password.

    Hashed on the first login, not at import: it costs 0.75 s of a cold start's CPU.
    """
    return _hasher.hash("not a password of anyone")


class StaffError(ValueError):
    """A staff user operation that cannot be done; the message says why."""


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_CHARS:
        raise StaffError(f"the password must have at least {MIN_PASSWORD_CHARS} characters")


def add_user(
    session: Session, *, username: str, display_name: str, password: str, role: str, telegram_user_id: int | None = None
) -> StaffUser:
    username = username.strip().lower()
    if not USERNAME.fullmatch(username):
        raise StaffError("the user name must be 2-64 of a-z, 0-9, '.', '_' or '-'")
    if role not in ROLES:
        raise StaffError(f"the role must be one of {', '.join(ROLES)}")
    display_name = display_name.strip()[:100]
    if not display_name:
        raise StaffError("a first name is needed: customers see it when this person joins")
    check_password_rules(password)
    if find_user(session, username) is not None:
        raise StaffError(f"there is already a user {username!r}")
    if telegram_user_id is not None and user_by_telegram(session, telegram_user_id, active_only=False):
        raise StaffError(f"Telegram account {telegram_user_id} is already linked to another user")
    user = StaffUser(
        username=username,
        display_name=display_name,
        password_hash=_hasher.hash(password),
        role=role,
        active=True,
        telegram_user_id=telegram_user_id,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, username: str) -> StaffUser | None:
    return session.execute(select(StaffUser).where(StaffUser.username == username.strip().lower())).scalar_one_or_none()


def user_by_telegram(session: Session, telegram_user_id: int, *, active_only: bool = True) -> StaffUser | None:
    if not fits_bigint(telegram_user_id):
        return None  # no such account could be stored
    query = select(StaffUser).where(StaffUser.telegram_user_id == telegram_user_id)
    if active_only:
        query = query.where(StaffUser.active.is_(True))
    return session.execute(query).scalar_one_or_none()


def list_users(session: Session) -> list[StaffUser]:
    return list(session.execute(select(StaffUser).order_by(StaffUser.username)).scalars())


def active_users(session: Session) -> list[StaffUser]:
    return [user for user in list_users(session) if user.active]


def count_admins(session: Session) -> int:
    return session.execute(
        select(func.count(StaffUser.id)).where(StaffUser.role == StaffRole.ADMIN.value, StaffUser.active.is_(True))
    ).scalar_one()


def disable_user(session: Session, username: str) -> StaffUser:
    user = find_user(session, username)
    if user is None:
        raise StaffError(f"there is no user {username!r}")
    user.active = False
    # Signed-in consoles end at once.
    session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))
    return user


def link_telegram(session: Session, username: str, telegram_user_id: int | None) -> StaffUser:
    user = find_user(session, username)
    if user is None:
        raise StaffError(f"there is no user {username!r}")
    if telegram_user_id is not None:
        other = user_by_telegram(session, telegram_user_id, active_only=False)
        if other is not None and other.id != user.id:
            raise StaffError(f"Telegram account {telegram_user_id} is already linked to {other.username}")
    user.telegram_user_id = telegram_user_id
    return user


def authenticate(session: Session, username: str, password: str) -> StaffUser | None:
    """The active user with this name and password, else None (same work either way)."""
    dummy = _dummy_hash()  # first, for every name: the first login's extra hash tells nothing
    user = find_user(session, username)
    stored = user.password_hash if user is not None else dummy
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(stored):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()
    return user


# --- console sessions -------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: StaffUser, lifetime: timedelta) -> str:
    """A new login; returns the token for the cookie (the database keeps only its hash)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.execute(delete(StaffSession).where(StaffSession.expires_at < now))
    session.add(StaffSession(token_hash=_token_hash(token), user_id=user.id, created_at=now, expires_at=now + lifetime))
    return token


def session_user(session: Session, token: str) -> StaffUser | None:
    if not token or len(token) > 100:
        return None
    row = session.execute(
        select(StaffSession).where(StaffSession.token_hash == _token_hash(token))
    ).scalar_one_or_none()
    if row is None or row.expires_at <= utcnow():
        return None
    user = session.get(StaffUser, row.user_id)
    return user if user is not None and user.active else None


def end_session(session: Session, token: str) -> None:
    session.execute(delete(StaffSession).where(StaffSession.token_hash == _token_hash(token)))


def csrf_token(secret: bytes, session_token: str) -> str:
    """Bound to the login: a token from another session (or none) is refused."""
    return hmac.new(secret, b"csrf:" + session_token.encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, session_token: str, offered: str | None) -> bool:
    return bool(offered) and hmac.compare_digest(csrf_token(secret, session_token), offered)


def secret_key(configured: str, data_dir: Path) -> bytes:
    """CXBOT_SECRET_KEY, or one generated once into the data folder (never into the repository)."""
    if configured:
        return configured.encode()
    path = data_dir / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(descriptor, "w") as file:
                file.write(secrets.token_hex(32))
    return path.read_text().strip().encode()


# --- failed logins ----------------------------------------------------------------------------


@dataclass
class LoginLimiter:
    """Failed logins per (account, address) and per address, in this process's memory.

    Several server processes each count on their own (the limit is per process); a restart
    forgets. Good enough against guessing from one place; put a proxy limit in front for more.
    """

    attempts: int = 5
    window_seconds: float = 15 * 60

    def __post_init__(self) -> None:
        self._failures: defaultdict[tuple[str, str], deque[float]] = defaultdict(deque)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float]:
        failures = self._failures[key]
        while failures and failures[0] <= now - self.window_seconds:
            failures.popleft()
        if not failures:
            del self._failures[key]
            return deque()
        return failures

    def blocked(self, username: str, address: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        per_account = len(self._recent((username.lower(), address), now)) >= self.attempts
        # Many names from one address: a wider limit, so guessing across accounts stops too.
        per_address = len(self._recent(("*", address), now)) >= self.attempts * 4
        return per_account or per_address

    def failed(self, username: str, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._failures[(username.lower(), address)].append(now)
        self._failures[("*", address)].append(now)

    def succeeded(self, username: str, address: str) -> None:
        self._failures.pop((username.lower(), address), None)
