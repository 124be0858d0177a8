"""`claimflow proposals` and `claimflow payments`: a manager decides the proposals that went above a
handler's authority (four eyes), keeps each payment's status (paid on a date, cancelled with a reason)
and writes the bank file of the approved payments (SEPA pain.001 or CSV)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlmodel import Session

from claims.cli.context import AsOption, acting_user, engine, runtime, settings
from claims.cli.errors import EXIT_CODES, domain_errors, fail
from claims.cli.exports import output_target, write_export
from claims.exports.bank_file import bank_file
from claims.exports.timelines import ExportFile
from claims.parties.fields import iban_display
from claims.reads.payments import STATUSES, open_proposals, payment, payment_list, proposal
from claims.service import approve_proposal, cancel_payment, mark_paid, reject_proposal, withdraw_proposal
from notifications.formatting import euro
from workflow.errors import InvalidInput
from workflow.inputs import parse_date

proposals_app = typer.Typer(
    help="Voorstellen boven de bevoegdheid van een behandelaar: tonen, goedkeuren, afwijzen, intrekken.",
    no_args_is_help=True,
)
payments_app = typer.Typer(help="Betalingen aan begunstigden en het bankbestand.", no_args_is_help=True)

ProposalNumber = Annotated[int, typer.Argument(min=1, max=2**31 - 1, help="Het nummer van het voorstel.")]
PaymentNumber = Annotated[int, typer.Argument(min=1, max=2**31 - 1, help="Het nummer van de betaling.")]
JsonOption = Annotated[bool, typer.Option("--json")]
BankOutputOption = Annotated[
    Path | None, typer.Option("--output", "-o", help="Bestand om te schrijven (standaard: stdout).")
]

STATUS_WORDS = {
    "proposed": "voorgesteld",
    "approved": "goedgekeurd",
    "paid": "betaald",
    "cancelled": "geannuleerd",
}
BANK_FORMATS = ("sepa", "csv")
# the services name what was typed as their own fields; here they are the options that carry them
_OPTION_NAMES = {"comment": "--comment", "reason": "--reason", "paid_on": "--on", "status": "--status"}


@contextmanager
def _named_as_options() -> Iterator[None]:
    try:
        yield
    except InvalidInput as exc:
        raise InvalidInput({_OPTION_NAMES.get(k, k): v for k, v in exc.errors.items()}) from None


def _json(rows: Any) -> str:
    tz = settings().tz  # the runtime (every spec) is not needed to list

    def default(value: Any) -> str:
        if isinstance(value, datetime):
            return value.astimezone(tz).isoformat()
        if isinstance(value, date):
            return value.isoformat()
        return str(value)  # Decimal: as written, never a float

    return json.dumps(rows, indent=2, ensure_ascii=False, default=default)


def _day(value: str, option: str) -> date:
    try:
        return parse_date(value, option)
    except ValueError as exc:  # the message names the option: "--on: ongeldige datum ..."
        fail(str(exc), EXIT_CODES[InvalidInput])


# --- proposals ---------------------------------------------------------------------------------


@proposals_app.command("list")
def proposals_list(as_json: JsonOption = False) -> None:
    """Toon de open voorstellen, het oudste eerst: claim, transitie, bedrag, wie het voorstelde en waarom."""
    with Session(engine()) as session:
        found = open_proposals(session.connection())
    if as_json:
        typer.echo(_json(found))
        return
    if not found:
        typer.echo("geen open voorstellen")
    for p in found:
        typer.echo(
            f"{p['id']:>5}  {p['claim_reference']:<16} {p['trigger_label']} ({p['trigger']})  "
            f"{euro(p['amount'])}  voorgesteld door {p['proposer']} <{p['proposer_email']}>"
        )
        typer.echo(f"       {p['reasons']}")


@proposals_app.command("approve")
def proposals_approve(
    number: ProposalNumber,
    actor: AsOption,
    comment: Annotated[str, typer.Option(help="Toelichting bij de goedkeuring.")] = "",
) -> None:
    """Keur een voorstel goed (een manager, nooit wie het voorstelde): de transitie wordt nu uitgevoerd."""
    with Session(engine(), expire_on_commit=False) as session, domain_errors(), _named_as_options():
        result = approve_proposal(session, runtime(), number, acting_user(session, actor), comment)
    typer.echo(
        f"voorstel {number} goedgekeurd: {result.reference}: {result.from_state} -> {result.state}, "
        f"versie {result.version}"
    )


@proposals_app.command("reject")
def proposals_reject(
    number: ProposalNumber,
    actor: AsOption,
    comment: Annotated[str, typer.Option(help="Waarom het voorstel wordt afgewezen (verplicht).")] = "",
) -> None:
    """Wijs een voorstel af, met de reden: er wordt niets betaald, de claim blijft in zijn fase."""
    with Session(engine(), expire_on_commit=False) as session, domain_errors(), _named_as_options():
        reject_proposal(session, runtime(), number, acting_user(session, actor), comment)
        typer.echo(f"voorstel {number} afgewezen: {_stays(session, number)}")


@proposals_app.command("withdraw")
def proposals_withdraw(number: ProposalNumber, actor: AsOption) -> None:
    """Trek uw eigen voorstel in voordat een manager beslist."""
    with Session(engine(), expire_on_commit=False) as session, domain_errors():
        withdraw_proposal(session, runtime(), number, acting_user(session, actor))
        typer.echo(f"voorstel {number} ingetrokken: {_stays(session, number)}")


def _stays(session: Session, number: int) -> str:
    found = proposal(session.connection(), number)
    assert found is not None  # just decided
    return f"{found['claim_reference']} blijft in fase '{found['state']}', versie {found['version']}"


# --- payments ----------------------------------------------------------------------------------


@payments_app.command("list")
def payments_list(
    status: Annotated[
        str | None, typer.Option(help=f"Alleen betalingen met deze status: {', '.join(STATUSES)}.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Toon de betalingen (standaard alle), de oudste eerst: claim, begunstigde, IBAN, bedrag, status."""
    with Session(engine()) as session, domain_errors(), _named_as_options():
        found = payment_list(session.connection(), (status,) if status is not None else STATUSES)
    if as_json:
        typer.echo(_json(found))
        return
    if not found:
        typer.echo(f"geen betalingen{f' met status {status}' if status else ''}")
    for p in found:
        when = {"paid": f" op {p['paid_on']}", "cancelled": f": {p['cancel_reason']}"}.get(p["status"], "")
        typer.echo(
            f"{p['id']:>5}  {p['reference']:<20} {euro(p['amount']):>16}  "
            f"{STATUS_WORDS.get(p['status'], p['status'])}{when}"
        )
        typer.echo(f"       {p['payee']}  {iban_display(p['iban']) or 'geen IBAN'}")


