"""`claimflow claims parties | add-party | change-party`: a claim's party register at the command line."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from sqlmodel import Session

from claims.cli.context import AsOption, acting_user, engine, pairs, runtime
from claims.cli.errors import domain_errors
from claims.parties.fields import FIELDS
from claims.reads.parties import claim_parties
from claims.service.parties import add_party, change_party

FIELD_LIST = ", ".join(f.name for f in FIELDS)


def register(app: typer.Typer) -> None:
    """Add the party commands to the `claims` group."""
    app.command("parties")(claims_parties)
    app.command("add-party", help=f"Voeg een partij toe. Velden als naam=waarde: {FIELD_LIST}.")(add)
    app.command("change-party", help=f"Wijzig velden van een partij (naam=waarde): {FIELD_LIST}.")(change)


def claims_parties(
    reference: str,
    actor: Annotated[str | None, typer.Option("--as", help="Toon wat deze gebruiker ziet.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Toon de partijen van een claim."""
    with Session(engine()) as session, domain_errors():
        user = acting_user(session, actor) if actor else None
        found = claim_parties(session, reference, user)
    if as_json:
        typer.echo(json.dumps(found, indent=2, ensure_ascii=False, default=str))
        return
    for p in found:
        marks = [
            m for m, on in (("kopie aan verzekerde", p["copy_insured"]), ("verzonnen", p["invented"])) if on
        ]
        typer.echo(f"{p['id']:>6}  {p['role_label']}: {' / '.join(p['address_lines'])}")
        facts = [
            f"{label} {p[key]}"
            for label, key in (
                ("e-mail", "email"),
                ("tel.", "phone"),
                ("kenmerk", "reference"),
                ("KvK", "kvk"),
                ("IBAN", "iban_display"),
            )
            if p.get(key)
        ]
        typer.echo(f"        {p['channel_label'].lower()}; " + "; ".join(facts + marks))


def add(
    reference: str,
    actor: AsOption,
    fields: Annotated[list[str] | None, typer.Argument(help="Velden als naam=waarde.")] = None,
) -> None:
    with Session(engine(), expire_on_commit=False) as session, domain_errors():
        party_id = add_party(session, runtime(), reference, pairs(fields), acting_user(session, actor))
    typer.echo(f"{reference}: partij {party_id} toegevoegd")


def change(
    reference: str,
    party_id: Annotated[int, typer.Argument(min=1, max=2**31 - 1, help="Het nummer van de partij.")],
    actor: AsOption,
    fields: Annotated[list[str] | None, typer.Argument(help="Velden als naam=waarde.")] = None,
) -> None:
    with Session(engine(), expire_on_commit=False) as session, domain_errors():
        changed = change_party(
            session, runtime(), reference, party_id, pairs(fields), acting_user(session, actor)
        )
    typer.echo(
        f"{reference}: partij {party_id} "
        + (f"gewijzigd: {', '.join(changed)}" if changed else "ongewijzigd")
    )
