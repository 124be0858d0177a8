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
from claims.storage.schema import is_initialised
from workflow.errors import Forbidden

AsOption = Annotated[str, typer.Option("--as", help="E-mailadres van wie de actie uitvoert.")]


@cache
def settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:  # a bad CLAIMFLOW_* variable: say which, not a traceback
        fail("; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()), 2)


@cache
def creating_engine() -> Engine:
    """The engine of `init` and `seed`, the commands that may create the database."""
    return settings().engine()


@cache
def engine() -> Engine:
    """The engine of every other command: a database that was never initialised is refused in one line
    (exit 2), and a missing SQLite file is not created by asking it something."""
    found = settings()
    database = found.sqlite_file()
    if (database is not None and not database.exists()) or not is_initialised(creating_engine()):
        shown = database if database is not None else found.database_url.partition("@")[2] or "de database"
        fail(
            f"de database {shown} is niet geïnitialiseerd: voer eerst `claimflow init` uit "
            "(of zet CLAIMFLOW_DATABASE_URL op de juiste database)",
            2,
        )
    return creating_engine()


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