@payments_app.command("paid")
def payments_paid(
    number: PaymentNumber,
    actor: AsOption,
    on: Annotated[str, typer.Option("--on", help="De dag waarop de bank betaalde (JJJJ-MM-DD).")],
) -> None:
    """Leg vast dat de bank een goedgekeurde betaling heeft uitgevoerd."""
    day = _day(on, "--on")
    with Session(engine(), expire_on_commit=False) as session, domain_errors(), _named_as_options():
        mark_paid(session, runtime(), number, acting_user(session, actor), day)
        found = payment(session.connection(), number)
    assert found is not None  # just marked
    typer.echo(f"betaling {number} ({found['reference']}, {euro(found['amount'])}): betaald op {day}")


@payments_app.command("cancel")
def payments_cancel(
    number: PaymentNumber,
    actor: AsOption,
    reason: Annotated[str, typer.Option(help="Waarom de betaling vervalt (verplicht).")] = "",
) -> None:
    """Annuleer een goedgekeurde, nog niet betaalde betaling: het bedrag wordt op de claim teruggeboekt."""
    with Session(engine(), expire_on_commit=False) as session, domain_errors(), _named_as_options():
        cancel_payment(session, runtime(), number, acting_user(session, actor), reason)
        found = payment(session.connection(), number)
    assert found is not None  # just cancelled
    typer.echo(f"betaling {number} ({found['reference']}, {euro(found['amount'])}): geannuleerd")


@payments_app.command("export")
def payments_export(
    execution_date: Annotated[
        str, typer.Option("--date", help="De gewenste uitvoerdatum bij de bank (JJJJ-MM-DD).")
    ],
    format: Annotated[str, typer.Option("--format", "-f", help="sepa (pain.001) of csv.")] = "sepa",
    output: BankOutputOption = None,
) -> None:
    """Het bankbestand van de goedgekeurde betalingen (stdout of --output); wat erbuiten blijft: stderr."""
    fmt = format.strip().lower()
    if fmt not in BANK_FORMATS:
        fail(f"--format: onbekend formaat '{format}' (kies uit {', '.join(BANK_FORMATS)})", 2)
    day = _day(execution_date, "--date")
    target = output_target(output)
    with Session(engine()) as session:
        found = bank_file(session.connection(), day)
    for line in found.left_out:
        typer.echo(f"niet in het bankbestand: {line}", err=True)
    if not found.transfers:
        fail("geen goedgekeurde betalingen met een IBAN om te betalen; er is geen bestand gemaakt")
    try:
        content = found.xml() if fmt == "sepa" else found.csv().encode("utf-8")
    except ValueError as exc:  # a payment the bank would refuse, named
        fail(f"bankbestand niet gemaakt: {exc}")
    total = sum((t.amount for t in found.transfers), Decimal(0))
    summary = f"bankbestand ({fmt}): {len(found.transfers)} betalingen, {euro(total)}, uitvoerdatum {day}"
    if target is None:
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
        typer.echo(summary, err=True)
        return
    suffix = "xml" if fmt == "sepa" else "csv"
    media = "application/xml" if fmt == "sepa" else "text/csv"
    written = write_export(ExportFile(f"bankbestand-{day}.{suffix}", media, iter([content])), target)
    typer.echo(f"{summary}, geschreven naar {written}")
