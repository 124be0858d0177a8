"""Users: creation with an argon2 password hash, and API tokens (only their hash is stored)."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime
from decimal import Decimal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError
from sqlmodel import Session

from claims.people.permissions import check_may_manage_users
from claims.storage.models import Role, User
from claims.storage.repositories import users
from workflow.errors import InvalidInput

_hasher = PasswordHasher()
MIN_PASSWORD = 8


def use_password_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Hash and verify with `hasher` from now on (the tests' cheap one); the one used before."""
    global _hasher
    before, _hasher = _hasher, hasher
    return before


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(user: User, password: str) -> bool:
    try:
        return bool(user.password_hash) and _hasher.verify(user.password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?")


def add_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    now: datetime,
    authority_limit: Decimal | None = None,
    team: str = "BAV",
    actor: User | None = None,
) -> User:
    """Create a user; raises InvalidInput naming the field that is wrong. `actor` (None: an operator at
    the command line) must be an admin. The caller commits."""
    if actor is not None:
        check_may_manage_users(actor)
    errors: dict[str, str] = {}
    for field, value in (("email", email), ("name", name), ("team", team), ("password", password)):
        if "\x00" in value or (field != "password" and ("\r" in value or "\n" in value)):
            errors[field] = "bevat een ongeldig teken"
    if errors:
        raise InvalidInput(errors)
    email = email.strip().lower()
    # one plain ASCII address: it becomes an e-mail header, where a comma or a space adds recipients
    if not _EMAIL.fullmatch(email):
        errors["email"] = f"ongeldig e-mailadres '{email}'"
    elif users.with_email(session, email):
        errors["email"] = f"{email} bestaat al"
    if role not in {r.value for r in Role}:
        errors["role"] = f"onbekende rol '{role}' (handler, expert, manager, admin)"
    if not name.strip():
        errors["name"] = "naam is verplicht"
    if len(password) < MIN_PASSWORD:
        errors["password"] = f"minstens {MIN_PASSWORD} tekens"
    if authority_limit is not None and authority_limit < 0:
        errors["authority_limit"] = "mag niet negatief zijn"
    if errors:
        raise InvalidInput(errors)
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        team=team,
        authority_limit=authority_limit,
        password_hash=hash_password(password),
        created_at=now,
    )
    users.save(session, user)
    return user


def issue_token(session: Session, user: User) -> str:
    """A new API token for `user` (replacing any earlier one); shown once, stored as a hash."""
    token = secrets.token_urlsafe(32)
    user.api_token_hash = token_hash(token)
    users.save(session, user)
    return token


def user_by_email(session: Session, email: str) -> User | None:
    return users.with_email(session, email.strip().lower())


def user_by_token(session: Session, token: str) -> User | None:
    return users.with_token_hash(session, token_hash(token))


def all_users(session: Session) -> list[User]:
    return users.all_by_role(session)


def active_users_by_role(session: Session) -> dict[str, list[User]]:
    out: dict[str, list[User]] = {}
    for user in users.active_by_name(session):
        out.setdefault(user.role, []).append(user)
    return out
