"""`claimflow complaints`: a complaint (klacht) registered on a claim, open or closed, then acknowledged,
its answer term extended once and answered, each as the given handler or manager with its letter; and the
complaints listed, open ones first by the next due moment."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Annotated, Any

import typer
from sqlmodel import Session

from claims.cli.context import AsOption, acting_user, engine, runtime, settings
from claims.cli.errors import domain_errors, fail
from claims.complaints.terms import OUTCOME_LABELS
from claims.reads.complaints import FILTERS, complaint_list
from claims.service.complaints import (
    ComplaintStep,
    acknowledge_complaint,
    answer_complaint,
    extend_complaint,
    register_complaint,
)
from notifications.formatting import local_moment
from workflow.errors import InvalidInput

app = typer.Typer(
    help="Klachten over de behandeling van een claim (Kifid): registreren, bevestigen, verlengen en "
    "beantwoorden.",
    no_args_is_help=True,
)
ComplaintNumber = Annotated[
    int, typer.Argument(min=1, max=2**31 - 1, help="Het nummer van de klacht (zie complaints list).")
]
# the service names what was typed as its own fields; here they are the options that carry them
_OPTION_NAMES = {
    "complainant": "--complainant",
    "subject": "--subject",
    "description": "--description",
    "received_on": "--received",
    "reason": "--reason",
    "answer": "--answer",
    "outcome": "--outcome",
}


@contextmanager
def _named_as_options() -> Iterator[None]:
    try:
        yield
    except InvalidInput as exc:
        raise InvalidInput({_OPTION_NAMES.get(k, k): v for k, v in exc.errors.items()}) from None


def _said(step: ComplaintStep, what: str, reference: str) -> None:
    letter = f", brief {step.letter_id}" if step.letter_id is not None else ""
    typer.echo(
        f"klacht {step.complaint_id} (klacht {step.number} van {reference}) {what} "
        f"(gebeurtenis {step.event_id}{letter})"
    )


@app.command("register")
def complaints_register(
    reference: str,
    actor: AsOption,
    complainant: Annotated[int, typer.Option(help="Wie klaagt: het nummer van een partij van de claim.")],
    subject: Annotated[str, typer.Option(help="Waarover de klacht gaat.")],
    received: Annotated[str, typer.Option(help="Ontvangen op (JJJJ-MM-DD).")],
    description: Annotated[str, typer.Option(help="Toelichting.")] = "",
) -> None:
    """Registreer een klacht op een claim (ook een gesloten): de termijnen gaan lopen."""
    values = {
        "complainant": complainant,
        "subject": subject,
        "received_on": received,
        "description": description,
    }
    with Session(engine(), expire_on_commit=False) as session, domain_errors(), _named_as_options():
        step = register_complaint(session, runtime(), reference, values, acting_user(session, actor))
    _said(step, "geregistreerd", reference)


@app.command("acknowledge")
def complaints_acknowledge(reference: str, number: ComplaintNumber, actor: AsOption) -> None:
    """Bevestig de ontvangst van een klacht (met de brief aan de klager)."""
    with Session(engine(), expire_on_commit=False) as session, domain_errors():
        step = acknowledge_complaint(session, runtime(), reference, number, acting_user(session, actor))
    _said(step, "ontvangst bevestigd", reference)


@app.command("extend")
def complaints_extend(
    reference: str,
    number: ComplaintNumber,
    actor: AsOption,
    reason: Annotated[str, typer.Option(help="Waarom het antwoord later komt (de klager leest het).")] = "",
) -> None:
    """Verleng de antwoordtermijn eenmalig, met de reden (en de brief)."""
    with Session(engine(), expire_on_commit=False) as session, domain_errors(), _named_as_options():
        step = extend_complaint(
            session, runtime(), reference, number, {"reason": reason}, acting_user(session, actor)
        )
    _said(step, "antwoordtermijn verlengd", reference)


@app.command("answer")
def complaints_answer(
    reference: str,
    number: ComplaintNumber,
    actor: AsOption,
    outcome: Annotated[str, typer.Option(help="Oordeel: " + ", ".join(OUTCOME_LABELS) + ".")] = "",
    answer: Annotated[str, typer.Option(help="Het definitieve standpunt.")] = "",
) -> None:
    """Beantwoord een klacht: het definitieve standpunt, met de Kifid-route in de brief."""
    values = {"answer": answer, "outcome": outcome}
    with Session(engine(), expire_on_commit=False) as session, domain_errors(), _named_as_options():
        step = answer_complaint(session, runtime(), reference, number, values, acting_user(session, actor))
    _said(step, "beantwoord", reference)


def _json(rows: list[dict[str, Any]]) -> str:
    tz = settings().tz

    def default(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.astimezone(tz).isoformat()
        if isinstance(value, date):
            return value.isoformat()
        if hasattr(value, "clock"):  # a clock: its fields
            return {k: getattr(value, k) for k in ("clock", "label", "due_at", "met_at", "cancelled_at")}
        return str(value)

    return json.dumps(rows, indent=2, ensure_ascii=False, default=default)


@app.command("list")
def complaints_list(
    status: Annotated[str, typer.Option(help="open, closed (beantwoord) of all.")] = "open",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Toon de klachten, de open eerst op hun eerstvolgende termijn: nummer, claim, klager, stand."""
    if status not in FILTERS:
        fail(f"--status: kies open, closed of all (niet '{status}')", 2)
    with Session(engine()) as session:
        found = complaint_list(session, None, runtime().clock(), which=status)
    if as_json:
        typer.echo(_json(found))
        return
    if not found:
        typer.echo("geen klachten" if status != "open" else "geen open klachten")
    tz = settings().tz
    for k in found:
        due = f"  termijn {local_moment(k['next_due'], tz)}" if k["next_due"] else ""
        late = " VERLOPEN" if k["overdue"] else ""
        typer.echo(
            f"{k['id']:>5}  {k['reference']:<16} klacht {k['number']}  {k['status_label']}{due}{late}  "
            f"{k['complainant_name']}: {k['subject']}"
        )
