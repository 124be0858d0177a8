"""`claimflow claims documents` and `claimflow claims attach`: a claim's documents listed, and a file
added to a claim as the given user (its type read from its content, its size under the limit)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from sqlmodel import Session

from claims.cli.context import AsOption, acting_user, engine, runtime, settings
from claims.cli.errors import EXIT_CODES, domain_errors, fail
from claims.documents.types import DOC_TYPES
from claims.documents.upload import receive
from claims.reads.documents import claim_documents
from claims.service import add_document
from notifications.formatting import local_moment
from workflow.errors import InvalidInput


def register(app: typer.Typer) -> None:
    app.command("documents")(claims_documents)
    app.command("attach")(claims_attach)


def claims_documents(reference: str) -> None:
    """Toon de documenten van een claim: nummer, soort, titel, grootte, sha256, zichtbaarheid."""
    rt = runtime()
    with Session(engine()) as session, domain_errors():
        found = claim_documents(session, reference)
    for d in found:
        typer.echo(
            f"{d['id']:<5} {d['doc_type']:<19} {d['visibility']:<8} {d['size']:>10} "
            f"{d['sha256']}  {local_moment(d['uploaded_at'], rt.tz)}  {d['title']}"
        )


def claims_attach(
    reference: str,
    file: Annotated[
        Path, typer.Argument(help="Het bestand (PDF, PNG, JPEG, TIFF, DOCX, XLSX, MSG, EML, tekst).")
    ],
    actor: AsOption,
    doc_type: Annotated[str, typer.Option("--type", help="Soort: " + ", ".join(DOC_TYPES))],
    title: Annotated[str, typer.Option(help="Titel van het document.")],
    received: Annotated[str, typer.Option(help="Ontvangen op (JJJJ-MM-DD).")] = "",
    shared: Annotated[bool, typer.Option("--shared", help="Gedeeld met de expert (anders intern).")] = False,
) -> None:
    """Voeg een bestand als document toe aan een claim."""
    if not file.is_file():
        fail(f"FILE: {file} is geen bestand", EXIT_CODES[InvalidInput])
    values = {
        "title": title,
        "doc_type": doc_type,
        "received_on": received,
        "visibility": "shared" if shared else "internal",
    }
    with (
        Session(engine(), expire_on_commit=False) as session,
        domain_errors(),
        file.open("rb") as stream,
        receive(stream, settings().document_max_bytes) as upload,
    ):
        added = add_document(
            session,
            runtime(),
            settings().document_store(),
            reference,
            upload,
            file.name,
            values,
            acting_user(session, actor),
        )
    typer.echo(
        f"document {added.id} toegevoegd aan {reference}: {added.media_type}, {added.size} bytes, "
        f"sha256 {added.sha256}"
    )
