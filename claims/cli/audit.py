"""`claimflow audit`: the audit trail of exports, newest first."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlmodel import Session

from claims.cli.context import engine, runtime
from claims.reads.audit import entries as audit_entries
from notifications.formatting import local_moment

app = typer.Typer()


@app.command("audit")
def audit_command(limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50) -> None:
    """Het audit-spoor: wie wat exporteerde, via welk kanaal en wanneer (nieuwste eerst)."""
    rt = runtime()
    with Session(engine()) as session:
        for e in audit_entries(session.connection(), limit=limit):
            typer.echo(
                f"{local_moment(e.at, rt.tz)}  {e.actor:<36} {e.channel:<4} {e.action:<17} {e.format:<5} "
                f"{e.subject}"
            )
