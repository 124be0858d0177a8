"""`claimflow workflows`: list, show, check and draw the workflow of each kind of claim, print the JSON
Schema of a spec file, and migrate open claims to a newer version."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from sqlmodel import Session

from claims.cli.context import engine, runtime
from claims.cli.errors import MIGRATION_REFUSED, domain_errors, fail
from claims.kinds.catalog import SPEC_DIR, letter_templates, load_catalog, load_kind, vocabulary
from claims.kinds.lock import read_lock, unlocked, write_lock
from claims.letters.facts import LETTER_NEEDS
from claims.reads.audit import operator_label
from claims.service.migration import MigrationStep, migrate, plan_migration
from notifications.formatting import local_moment
from workflow.diagram import to_dot, to_mermaid
from workflow.diagram_render import DiagramRenderer, GraphvizError
from workflow.spec import json_schema

app = typer.Typer(
    help="Workflows per soort claim: tonen, controleren, diagram, schema, migreren.", no_args_is_help=True
)


@app.command("list")
def workflows_list() -> None:
    """Toon de soorten claims en hun workflowversies."""
    for spec in runtime().catalog.latest():
        typer.echo(f"{spec.kind:<16} v{spec.version}  {spec.label}: {len(spec.states)} fasen")


@app.command("show")
def workflows_show(kind: str) -> None:
    """Toon fasen, transities, velden en termijnen van één soort claim."""
    with domain_errors():
        try:
            spec = runtime().catalog.spec(kind)
        except KeyError as exc:
            fail(f"kind: {exc.args[0]}", 2)
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


@app.command("check")
def workflows_check(
    paths: Annotated[list[Path] | None, typer.Argument(help="Spec-bestanden.")] = None,
) -> None:
    """Controleer workflow-specs (standaard alle in claims/kinds/workflows/)."""
    with domain_errors():
        if not paths:
            catalog = load_catalog(letters=LETTER_NEEDS)
            typer.echo(f"ok: {len(catalog.specs)} workflows")
            for spec in unlocked(catalog.specs.values(), read_lock(SPEC_DIR)):
                typer.echo(
                    f"nog niet vastgelegd: {spec.kind} versie {spec.version} (claimflow workflows lock)"
                )
            return
        vocab = vocabulary(letter_templates())
        for path in paths:
            spec = load_kind(path, vocab, LETTER_NEEDS)
            typer.echo(f"ok: {path} ({spec.kind} v{spec.version})")


@app.command("diagram")
def workflows_diagram(
    kind: str,
    fmt: Annotated[str, typer.Option("--format", help="mermaid, dot, svg of png.")] = "mermaid",
    current: Annotated[str | None, typer.Option(help="Markeer deze fase.")] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Schrijf naar dit bestand (png: verplicht).")
    ] = None,
) -> None:
    """Diagram van een workflow: Mermaid- of DOT-tekst, of een tekening (svg, png) door Graphviz."""
    try:
        spec = runtime().catalog.spec(kind)
    except KeyError as exc:
        fail(f"kind: {exc.args[0]}", 2)
    if current is not None and current not in spec.states:
        fail(f"current: onbekende fase '{current}'", 2)
    texts: dict[str, Callable[..., str]] = {"mermaid": to_mermaid, "dot": to_dot}
    if fmt not in {*texts, "svg", "png"}:
        fail(f"format: kies mermaid, dot, svg of png, niet '{fmt}'", 2)
    if fmt == "png" and output is None:
        fail("format: png is een afbeelding; geef een bestand met --output", 2)
    renderer = DiagramRenderer.from_path()
    if fmt in {"svg", "png"} and renderer.graphviz is None:
        if fmt == "png":
            fail("format: png vraagt Graphviz ('dot'): apt-get install graphviz", 1)
        typer.echo("let op: Graphviz ('dot') ontbreekt; het diagram is zonder Graphviz getekend", err=True)
    if fmt == "png":
        try:
            picture = renderer.png(spec, current)
        except GraphvizError as exc:
            fail(f"graphviz: {exc}", 1)
    else:
        picture = (renderer.svg if fmt == "svg" else texts[fmt])(spec, current).encode("utf-8")
    if output is None:
        typer.echo(picture.decode("utf-8"), nl=False)
    else:
        output.write_bytes(picture)
        typer.echo(f"geschreven: {output}", err=True)


@app.command("schema")
def workflows_schema() -> None:
    """JSON Schema van een spec-bestand, voor aanvullen en controleren in de editor."""
    typer.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


@app.command("lock")
def workflows_lock(
    directory: Annotated[
        Path | None, typer.Argument(help="Map met specs (standaard claims/kinds/workflows/).")
    ] = None,
) -> None:
    """Leg de vingerafdruk vast van elke nieuwe versie in specs.lock naast de specs (een vastgelegde
    versie verandert nooit: geef een gewijzigde spec een nieuwe versie)."""
    folder = directory or SPEC_DIR
    with domain_errors():
        catalog = load_catalog(folder)  # refuses a locked version that changed
        added = write_lock(folder, catalog.specs.values())
    for kind, version in added:
        typer.echo(f"vastgelegd: {kind} versie {version}")
    if not added:
        typer.echo("niets nieuws: elke versie was al vastgelegd")


@app.command("migrate")
def workflows_migrate(
    kind: str,
    to: Annotated[int, typer.Option("--to", help="De nieuwere versie waarnaar open claims gaan.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Toon alleen wat er zou veranderen.")] = False,
) -> None:
    """Zet de open claims van een soort over naar een nieuwere workflowversie (migrates_from in die
    versie), elke claim in een eigen transactie. Exit 8 als er claims geweigerd zijn (ze staan erbij)."""
    rt = runtime()
    with Session(engine(), expire_on_commit=False) as session, domain_errors():
        try:
            if dry_run:
                steps = plan_migration(session, rt, kind, to)
            else:
                steps = migrate(session, rt, kind, to, operator_label())
        except KeyError as exc:
            fail(f"kind/--to: {exc.args[0]}", 2)
    for step in steps:
        typer.echo(_described(step, rt.tz))
    refused = [s for s in steps if s.refused is not None]
    done = len(steps) - len(refused)
    if not steps:
        typer.echo(f"niets te doen: geen open claims van {kind} onder een versie voor {to}")
    else:
        typer.echo(f"{'zou migreren' if dry_run else 'gemigreerd'}: {done}; geweigerd: {len(refused)}")
    if refused:
        raise typer.Exit(MIGRATION_REFUSED)


def _described(step: MigrationStep, tz: ZoneInfo) -> str:
    head = f"{step.reference}: versie {step.from_version} fase {step.from_state}"
    if step.refused is not None:
        return f"{head}: geweigerd: {step.refused}"
    parts = [f"{head} -> versie {step.to_version} fase {step.to_state}"]
    if step.cancelled:
        parts.append(f"termijnen gestopt: {', '.join(step.cancelled)}")
    if step.opened:
        opened = ", ".join(f"{d.name} (uiterlijk {local_moment(d.due_at, tz)})" for d in step.opened)
        parts.append(f"termijnen gestart: {opened}")
    return "; ".join(parts)
