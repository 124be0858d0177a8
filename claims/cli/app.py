"""The `claimflow` command: the root Typer app, each command group added to it, and `main`."""

from __future__ import annotations

import sys

import typer

from claims.cli import audit, claims, complaints, exports, ops, parties, payments, users, workflows
from claims.cli.arguments import refuse_undecodable
from claims.cli.errors import exit_code
from workflow.errors import SpecError

app = typer.Typer(help="claimflow: schadebehandeling BAV voor ICT-bedrijven.", no_args_is_help=True)
# the order here is the order of `claimflow --help`: the root's own commands, then the groups
app.add_typer(ops.app)
app.add_typer(audit.app)
app.add_typer(users.app, name="users")
app.add_typer(exports.app, name="export")
app.add_typer(workflows.app, name="workflows")
parties.register(claims.app)
app.add_typer(claims.app, name="claims")
app.add_typer(payments.proposals_app, name="proposals")
app.add_typer(payments.payments_app, name="payments")
app.add_typer(complaints.app, name="complaints")


def main() -> None:
    refuse_undecodable(app, sys.argv[1:])
    try:
        app()
    except SpecError as exc:  # a bad spec found while building the runtime
        typer.echo(f"fout: {exc}", err=True)
        sys.exit(exit_code(exc))


__all__ = ["app", "main"]
