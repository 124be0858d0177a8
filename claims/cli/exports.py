"""`claimflow export`: the timeline of one claim or a portfolio, written to a file whole or not at all."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from claims.cli.context import acting_user, engine, runtime, settings
from claims.cli.errors import domain_errors, fail
from claims.exports import row_texts
from claims.exports.dossier import export_dossier
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
from workflow.errors import InvalidInput

app = typer.Typer(
    help="Tijdlijnen exporteren: één claim (pdf, csv, xlsx, json) of een portefeuille (csv, xlsx).",
    no_args_is_help=True,
)

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


def output_target(output: Path | None) -> Path | None:
    """Before anything is read or recorded: a regular file (or none yet, in a folder we may write to);
    a link is followed to the file it names. None: the export's own name, here."""
    if output is None:
        return None
    target = output.resolve()
    if target.exists() and not target.is_file():
        fail(f"--output: {output} is geen gewoon bestand (een map of apparaat)", 2)
    if not target.parent.is_dir():
        fail(f"--output: de map {target.parent} bestaat niet", 2)
    try:
        _part(target).open("wb").close()
        _part(target).unlink()
    except OSError as exc:
        fail(f"--output: kan niet schrijven in {target.parent} ({exc.strerror})", 2)
    return target


def write_export(export: ExportFile, target: Path | None) -> Path:
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
        fail(f"--output: schrijven naar {target} mislukt ({exc.strerror}); er is geen bestand gemaakt")
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return target


def _export_format(value: str, allowed: tuple[ExportFormat, ...]) -> ExportFormat:
    with domain_errors():
        try:
            return parse_format(value, allowed)
        except InvalidInput as exc:
            raise InvalidInput({"--format": exc.errors["format"]}) from None


@app.command("timeline")
def export_timeline(
    reference: str,
    format: Annotated[str, typer.Option("--format", "-f", help="pdf, csv, xlsx of json.")] = "pdf",
    output: OutputOption = None,
    actor: ExportAsOption = None,
) -> None:
    """De tijdlijn van één claim: alles wat er gebeurde, door wie en wanneer, met de tijd per fase."""
    fmt = _export_format(format, CLAIM_FORMATS)
    chosen_target = output_target(output)
    with Session(engine(), expire_on_commit=False) as session, domain_errors():
        user = acting_user(session, actor) if actor else None
        export = export_claim(session, runtime(), reference.strip(), fmt, user, "cli")
    target = write_export(export, chosen_target)
    typer.echo(f"{reference}: tijdlijn geschreven naar {target}")


@app.command("dossier")
def export_dossier_command(
    reference: str,
    output: OutputOption = None,
    actor: ExportAsOption = None,
) -> None:
    """Het hele dossier van één claim als ZIP: tijdlijn, alle brieven, alle documenten en een manifest met de
    sha256 van elk bestand en de kop van de keten (voor een advocaat of Kifid)."""
    chosen_target = output_target(output)
    with Session(engine(), expire_on_commit=False) as session, domain_errors():
        user = acting_user(session, actor) if actor else None
    with domain_errors():
        export = export_dossier(
            engine(), runtime(), settings().document_store(), reference.strip(), user, "cli"
        )
        target = write_export(export, chosen_target)
    typer.echo(f"{reference}: dossier geschreven naar {target}")


@app.command("portfolio")
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
    rt = runtime()
    chosen_target = output_target(output)
    db = engine()
    with domain_errors(), Session(db) as session:
        user = acting_user(session, actor) if actor else None
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
            export = export_portfolio(db, rt, f, chosen, fmt, user, "cli", progress=bar.update)
            target = write_export(export, chosen_target)
    unit = "rijen" if chosen is PortfolioMode.events else "claims"
    typer.echo(f"portefeuille ({f.words()}): {total} {unit} uit {claims} claims geschreven naar {target}")


@app.command("texts")
def refresh_texts_command(
    check_all: Annotated[
        bool,
        typer.Option(
            "--check-all",
            help="Controleer de digest van elke claim (anders zoals de scheduler: de volgende "
            f"{row_texts.VERIFY_PER_RUN} claims).",
        ),
    ] = False,
) -> None:
    """Sla de CSV-regels van de portefeuille per claim op voor de claims die sinds de vorige keer
    veranderden (wat de scheduler elke CLAIMFLOW_EXPORT_TEXTS_REFRESH_SECONDS doet): na een nieuwe
    versie worden ze alle opnieuw gemaakt."""
    verify = sys.maxsize if check_all else row_texts.VERIFY_PER_RUN
    done = row_texts.refresh(engine(), runtime(), verify=verify)
    typer.echo(
        f"exportteksten: {done.built} claims opnieuw opgeslagen, {done.verified} gecontroleerd, "
        f"in {done.took_seconds:.1f} s"
    )
