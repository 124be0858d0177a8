"""The `claimflow` command: a thin layer over claims.service and claims.reads.queries.

Domain errors become one-line messages naming the field, and a non-zero exit, in `_fail` only.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Annotated, Any, NoReturn, get_args, get_type_hints

import typer
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.core import TyperArgument, TyperGroup, TyperOption

from claims.config import Settings
from claims.deadlines.sweep import sweep as run_sweep
from claims.errors import ClaimNotFound, StaleClaim
from claims.exports.query import count_portfolio
from claims.exports.timelines import (
    CLAIM_FORMATS,
    ExportFile,
    ExportFormat,
    PortfolioMode,
    export_claim,
    export_portfolio,
    known_addresses,
    parse_format,
    parse_portfolio_request,
)
from claims.formatting import euro, local_moment
from claims.kinds.catalog import letter_templates, load_catalog, vocabulary
from claims.kinds.intake import INTAKE_FIELDS
from claims.money.rates import load_interest_rates
from claims.people.users import add_user, issue_token, user_by_email
from claims.reads.audit import entries as audit_entries
from claims.reads.claim_list import ClaimFilter, check_filter
from claims.reads.queries import claim_view, list_claims, timeline
from claims.runtime import Runtime, build_runtime
from claims.service.advance import advance, open_claim
from claims.storage.models import User
from claims.storage.schema import upgrade
from claims.text import displayable, unstorable
from seeds.loader import load_seed_file
from seeds.loader import seed as load_seeds
from workflow.diagram import to_dot, to_mermaid
from workflow.errors import Forbidden, InvalidInput, SpecError, TransitionNotAllowed, WorkflowError
from workflow.inputs import parse_datetime, parse_money
from workflow.spec import load_spec

# the web application factory `serve` runs (uvicorn imports it by name)
WEB_APP = "claims.web.app:served_app"

app = typer.Typer(help="claimflow: schadebehandeling BAV voor ICT-bedrijven.", no_args_is_help=True)
users_app = typer.Typer(help="Gebruikers: toevoegen, tonen, API-token.", no_args_is_help=True)
workflows_app = typer.Typer(
    help="Workflows per soort claim: tonen, controleren, diagram.", no_args_is_help=True
)
claims_app = typer.Typer(help="Claims: melden, tonen, door de workflow bewegen.", no_args_is_help=True)
export_app = typer.Typer(
    help="Tijdlijnen exporteren: één claim (pdf, csv, xlsx, json) of een portefeuille (csv, xlsx).",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")
app.add_typer(export_app, name="export")
app.add_typer(workflows_app, name="workflows")
app.add_typer(claims_app, name="claims")

EXIT_CODES: dict[type[WorkflowError], int] = {
    InvalidInput: 2,
    Forbidden: 3,
    StaleClaim: 4,
    TransitionNotAllowed: 5,
    ClaimNotFound: 6,
    SpecError: 7,
}

AsOption = Annotated[str, typer.Option("--as", help="E-mailadres van wie de actie uitvoert.")]


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"fout: {message}", err=True)
    raise typer.Exit(code)


@contextmanager
def _errors() -> Iterator[None]:
    """The one place domain errors become CLI messages."""
    try:
        yield
    except InvalidInput as exc:
        for field, problem in exc.errors.items():
            typer.echo(f"fout: {field}: {problem}", err=True)
        raise typer.Exit(EXIT_CODES[InvalidInput]) from None
    except WorkflowError as exc:
        _fail(str(exc), next((c for t, c in EXIT_CODES.items() if isinstance(exc, t)), 1))


@cache
def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:  # a bad CLAIMFLOW_* variable: say which, not a traceback
        _fail("; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()), 2)


@cache
def _engine() -> Engine:
    s = _settings()
    return s.engine()


@cache
def _runtime() -> Runtime:
    return build_runtime(_settings().timezone, rules=_settings().rules(), base_url=_settings().base_url)


def _actor(session: Session, email: str) -> User:
    user = user_by_email(session, email)
    if user is None:
        _fail(f"--as: onbekende gebruiker {email}", 2)
    if not user.active:  # as on the web and in the API, where a blocked user is signed out
        _fail(f"--as: {user.email} is geblokkeerd", EXIT_CODES[Forbidden])
    return user


def _pairs(items: list[str] | None) -> dict[str, str]:
    values: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            _fail(f"'{item}': geef velden als naam=waarde", 2)
        values[key.strip()] = value
    return values


@app.command()
def init() -> None:
    """Maak de database aan of breng haar naar het nieuwste schema (migraties)."""
    upgrade(_engine())
    with Session(_engine()) as session:
        added = load_interest_rates(session)
        session.commit()
    typer.echo(
        f"database bijgewerkt: {_engine().url.render_as_string(hide_password=True)} ({added} rentestanden)"
    )


@app.command()
def seed() -> None:
    """Laad de demogegevens (de elf zaken uit de domeinteksten); nogmaals draaien verandert niets."""
    upgrade(_engine())
    with _errors():
        report = load_seeds(_engine(), _runtime())
    typer.echo(
        f"seed: {report.users} gebruikers, {report.policies} polissen, {report.rates} rentestanden, "
        f"{report.claims} claims ({report.transitions} transities) toegevoegd"
    )


@app.command()
def overview() -> None:
    """Overzicht van alle claims en hoe je de CLI gebruikt."""
    rt = _runtime()
    with Session(_engine()) as session:
        rows = list_claims(session, limit=1000)
    typer.echo(f"{'schadenummer':<16} {'soort':<16} {'fase':<30} {'geclaimd':>16}  verzekerde")
    for r in rows:
        label = rt.catalog.spec(r.kind, r.spec_version).states[r.state].label
        typer.echo(f"{r.reference:<16} {r.kind:<16} {label:<30} {euro(r.amount_claimed):>16}  {r.insured}")
    typer.echo(
        "\nVerder:\n"
        "  claimflow claims show CF-2026-000001 --as sanne.behandelaar@claimflow.test\n"
        "  claimflow claims advance CF-2026-000001 settle --as ... --version N damages=38500 terms=...\n"
        "  claimflow claims timeline CF-2026-000001\n"
        "  claimflow workflows diagram unpaid_fee\n"
        "  claimflow --help"
    )


@app.command()
def serve(
    host: Annotated[
        str, typer.Option(help="Adres om op te luisteren (standaard alleen deze machine).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Poort.", min=1, max=65535)] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(help="Aantal webprocessen (standaard CLAIMFLOW_WORKERS, 1).", min=1, max=64),
    ] = None,
    demo_logins: Annotated[bool, typer.Option(help="Toon de log-ins van de demogebruikers.")] = False,
) -> None:
    """Start de webapplicatie en de JSON-API (OpenAPI op /docs)."""
    import uvicorn

    settings = _settings()
    processes = workers or settings.workers
    if processes > 1 and settings.scheduler == "embedded":
        _fail(
            f"--workers {processes}: elk webproces zou de termijnbewaking draaien; zet "
            "CLAIMFLOW_SCHEDULER=off en start één `claimflow scheduler` ernaast",
            2,
        )
    typer.echo(f"claimflow draait op http://{host}:{port}/  (API-documentatie: http://{host}:{port}/docs)")
    typer.echo(
        f"  {processes} proces(sen), elk {settings.concurrency_limit} verzoeken tegelijk "
        f"(daarboven 503), {settings.db_pool_size} databaseverbindingen en threads"
    )
    if demo_logins:
        typer.echo("Demo-log-ins (e-mailadres / wachtwoord / rol), uit seeds/demo.yaml:")
        for u in load_seed_file()["users"]:
            typer.echo(f"  {u['email']:<36} {u['password']:<18} {u['role']}")
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "info",
        "proxy_headers": False,
        "timeout_graceful_shutdown": settings.shutdown_timeout_seconds,
    }
    # the app is named, not imported (the CLI does not import the web): each worker process, or this
    # one, builds it (engine, pool, runtime) from the same CLAIMFLOW_* settings
    uvicorn.run(WEB_APP, factory=True, workers=processes if processes > 1 else None, **options)


@app.command("sweep")
def sweep_command(
    now: Annotated[
        str | None, typer.Option(help="Doe alsof het nu dit moment is (ISO, bijv. 2026-12-01T09:00+01:00).")
    ] = None,
    batch: Annotated[int, typer.Option(help="Termijnen per transactie.", min=1, max=10_000)] = 500,
    pause: Annotated[float, typer.Option(hidden=True, help="Pauze tussen batches (tests).")] = 0.0,
) -> None:
    """Herinner, markeer en escaleer termijnen (elk precies één keer), en stop."""
    rt = _runtime()
    moment = None
    if now is not None:
        try:
            moment = parse_datetime(now, "--now", rt.tz)
        except ValueError as exc:
            _fail(str(exc), 2)
    report = run_sweep(_engine(), rt, moment, batch=batch, pause=pause)
    typer.echo(
        f"sweep: {report.reminded} herinnerd, {report.flagged} verlopen gemarkeerd, "
        f"{report.escalated} geëscaleerd, {report.notifications} notificaties"
    )


@app.command()
def scheduler() -> None:
    """Draai de termijnbewaking (sweep) op een interval, los van de webprocessen
    (zet daar CLAIMFLOW_SCHEDULER=off)."""
    from claims.deadlines.scheduler import make_scheduler

    settings = _settings()
    mail = (
        f"; e-mail elke {settings.outbox_interval_seconds} s"
        if settings.smtp_url
        else "; e-mail uit (CLAIMFLOW_SMTP_URL niet gezet)"
    )
    typer.echo(f"scheduler: sweep elke {settings.sweep_interval_seconds} s{mail} (Ctrl-C stopt)")
    make_scheduler(_engine(), _runtime(), settings, blocking=True).start()


@app.command()
def deliver() -> None:
    """Verstuur de e-mails die klaarstaan in de outbox (één ronde), en stop."""
    from claims.notify.delivery import deliver as run_delivery

    settings = _settings()
    smtp = settings.smtp()
    if smtp is None:
        _fail("CLAIMFLOW_SMTP_URL is niet gezet: e-mail staat uit (de berichten blijven in de outbox)", 2)
    report = run_delivery(_engine(), _runtime(), smtp, settings.delivery_policy())
    typer.echo(
        f"outbox: {report.sent} verstuurd, {report.retrying} later opnieuw, {report.incidents} incidenten"
    )


# --- users -------------------------------------------------------------------------------------


@users_app.command("add")
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
            _fail(str(exc), 2)
        if authority < 0:
            _fail(f"limit: moet een bedrag van 0 of meer zijn, niet '{limit}'", 2)
    with Session(_engine()) as session, _errors():
        user = add_user(
            session,
            email=email,
            name=name,
            role=role,
            password=password,
            now=_runtime().clock(),
            authority_limit=authority,
        )
        session.commit()
        typer.echo(f"toegevoegd: {user.email} ({user.role})")


@users_app.command("list")
def users_list() -> None:
    """Toon alle gebruikers."""
    with Session(_engine()) as session:
        for u in session.exec(select(User).order_by(User.role, User.email)):
            limit = euro(u.authority_limit) if u.authority_limit is not None else "-"
            typer.echo(f"{u.email:<40} {u.role:<8} {limit:>16}  {u.name}{'' if u.active else ' (inactief)'}")


@users_app.command("token")
def users_token(email: str) -> None:
    """Geef een nieuw API-token (Bearer) voor een gebruiker; een eerder token vervalt."""
    with Session(_engine()) as session:
        user = user_by_email(session, email)
        if user is None:
            _fail(f"email: onbekende gebruiker {email}", 2)
        token = issue_token(session, user)
        session.commit()
    typer.echo(token)


# --- workflows ---------------------------------------------------------------------------------


@workflows_app.command("list")
def workflows_list() -> None:
    """Toon de soorten claims en hun workflowversies."""
    for spec in _runtime().catalog.latest():
        typer.echo(f"{spec.kind:<16} v{spec.version}  {spec.label}: {len(spec.states)} fasen")


@workflows_app.command("show")
def workflows_show(kind: str) -> None:
    """Toon fasen, transities, velden en termijnen van één soort claim."""
    with _errors():
        try:
            spec = _runtime().catalog.spec(kind)
        except KeyError as exc:
            _fail(f"kind: {exc.args[0]}", 2)
    typer.echo(f"{spec.label} ({spec.kind}, versie {spec.version})\n")
    for state in spec.states.values():
        typer.echo(f"[{state.name}] {state.label}{' (eindfase)' if state.terminal else ''}")
        for d in state.deadlines:
            typer.echo(
                f"    termijn {d.label}: {d.amount} {d.unit} vanaf {d.base}; "
                f"voldaan door {', '.join(d.met_by)}"
            )
        for t in spec.transitions_from(state.name):
            typer.echo(f"  -> {t.dest:<18} {t.trigger}: {t.label} [{', '.join(t.roles)}]")
            for f in t.fields:
                typer.echo(f"       {f.name} ({f.type}{'' if f.required else ', optioneel'}): {f.label}")


@workflows_app.command("check")
def workflows_check(
    paths: Annotated[list[Path] | None, typer.Argument(help="Spec-bestanden.")] = None,
) -> None:
    """Controleer workflow-specs (standaard alle in claims/kinds/workflows/)."""
    with _errors():
        if not paths:
            catalog = load_catalog()
            typer.echo(f"ok: {len(catalog.specs)} workflows")
            return
        vocab = vocabulary(letter_templates())
        for path in paths:
            spec = load_spec(path, vocab)
            typer.echo(f"ok: {path} ({spec.kind} v{spec.version})")


@workflows_app.command("diagram")
def workflows_diagram(
    kind: str,
    fmt: Annotated[str, typer.Option("--format", help="mermaid of dot.")] = "mermaid",
    current: Annotated[str | None, typer.Option(help="Markeer deze fase.")] = None,
) -> None:
    """Diagram van een workflow als Mermaid- of Graphviz-DOT-tekst."""
    try:
        spec = _runtime().catalog.spec(kind)
    except KeyError as exc:
        _fail(f"kind: {exc.args[0]}", 2)
    if current is not None and current not in spec.states:
        _fail(f"current: onbekende fase '{current}'", 2)
    renderers: dict[str, Callable[..., str]] = {"mermaid": to_mermaid, "dot": to_dot}
    if fmt not in renderers:
        _fail(f"format: kies mermaid of dot, niet '{fmt}'", 2)
    typer.echo(renderers[fmt](spec, current))


# --- claims ------------------------------------------------------------------------------------


@claims_app.command(
    "open",
    help="Registreer een melding. Velden als naam=waarde: "
    + ", ".join(f"{f.name}{'' if f.required else '?'}" for f in INTAKE_FIELDS),
)
def claims_open(actor: AsOption, fields: Annotated[list[str] | None, typer.Argument()] = None) -> None:
    with Session(_engine(), expire_on_commit=False) as session, _errors():
        result = open_claim(session, _runtime(), _pairs(fields), _actor(session, actor))
    typer.echo(f"{result.reference} geregistreerd: fase {result.state}, versie {result.version}")


@claims_app.command("list")
def claims_list(
    kind: Annotated[str | None, typer.Option(help="Soort claim.")] = None,
    state: Annotated[str | None, typer.Option(help="Fase.")] = None,
    handler: Annotated[str | None, typer.Option(help="E-mailadres behandelaar.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
) -> None:
    """Toon claims, gefilterd op soort, fase of behandelaar."""
    with Session(_engine()) as session:
        with _errors():
            _check_list_filter(session, kind, state, handler)
        for r in list_claims(session, kind=kind, state=state, handler=handler, limit=limit):
            typer.echo(
                f"{r.reference:<16} {r.kind:<16} {r.state:<18} v{r.version:<3} {r.handler:<36} {r.claimant}"
            )


def _check_list_filter(session: Session, kind: str | None, state: str | None, handler: str | None) -> None:
    """An unknown kind, state or handler names its option, as the API and the exports do: a filter that
    cannot match is a typing error, not an empty list."""
    catalog = _runtime().catalog
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


@claims_app.command("show")
def claims_show(
    reference: str,
    actor: Annotated[str | None, typer.Option("--as", help="Toon wat deze gebruiker nu kan doen.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Toon een claim: fase, versie, geld, open termijnen en toegestane transities."""
    rt = _runtime()
    with Session(_engine()) as session, _errors():
        user = _actor(session, actor) if actor else None
        view = claim_view(session, rt, reference, user)
    c = view.claim
    data = {
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


@claims_app.command("advance")
def claims_advance(
    reference: str,
    trigger: str,
    actor: AsOption,
    version: Annotated[int, typer.Option(help="De versie die u zag (optimistische vergrendeling).")],
    fields: Annotated[list[str] | None, typer.Argument(help="Velden als naam=waarde.")] = None,
) -> None:
    """Voer een transitie uit op een claim."""
    rt = _runtime()
    if trigger not in {t.trigger for spec in rt.catalog.specs.values() for t in spec.transitions}:
        # no spec has it: a typing error, refused before the claim is read (so it tells nothing of it)
        _fail(f"trigger: onbekende transitie '{trigger}'", EXIT_CODES[InvalidInput])
    with Session(_engine(), expire_on_commit=False) as session, _errors():
        result = advance(
            session, _runtime(), reference, trigger, _pairs(fields), _actor(session, actor), version
        )
    typer.echo(f"{result.reference}: {result.from_state} -> {result.state}, versie {result.version}")


@claims_app.command("timeline")
def claims_timeline(reference: str, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Toon de tijdlijn van een claim, oudste eerst."""
    rt = _runtime()
    with Session(_engine()) as session, _errors():
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


# --- exports ------------------------------------------------------------------------------------

OutputOption = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="Bestand om te schrijven (standaard: de exportnaam hier)."),
]
ExportAsOption = Annotated[
    str | None,
    typer.Option("--as", help="E-mailadres van de manager die exporteert (zonder: u als operator)."),
]


_OPTION_NAMES = {"opened_from": "--from", "opened_to": "--to"}


def _part(target: Path) -> Path:
    return target.with_name(f".{target.name}.part")


def _output_target(output: Path | None) -> Path | None:
    """Before anything is read or recorded: a regular file (or none yet, in a folder we may write to);
    a link is followed to the file it names. None: the export's own name, here."""
    if output is None:
        return None
    target = output.resolve()
    if target.exists() and not target.is_file():
        _fail(f"--output: {output} is geen gewoon bestand (een map of apparaat)", 2)
    if not target.parent.is_dir():
        _fail(f"--output: de map {target.parent} bestaat niet", 2)
    try:
        _part(target).open("wb").close()
        _part(target).unlink()
    except OSError as exc:
        _fail(f"--output: kan niet schrijven in {target.parent} ({exc.strerror})", 2)
    return target


def _write_export(export: ExportFile, target: Path | None) -> Path:
    """Write to a temporary file beside the target and move it into place: an export that fails halfway
    leaves no half file behind."""
    target = target or Path(export.filename)
    part = _part(target)
    try:
        with part.open("wb") as f:
            for chunk in export.chunks:
                f.write(chunk)
        part.replace(target)
    except OSError as exc:
        part.unlink(missing_ok=True)
        _fail(f"--output: schrijven naar {target} mislukt ({exc.strerror}); er is geen bestand gemaakt")
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return target


def _export_format(value: str, allowed: tuple[ExportFormat, ...]) -> ExportFormat:
    with _errors():
        try:
            return parse_format(value, allowed)
        except InvalidInput as exc:
            raise InvalidInput({"--format": exc.errors["format"]}) from None


@export_app.command("timeline")
def export_timeline(
    reference: str,
    format: Annotated[str, typer.Option("--format", "-f", help="pdf, csv, xlsx of json.")] = "pdf",
    output: OutputOption = None,
    actor: ExportAsOption = None,
) -> None:
    """De tijdlijn van één claim: alles wat er gebeurde, door wie en wanneer, met de tijd per fase."""
    fmt = _export_format(format, CLAIM_FORMATS)
    chosen_target = _output_target(output)
    with Session(_engine(), expire_on_commit=False) as session, _errors():
        user = _actor(session, actor) if actor else None
        export = export_claim(session, _runtime(), reference.strip(), fmt, user, "cli")
    target = _write_export(export, chosen_target)
    typer.echo(f"{reference}: tijdlijn geschreven naar {target}")


@export_app.command("portfolio")
def export_portfolio_command(
    format: Annotated[str, typer.Option("--format", "-f", help="csv of xlsx.")] = "csv",
    mode: Annotated[
        str,
        typer.Option(help="events: een rij per gebeurtenis; claims: een rij per claim met tijd per fase."),
    ] = "events",
    kind: Annotated[str | None, typer.Option(help="Soort claim, bijv. unpaid_fee.")] = None,
    state: Annotated[str | None, typer.Option(help="Fase, bijv. regeling.")] = None,
    handler: Annotated[str | None, typer.Option(help="E-mailadres van de behandelaar.")] = None,
    overdue: Annotated[bool, typer.Option(help="Alleen claims met een verlopen termijn.")] = False,
    q: Annotated[str | None, typer.Option(help="Zoektekst, zoals in de lijst.")] = None,
    opened_from: Annotated[str | None, typer.Option("--from", help="Gemeld vanaf (JJJJ-MM-DD).")] = None,
    opened_to: Annotated[str | None, typer.Option("--to", help="Gemeld tot en met (JJJJ-MM-DD).")] = None,
    output: OutputOption = None,
    actor: ExportAsOption = None,
    progress: Annotated[bool, typer.Option(help="Voortgangsbalk op stderr.")] = True,
) -> None:
    """Alle claims die aan de filters voldoen, gestreamd naar een bestand (geheugen groeit niet mee)."""
    rt = _runtime()
    chosen_target = _output_target(output)
    engine = _engine()
    with _errors(), Session(engine) as session:
        user = _actor(session, actor) if actor else None
        try:
            fmt, chosen, f = parse_portfolio_request(
                rt.catalog, known_addresses(session.connection()), format=format, mode=mode, kind=kind,
                state=state, handler=handler, overdue=overdue, q=q, opened_from=opened_from,
                opened_to=opened_to,
            )  # fmt: skip
        except InvalidInput as exc:  # named as the options are spelled here
            raise InvalidInput({_OPTION_NAMES.get(k, f"--{k}"): v for k, v in exc.errors.items()}) from None
        claims, rows = count_portfolio(session.connection(), user, f, rt.clock(), rt.tz)
        session.rollback()  # the export reads in a transaction of its own
        total = rows if chosen is PortfolioMode.events else claims
        with typer.progressbar(length=total, label="exporteren", file=sys.stderr, hidden=not progress) as bar:
            export = export_portfolio(engine, rt, f, chosen, fmt, user, "cli", progress=bar.update)
            target = _write_export(export, chosen_target)
    unit = "rijen" if chosen is PortfolioMode.events else "claims"
    typer.echo(f"portefeuille ({f.words()}): {total} {unit} uit {claims} claims geschreven naar {target}")


@app.command("audit")
def audit_command(limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50) -> None:
    """Het audit-spoor: wie wat exporteerde, via welk kanaal en wanneer (nieuwste eerst)."""
    rt = _runtime()
    with Session(_engine()) as session:
        for e in audit_entries(session.connection(), limit=limit):
            typer.echo(
                f"{local_moment(e.at, rt.tz)}  {e.actor:<36} {e.channel:<4} {e.action:<17} {e.format:<5} "
                f"{e.subject}"
            )


def _json_default(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _located(argv: list[str], index: int) -> tuple[str, bool]:
    """How the person typing would name argument `index` (the option it is the value of, the field of a
    naam=waarde pair, the command's argument), and whether it is a file name."""
    command: Any = typer.main.get_command(app)
    start = 0
    while isinstance(command, TyperGroup) and start < index and argv[start] in command.commands:
        command = command.commands[argv[start]]
        start += 1
    hints = get_type_hints(command.callback) if command.callback else {}
    params = [p for p in command.params if isinstance(p, TyperOption | TyperArgument)]
    options = {name: p for p in params if isinstance(p, TyperOption) for name in (*p.opts, *p.secondary_opts)}
    arguments = [p for p in params if isinstance(p, TyperArgument)]
    positional, pending = 0, None
    for earlier in argv[start:index]:
        if pending is not None:
            pending = None
        elif earlier.startswith("-") and earlier != "-":
            option = options.get(earlier)
            pending = option if option is not None and not option.is_flag else None
        else:
            positional += 1
    token = argv[index]
    param: Any = None
    if pending is not None:
        name, param = max(pending.opts, key=len), pending
    elif token.startswith("-") and token != "-":
        name = token.partition("=")[0]
        param = options.get(name) if "=" in token else None
        if param is None or unstorable(name):
            name = f"argument {index + 1}"
    elif arguments:
        param = arguments[min(positional, len(arguments) - 1)]
        key, sep, _ = token.partition("=")
        name = key.strip() if param.nargs == -1 and sep and key and not unstorable(key) else param.name
    else:
        name = f"argument {index + 1}"
    return name, param is not None and _is_path(hints.get(param.name))


def _is_path(hint: Any) -> bool:
    return hint is Path or any(_is_path(inner) for inner in get_args(hint))


def _refuse_undecodable(argv: list[str]) -> None:
    """An argument that is no text (bytes the locale cannot decode, which Python keeps as lone
    surrogates) exits 2 naming it before anything runs: the rule of claims.text, as on the web. A file
    name may be any bytes, so a path is let through."""
    for index, arg in enumerate(argv):
        problem = unstorable(arg)
        if problem is None:
            continue
        name, is_path = _located(argv, index)
        if not is_path:
            typer.echo(f"fout: {displayable(name)}: {problem}", err=True)
            sys.exit(EXIT_CODES[InvalidInput])


def main() -> None:
    _refuse_undecodable(sys.argv[1:])
    try:
        app()
    except SpecError as exc:  # a bad spec found while building the runtime
        typer.echo(f"fout: {exc}", err=True)
        sys.exit(EXIT_CODES[SpecError])


__all__ = ["app", "main"]
