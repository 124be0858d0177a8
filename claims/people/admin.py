"""User administration by an admin: blocking and unblocking accounts (creation is people.users.add_user)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from claims.people.logins import end_all_sessions
from claims.people.permissions import check_may_manage_users
from claims.storage.models import User
from claims.storage.repositories import users
from workflow.errors import InvalidInput


def set_active(session: Session, actor: User, user_id: int, active: bool, now: datetime) -> User:
    """Block or unblock a user (admins only); a blocked user is signed out everywhere. The caller commits."""
    check_may_manage_users(actor)
    user = users.get(session, user_id)
    if user is None:
        raise InvalidInput({"user": f"gebruiker {user_id} bestaat niet"})
    if user.id == actor.id and not active:
        raise InvalidInput({"user": "u kunt uw eigen account niet blokkeren"})
    user.active = active
    users.save(session, user)
    if not active:
        end_all_sessions(session, user_id, now)
    return user
