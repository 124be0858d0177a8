"""`claimflow users`: add, list, and issue an API token."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

import typer
from sqlmodel import Session

from claims.cli.context import engine, runtime
from claims.cli.errors import domain_errors, fail
from claims.people.users import add_user, all_users, issue_token, user_by_email
from notifications.formatting import euro
from workflow.inputs import parse_money

app = typer.Typer(help="Gebruikers: toevoegen, tonen, API-token.", no_args_is_help=True)


@app.command("add")
def users_add(
    email: str,
    name: Annotated[str, typer.Option(help="Volledige naam.")],
    role: Annotated[str, typer.Option(help="handler, expert, manager of admin.")],
    password: Annotated[str, typer.Option(prompt=True, hide_input=True, help="Wachtwoord (min. 8).")],
    limit: Annotated[str | None, typer.Option(help="Bevoegdheid in euro (behandelaar/manager).")] = None,
) -> None:
    """Voeg een gebruiker toe."""
    authority: Decimal | None = None
    if limit is not None:
        try:
            authority = parse_money(limit, "limit")
        except ValueError as exc:
            fail(str(exc), 2)
        if authority < 0:
            fail(f"limit: moet een bedrag van 0 of meer zijn, niet '{limit}'", 2)
    with Session(engine()) as session, domain_errors():
        user = add_user(
            session,
            email=email,
            name=name,
            role=role,
            password=password,
            now=runtime().clock(),
            authority_limit=authority,
        )
        session.commit()
        typer.echo(f"toegevoegd: {user.email} ({user.role})")


@app.command("list")
def users_list() -> None:
    """Toon alle gebruikers."""
    with Session(engine()) as session:
        for u in all_users(session):
            limit = euro(u.authority_limit) if u.authority_limit is not None else "-"
            typer.echo(f"{u.email:<40} {u.role:<8} {limit:>16}  {u.name}{'' if u.active else ' (inactief)'}")


@app.command("token")
def users_token(email: str) -> None:
    """Geef een nieuw API-token (Bearer) voor een gebruiker; een eerder token vervalt."""
    with Session(engine()) as session:
        user = user_by_email(session, email)
        if user is None:
            fail(f"email: onbekende gebruiker {email}", 2)
        token = issue_token(session, user)
        session.commit()
    typer.echo(token)
