"""`claimflow workflows`: list, show, check and draw the workflow of each kind of claim, and print the JSON
Schema of a spec file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from claims.cli.context import runtime
from claims.cli.errors import domain_errors, fail
from claims.kinds.catalog import SPEC_DIR, letter_templates, load_catalog, vocabulary
from claims.kinds.lock import read_lock, unlocked, write_lock
from workflow.diagram import to_dot, to_mermaid
from workflow.diagram_render import DiagramRenderer, GraphvizError
from workflow.spec import json_schema, load_spec

app = typer.Typer(
    help="Workflows per soort claim: tonen, controleren, diagram, schema.", no_args_is_help=True
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
            catalog = load_catalog()
            typer.echo(f"ok: {len(catalog.specs)} workflows")
            for spec in unlocked(catalog.specs.values(), read_lock(SPEC_DIR)):
                typer.echo(
                    f"nog niet vastgelegd: {spec.kind} versie {spec.version} (claimflow workflows lock)"
                )
            return
        vocab = vocabulary(letter_templates())
        for path in paths:
            spec = load_spec(path, vocab)
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
