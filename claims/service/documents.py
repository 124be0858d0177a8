"""Documents added to a claim: checked (who adds it, what kind, its type by content), stored by sha256 and
put on the timeline in one transaction; and a received letter marked as the answer to an open request
for information."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.engine import Connection

from claims.documents.filenames import safe_filename
from claims.documents.sniff import sniff
from claims.documents.store import DocumentStore
from claims.documents.types import (
    ANSWERING_DOC_TYPE,
    DOC_TYPES,
    EXPERT_DOC_TYPES,
    MAX_TITLE,
    VISIBILITIES,
)
from claims.documents.upload import Upload
from claims.errors import CannotAnswer, ClaimNotFound, DocumentNotFound
from claims.people.permissions import check_may_act
from claims.runtime import Runtime
from claims.service.deadline_changes import answer_received
from claims.service.timeline import append_aside
from claims.storage.db import Db, in_write
from claims.storage.models import Role, User
from claims.storage.records import ClaimRecord
from claims.storage.repositories import claims, documents
from claims.text import unstorable
from workflow.errors import Forbidden, InvalidInput


@dataclass(frozen=True)
class DocumentAdded:
    id: int
    sha256: str
    size: int
    media_type: str
    event_id: int


def check_fields(values: dict[str, str], actor: User, today: date) -> dict[str, Any]:
    """The document's own fields (title, doc_type, received_on, visibility) as stored; InvalidInput naming
    each one that is wrong. An expert adds only their report and correspondence, always shared."""
    errors: dict[str, str] = {}
    title = values.get("title", "").strip()
    if not title:
        errors["title"] = "geef het document een titel"
    elif len(title) > MAX_TITLE:
        errors["title"] = f"hoogstens {MAX_TITLE} tekens ({len(title)} ingevuld)"
    elif problem := unstorable(title):
        errors["title"] = problem
    doc_type = values.get("doc_type", "")
    allowed = EXPERT_DOC_TYPES if actor.role == Role.expert else tuple(DOC_TYPES)
    if doc_type not in allowed:
        errors["doc_type"] = "kies een van: " + ", ".join(DOC_TYPES[t] for t in allowed)
    received_on: date | None = None
    if raw := values.get("received_on", "").strip():
        try:
            received_on = date.fromisoformat(raw)
        except ValueError:
            errors["received_on"] = "geen datum (JJJJ-MM-DD)"
        else:
            if received_on > today:
                errors["received_on"] = "ligt in de toekomst"
    visibility = values.get("visibility", "") or "internal"
    if actor.role == Role.expert:
        visibility = "shared"  # what an expert adds is theirs and the insurer's both
    elif visibility not in VISIBILITIES:
        errors["visibility"] = "intern of gedeeld"
    if errors:
        raise InvalidInput(errors)
    return {"title": title, "doc_type": doc_type, "received_on": received_on, "visibility": visibility}


def _claim_for(conn: Connection, reference: str, actor: User) -> ClaimRecord:
    claim = claims.by_reference(conn, reference)
    if claim is None:
        raise ClaimNotFound(f"Claim {reference} bestaat niet.")
    check_may_act(actor, claim)
    return claim


def add_document(
    db: Db,
    rt: Runtime,
    store: DocumentStore,
    reference: str,
    upload: Upload,
    filename: str,
    values: dict[str, str],
    actor: User,
) -> DocumentAdded:
    """Add the uploaded file to the claim: its fields and type checked first (nothing is stored when
    one is wrong), its content put in the store, its row and timeline event written in one transaction.

    The content goes into the store before the transaction: content no row names is harmless (and
    stored once), a row whose content is missing would not be."""
    fields = check_fields(values, actor, rt.clock().astimezone(rt.tz).date())
    name = safe_filename(filename)
    sniffed = sniff(upload.rewound(), name)
    _claim_for(db if isinstance(db, Connection) else db.connection(), reference, actor)  # before storing
    sha256 = store.put(upload.rewound())
    if sha256 != upload.sha256:
        raise RuntimeError("the upload changed while it was stored")

    def work(conn: Connection) -> DocumentAdded:
        claim = _claim_for(conn, reference, actor)
        now = rt.clock()
        event_id = append_aside(
            conn,
            claim,
            actor.id,
            now,
            "document",
            {
                "title": fields["title"],
                "doc_type": fields["doc_type"],
                "sha256": sha256,
                "size": upload.size,
                "media_type": sniffed.media_type,
                "visibility": fields["visibility"],
                "received_on": fields["received_on"].isoformat() if fields["received_on"] else None,
            },
        )
        document_id = documents.add(
            conn,
            {
                **fields,
                "claim_id": claim.id,
                "event_id": event_id,
                "sha256": sha256,
                "size": upload.size,
                "media_type": sniffed.media_type,
                "filename": name,
                "uploaded_by": actor.id,
                "uploaded_at": now,
                "answers_request": None,
            },
        )
        return DocumentAdded(document_id, sha256, upload.size, sniffed.media_type, event_id)

    return in_write(db, work)


# the transition a received letter marked as the answer stands for, in the clocks (spec version 4 on)
ANSWER_TRIGGER = "register_answer"


def mark_answer(db: Db, rt: Runtime, reference: str, document_id: int, request: int, actor: User) -> int:
    """Record that a received letter (a correspondence_in document) answers the claim's open information
    request number `request` (its index in case_data["information_requests"]); the timeline event's id."""
    if actor.role == Role.expert:
        raise Forbidden("Alleen de behandelaar of een manager koppelt een antwoord aan een verzoek.")

    def work(conn: Connection) -> int:
        claim = _claim_for(conn, reference, actor)
        # the claim's row first, as a transition holds it: an answer and an information request at the
        # same moment are weighed one after the other, against each other's outcome
        claims.lock(conn, claim.id)
        claim = _claim_for(conn, reference, actor)
        document = documents.by_id(conn, claim.id, document_id)
        if document is None:
            raise DocumentNotFound(f"Document {document_id} hoort niet bij claim {reference}.")
        if document.doc_type != ANSWERING_DOC_TYPE:
            raise CannotAnswer(
                {"document": f"alleen {DOC_TYPES[ANSWERING_DOC_TYPE].lower()} beantwoordt een verzoek"}
            )
        if document.answers_request is not None:
            raise CannotAnswer(
                {"document": f"beantwoordt al informatieverzoek {document.answers_request + 1}"}
            )
        requests = claim.case_data.get("information_requests", [])
        if not 0 <= request < len(requests):
            raise CannotAnswer({"request": f"deze claim heeft geen informatieverzoek {request + 1}"})
        if request in documents.answered_requests(conn, claim.id) or requests[request].get("answered_on"):
            raise CannotAnswer({"request": f"informatieverzoek {request + 1} is al beantwoord"})
        if not documents.mark_answer(conn, document_id, request):
            raise CannotAnswer({"document": "beantwoordt al een informatieverzoek"})
        # the letter is the answer as much as registering it is: the answer term is met, and what
        # waited on the request (opschorting) runs on
        clocks = answer_received(
            conn, rt, rt.catalog.spec(claim.kind, claim.spec_version), claim, ANSWER_TRIGGER
        )
        return append_aside(
            conn,
            claim,
            actor.id,
            rt.clock(),
            "document_answer",
            {
                "document_id": document_id,
                "title": document.title,
                "sha256": document.sha256,
                "request": request,
                "questions": requests[request].get("questions", ""),
                "received_on": document.received_on.isoformat() if document.received_on else None,
                "visibility": document.visibility,
                **({"clocks": clocks} if clocks else {}),
            },
        )

    return in_write(db, work)
