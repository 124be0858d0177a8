"""`claimflow claims`: open a melding, list, show, advance a claim through its workflow, its timeline
(its documents: claims.cli.documents)."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from sqlmodel import Session

from claims.cli import documents
from claims.cli.context import AsOption, acting_user, engine, pairs, runtime
from claims.cli.errors import EXIT_CODES, domain_errors, fail
from claims.exports.timelines import known_addresses
from claims.kinds.intake import INTAKE_FIELDS
from claims.reads.claim_list import ClaimFilter, check_filter
from claims.reads.queries import claim_view, list_claims, timeline
from claims.service import advance, open_claim, reopen_claim
from notifications.formatting import euro, local_moment
from workflow.errors import InvalidInput

app = typer.Typer(help="Claims: melden, tonen, door de workflow bewegen.", no_args_is_help=True)


@app.command(
    "open",
    help="Registreer een melding. Velden als naam=waarde: "
    + ", ".join(f"{f.name}{'' if f.required else '?'}" for f in INTAKE_FIELDS),
)
def claims_open(actor: AsOption, fields: Annotated[list[str] | None, typer.Argument()] = None) -> None:
    with Session(engine(), expire_on_commit=False) as session, domain_errors():
        result = open_claim(session, runtime(), pairs(fields), acting_user(session, actor))
    typer.echo(f"{result.reference} geregistreerd: fase {result.state}, versie {result.version}")


@app.command("list")
def claims_list(
    kind: Annotated[str | None, typer.Option(help="Soort claim.")] = None,
    state: Annotated[str | None, typer.Option(help="Fase.")] = None,
    handler: Annotated[str | None, typer.Option(help="E-mailadres behandelaar.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
) -> None:
    """Toon claims, gefilterd op soort, fase of behandelaar."""
    with Session(engine()) as session:
        with domain_errors():
            _check_list_filter(session, kind, state, handler)
        for r in list_claims(session, kind=kind, state=state, handler=handler, limit=limit):
            typer.echo(
                f"{r.reference:<16} {r.kind:<16} {r.state:<18} v{r.version:<3} {r.handler:<36} {r.claimant}"
            )


def _check_list_filter(session: Session, kind: str | None, state: str | None, handler: str | None) -> None:
    """An unknown kind, state or handler names its option, as the API and the exports do: a filter that
    cannot match is a typing error, not an empty list."""
    catalog = runtime().catalog
    errors: dict[str, str] = {}
    try:
        check_filter(
            ClaimFilter(kind=kind or None, state=state or None, handler=handler or None),
            catalog.kinds(),
            list(catalog.state_labels()),
            known_addresses(session.connection()),
        )
    except InvalidInput as exc:
        errors.update({f"--{name}": problem for name, problem in exc.errors.items()})
    if errors:
        raise InvalidInput(errors)


@app.command("show")
def claims_show(
    reference: str,
    actor: Annotated[str | None, typer.Option("--as", help="Toon wat deze gebruiker nu kan doen.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Toon een claim: fase, versie, geld, open termijnen en toegestane transities."""
    rt = runtime()
    with Session(engine()) as session, domain_errors():
        user = acting_user(session, actor) if actor else None
        view = claim_view(session, rt, reference, user)
    c = view.claim
    data: dict[str, Any] = {
        "reference": c.reference,
        "kind": c.kind,
        "state": c.state,
        "state_label": view.state_label,
        "version": c.version,
        "outcome": c.outcome,
        "policy": view.policy.number,
        "insured": view.policy.insured,
        "claimant": c.claimant,
        "amount_claimed": str(c.amount_claimed),
        "handler": view.handler.email,
        "expert": view.expert.email if view.expert else None,
        "money": view.money.as_dict(),
        "open_deadlines": [
            {"name": d.name, "label": d.label, "due_at": d.due_at.astimezone(rt.tz).isoformat()}
            for d in view.open_deadlines
        ],
        "allowed_transitions": [a.as_dict() for a in view.allowed],
    }
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    typer.echo(f"{c.reference}  {c.kind}  fase: {view.state_label} ({c.state})  versie {c.version}")
    typer.echo(f"polis {view.policy.number} ({view.policy.insured}); benadeelde {c.claimant}")
    typer.echo(f"geclaimd {euro(c.amount_claimed)}; resterende dekking {euro(view.money.remaining_cover)}")
    for d in data["open_deadlines"]:
        typer.echo(f"  termijn {d['label']}: uiterlijk {d['due_at']}")
    for a in view.allowed:
        fields = ", ".join(f"{f.name}{'' if f.required else '?'}" for f in a.fields)
        typer.echo(f"  kan: {a.trigger} -> {a.dest} ({a.label}){' velden: ' + fields if fields else ''}")


@app.command("advance")
def claims_advance(
    reference: str,
    trigger: str,
    actor: AsOption,
    version: Annotated[int, typer.Option(help="De versie die u zag (optimistische vergrendeling).")],
    fields: Annotated[list[str] | None, typer.Argument(help="Velden als naam=waarde.")] = None,
) -> None:
    """Voer een transitie uit op een claim."""
    rt = runtime()
    if trigger not in {t.trigger for spec in rt.catalog.specs.values() for t in spec.transitions}:
        # no spec has it: a typing error, refused before the claim is read (so it tells nothing of it)
        fail(f"trigger: onbekende transitie '{trigger}'", EXIT_CODES[InvalidInput])
    with Session(engine(), expire_on_commit=False) as session, domain_errors():
        result = advance(session, rt, reference, trigger, pairs(fields), acting_user(session, actor), version)
    if result.proposal_id is not None:  # above the actor's authority: held for a manager, nothing moved
        typer.echo(
            f"{result.reference}: boven uw bevoegdheid - voorgelegd aan een manager als voorstel "
            f"{result.proposal_id} (fase blijft '{result.state}', versie {result.version})"
        )
        return
    typer.echo(f"{result.reference}: {result.from_state} -> {result.state}, versie {result.version}")


@app.command("reopen")
def claims_reopen(
    reference: str,
    actor: AsOption,
    version: Annotated[int, typer.Option(help="De versie die u zag (optimistische vergrendeling).")],
    reason: Annotated[str, typer.Option(help="Waarom de claim weer open gaat (minstens 30 tekens).")],
) -> None:
    """Heropen een gesloten claim: terug naar de fase die de workflow noemt, met de reden op de tijdlijn."""
    rt = runtime()
    with Session(engine(), expire_on_commit=False) as session, domain_errors():
        result = reopen_claim(session, rt, reference, reason, acting_user(session, actor), version)
    typer.echo(
        f"{result.reference}: heropend, {result.from_state} -> {result.state}, versie {result.version}"
    )


@app.command("timeline")
def claims_timeline(reference: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Toon de tijdlijn van een claim, oudste eerst."""
    rt = runtime()
    with Session(engine()) as session, domain_errors():
        events = timeline(session, reference)
    if as_json:
        typer.echo(json.dumps(events, indent=2, ensure_ascii=False, default=_json_default))
        return
    for e in events:
        when = local_moment(e["at"], rt.tz)
        move = f"{e['from'] or ''} -> {e['to']}" if e["to"] else ""
        typer.echo(
            f"{when}  v{e['version']:<3} {e['kind']:<11} {e['trigger'] or '':<22} {move:<36} "
            f"{e['actor'] or 'systeem'}"
        )


def _json_default(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


documents.register(app)
