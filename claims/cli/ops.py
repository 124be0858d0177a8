"""Running claimflow: init, seed, overview, serve, sweep, scheduler, deliver (commands of the root)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from sqlmodel import Session

from claims.cli.context import creating_engine, engine, runtime, settings
from claims.cli.errors import domain_errors, fail
from claims.deadlines.sweep import sweep as run_sweep
from claims.money.rates import load_interest_rates
from claims.reads.queries import list_claims
from claims.storage.schema import upgrade
from notifications.formatting import euro
from seeds.loader import load_seed_file
from seeds.loader import seed as load_seeds
from workflow.inputs import parse_datetime

# the web application factory `serve` runs (uvicorn imports it by name)
WEB_APP = "claims.web.app:served_app"

app = typer.Typer()


@app.command()
def init() -> None:
    """Maak de database aan of breng haar naar het nieuwste schema (migraties)."""
    upgrade(creating_engine())
    with Session(creating_engine()) as session:
        added = load_interest_rates(session)
        session.commit()
    shown = creating_engine().url.render_as_string(hide_password=True)
    typer.echo(f"database bijgewerkt: {shown} ({added} rentestanden)")


@app.command()
def seed() -> None:
    """Laad de demogegevens (de elf zaken uit de domeinteksten); nogmaals draaien verandert niets."""
    upgrade(creating_engine())
    with domain_errors():
        report = load_seeds(creating_engine(), runtime())
    typer.echo(
        f"seed: {report.users} gebruikers, {report.policies} polissen, {report.rates} rentestanden, "
        f"{report.claims} claims ({report.transitions} transities) toegevoegd"
    )


@app.command()
def overview() -> None:
    """Overzicht van alle claims en hoe je de CLI gebruikt."""
    rt = runtime()
    with Session(engine()) as session:
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

    s = settings()
    processes = workers or s.workers
    if processes > 1 and s.scheduler == "embedded":
        fail(
            f"--workers {processes}: elk webproces zou de termijnbewaking draaien; zet "
            "CLAIMFLOW_SCHEDULER=off en start één `claimflow scheduler` ernaast",
            2,
        )
    typer.echo(f"claimflow draait op http://{host}:{port}/  (API-documentatie: http://{host}:{port}/docs)")
    typer.echo(
        f"  {processes} proces(sen), elk {s.concurrency_limit} verzoeken tegelijk "
        f"(daarboven 503), {s.db_pool_size} databaseverbindingen en threads"
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
        "timeout_graceful_shutdown": s.shutdown_timeout_seconds,
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
    rt = runtime()
    moment = None
    if now is not None:
        try:
            moment = parse_datetime(now, "--now", rt.tz)
        except ValueError as exc:
            fail(str(exc), 2)
    report = run_sweep(engine(), rt, moment, batch=batch, pause=pause)
    typer.echo(
        f"sweep: {report.reminded} herinnerd, {report.flagged} verlopen gemarkeerd, "
        f"{report.escalated} geëscaleerd, {report.notifications} notificaties"
    )


@app.command()
def scheduler() -> None:
    """Draai de termijnbewaking (sweep) op een interval, los van de webprocessen
    (zet daar CLAIMFLOW_SCHEDULER=off)."""
    from claims.deadlines.scheduler import make_scheduler
    from claims.exports import row_texts
    from claims.reads import dashboard_cache

    s = settings()
    mail = (
        f"; e-mail elke {s.outbox_interval_seconds} s"
        if s.smtp_url
        else "; e-mail uit (CLAIMFLOW_SMTP_URL niet gezet)"
    )
    typer.echo(
        f"scheduler: sweep elke {s.sweep_interval_seconds} s, dashboard elke "
        f"{s.dashboard_refresh_seconds} s, exportteksten elke {s.export_texts_refresh_seconds} s{mail} "
        "(Ctrl-C stopt)"
    )
    eng, rt = engine(), runtime()
    make_scheduler(
        eng,
        rt,
        s,
        blocking=True,
        also=[dashboard_cache.scheduled(eng, rt, s), row_texts.scheduled(eng, rt, s)],
    ).start()


@app.command()
def deliver() -> None:
    """Verstuur de e-mails die klaarstaan in de outbox (één ronde), en stop."""
    from claims.notify.delivery import deliver as run_delivery

    s = settings()
    smtp = s.smtp()
    if smtp is None:
        fail("CLAIMFLOW_SMTP_URL is niet gezet: e-mail staat uit (de berichten blijven in de outbox)", 2)
    report = run_delivery(engine(), runtime(), smtp, s.delivery_policy())
    typer.echo(
        f"outbox: {report.sent} verstuurd, {report.retrying} later opnieuw, {report.incidents} incidenten"
    )
