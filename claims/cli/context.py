"""What every command shares: settings, engine and runtime (built once per process), the acting user,
fields given as naam=waarde."""

from __future__ import annotations

from functools import cache
from typing import Annotated

import typer
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session

from claims.cli.errors import EXIT_CODES, fail
from claims.config import Settings
from claims.people.users import user_by_email
from claims.runtime import Runtime, build_runtime
from claims.storage.models import User
from workflow.errors import Forbidden

AsOption = Annotated[str, typer.Option("--as", help="E-mailadres van wie de actie uitvoert.")]


@cache
def settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:  # a bad CLAIMFLOW_* variable: say which, not a traceback
        fail("; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()), 2)


@cache
def engine() -> Engine:
    return settings().engine()


@cache
def runtime() -> Runtime:
    return build_runtime(settings().timezone, rules=settings().rules(), base_url=settings().base_url)


def acting_user(session: Session, email: str) -> User:
    """The user named by --as, who must exist and not be blocked."""
    user = user_by_email(session, email)
    if user is None:
        fail(f"--as: onbekende gebruiker {email}", 2)
    if not user.active:  # as on the web and in the API, where a blocked user is signed out
        fail(f"--as: {user.email} is geblokkeerd", EXIT_CODES[Forbidden])
    return user


def pairs(items: list[str] | None) -> dict[str, str]:
    """Fields given as naam=waarde, as a dict; an item without `=` or a name exits 2."""
    values: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            fail(f"'{item}': geef velden als naam=waarde", 2)
        values[key.strip()] = value
    return values
