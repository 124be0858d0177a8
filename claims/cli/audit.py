"""`claimflow audit`: the audit trail of exports, newest first; `audit verify` checks the timelines'
hash chains."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import Session

from claims.cli.context import engine, runtime
from claims.cli.errors import CHAIN_BROKEN, domain_errors
from claims.reads.audit import entries as audit_entries
from claims.reads.chain_check import Checked, verify
from notifications.formatting import local_moment

app = typer.Typer()
group = typer.Typer(help="Het audit-spoor van exports, en de controle van de tijdlijnketens.")
app.add_typer(group, name="audit")


@group.callback(invoke_without_command=True)
def audit_command(ctx: typer.Context, limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50) -> None:
    """Het audit-spoor: wie wat exporteerde, via welk kanaal en wanneer (nieuwste eerst)."""
    if ctx.invoked_subcommand is not None:
        return
    rt = runtime()
    with Session(engine()) as session:
        for e in audit_entries(session.connection(), limit=limit):
            typer.echo(
                f"{local_moment(e.at, rt.tz)}  {e.actor:<36} {e.channel:<4} {e.action:<17} {e.format:<5} "
                f"{e.subject}"
            )


@group.command("verify")
def verify_command(
    reference: Annotated[str | None, typer.Argument(help="alleen deze claim")] = None,
) -> None:
    """Controleer de hashketen van elke tijdlijn (of van één claim): elke gebeurtenis, elke verwijzing naar
    de vorige en elke brief. Noemt per claim de eerste gebroken schakel; exitcode 9 als er een is."""
    checked = Checked()
    broken = 0
    with domain_errors(), Session(engine()) as session:
        for found in verify(session.connection(), reference, checked=checked):
            broken += 1
            typer.echo(f"gebroken: {found.reference} gebeurtenis {found.event_id}: {found.problem}")
    counted = f"{checked.claims} claims, {checked.events} gebeurtenissen, {checked.letters} brieven"
    if broken:
        typer.echo(f"fout: de keten is gebroken bij {broken} claim(s) ({counted} gecontroleerd)", err=True)
        raise typer.Exit(CHAIN_BROKEN)
    typer.echo(f"keten klopt: {counted}")
