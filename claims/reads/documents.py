"""A claim's documents as a reader may see them (an expert: only the shared ones of their claims), the
information requests still waiting for an answer, and a document's content verified against its sha256
before a byte of it is served: a mismatch is an incident (logged, and in the audit trail), never served."""

from __future__ import annotations

import hashlib
import logging
import tempfile
from typing import IO, Any

from sqlmodel import Session

from claims.documents.store import CHUNK, DocumentStore
from claims.errors import DocumentDamaged, DocumentNotFound
from claims.reads.audit import record
from claims.reads.queries import readable_claim
from claims.runtime import Runtime
from claims.storage.models import Role, User
from claims.storage.repositories import documents

log = logging.getLogger("claimflow.documents")


def _shared_only(actor: User | None) -> bool:
    return actor is not None and actor.role == Role.expert


def claim_documents(session: Session, reference: str, actor: User | None = None) -> list[dict[str, Any]]:
    """The claim's documents the actor may see, in the order they were added (None: an operator)."""
    conn = session.connection()
    claim = readable_claim(conn, reference, actor)
    return [dict(r._mapping) for r in documents.of_claim(conn, claim.id, shared_only=_shared_only(actor))]


def document(session: Session, reference: str, document_id: int, actor: User | None = None) -> dict[str, Any]:
    """One document of the claim; DocumentNotFound also when the actor may not see it (an internal one
    asked for by an expert), so that its existence is not given away."""
    conn = session.connection()
    claim = readable_claim(conn, reference, actor)
    row = documents.by_id(conn, claim.id, document_id)
    if row is None or (_shared_only(actor) and row.visibility != "shared"):
        raise DocumentNotFound(f"Document {document_id} bestaat niet bij claim {reference}.")
    return dict(row._mapping)


def open_requests(session: Session, reference: str, actor: User | None = None) -> list[dict[str, Any]]:
    """The claim's information requests no document answers yet, each with its index ("request")."""
    conn = session.connection()
    claim = readable_claim(conn, reference, actor)
    answered = documents.answered_requests(conn, claim.id)
    asked = claim.case_data.get("information_requests", [])
    return [
        {"request": i, **r} for i, r in enumerate(asked) if i not in answered and not r.get("answered_on")
    ]


def document_content(
    session: Session,
    rt: Runtime,
    store: DocumentStore,
    reference: str,
    document_id: int,
    actor: User | None,
    channel: str,
) -> tuple[dict[str, Any], IO[bytes]]:
    """The document and a copy of its content, read whole and checked against its sha256 first: what is
    served is exactly what was verified. DocumentDamaged (after the incident is on record) otherwise."""
    found = document(session, reference, document_id, actor)
    copy = tempfile.SpooledTemporaryFile(max_size=1_000_000)  # noqa: SIM115 (handed on to the response)
    digest = hashlib.sha256()
    problem = ""
    try:
        with store.open(found["sha256"]) as content:
            while chunk := content.read(CHUNK):
                digest.update(chunk)
                copy.write(chunk)
    except FileNotFoundError:
        problem = "missing"
    if not problem and digest.hexdigest() != found["sha256"]:
        problem = "hash mismatch"
    if problem:
        copy.close()
        _incident(session, rt, found, reference, actor, channel, problem, digest.hexdigest())
        raise DocumentDamaged(
            f"Document {document_id} ({found['title']}) is beschadigd: de inhoud klopt niet meer met de "
            "opgeslagen sha256. Het wordt niet geleverd; de beheerder is gewaarschuwd."
        )
    copy.seek(0)
    return found, copy


def _incident(
    session: Session,
    rt: Runtime,
    found: dict[str, Any],
    reference: str,
    actor: User | None,
    channel: str,
    problem: str,
    actual: str,
) -> None:
    log.error(
        "document %s of %s damaged (%s): stored sha256 %s, content %s",
        found["id"],
        reference,
        problem,
        found["sha256"],
        actual if problem != "missing" else "-",
    )
    record(
        session,
        at=rt.clock(),
        actor=actor,
        channel=channel,
        action="document_damaged",
        subject=reference,
        format=found["media_type"],
        detail={
            "document_id": found["id"],
            "title": found["title"],
            "problem": problem,
            "sha256": found["sha256"],
            "content_sha256": actual if problem != "missing" else None,
        },
    )
