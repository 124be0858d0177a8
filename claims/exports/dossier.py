"""The dossier of one claim as one ZIP, for a lawyer or Kifid: the timeline PDF, every letter as PDF,
every document (its content verified against its sha256 first), and a manifest (CSV and JSON) with each
file's sha256 and the claim's chain head, so a copy can be checked against the live file later. For a
manager; recorded in the audit trail before any byte leaves; streamed as it is written."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from claims.documents.store import DocumentStore
from claims.exports.timelines import ExportFile, claim_timeline
from claims.people.permissions import check_is_manager
from claims.reads.audit import record
from claims.reads.documents import claim_documents, document_content
from claims.reads.queries import claim_letters, letter
from claims.runtime import Runtime
from claims.storage.models import User
from notifications.letters import to_pdf

MEDIA_TYPE = "application/zip"
MANIFEST_COLUMNS = ("pad", "soort", "titel", "sha256", "bytes")
CHUNK = 1 << 16


class _Sink(io.RawIOBase):
    """What zipfile writes to: it keeps the bytes until the response takes them (a ZIP on a stream that
    cannot seek puts each file's sizes after its data, so nothing is written twice)."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


def export_dossier(
    engine: Engine, rt: Runtime, store: DocumentStore, reference: str, actor: User | None, channel: str
) -> ExportFile:
    """The claim's dossier as a ZIP, produced while it is sent (from a session of its own: the request's
    is gone by then). Who may have it and the audit entry are settled before the first byte."""
    if actor is not None:
        check_is_manager(actor)
    with Session(engine, expire_on_commit=False) as session:
        timeline = claim_timeline(session, rt, reference, actor)  # ClaimNotFound as for reading the claim
        claim_ref = timeline.history.claim.reference
        letters = claim_letters(session, claim_ref, actor)
        documents = claim_documents(session, claim_ref, actor)
        _record(session, timeline, actor, channel, len(letters), len(documents))
    return ExportFile(
        f"{claim_ref}-dossier.zip",
        MEDIA_TYPE,
        _chunks(engine, rt, store, timeline, letters, documents, actor, channel),
    )


def _record(
    session: Session, timeline: Any, actor: User | None, channel: str, letters: int, documents: int
) -> None:
    record(
        session,
        at=timeline.generated_at,
        actor=actor,
        channel=channel,
        action="export_dossier",
        subject=timeline.history.claim.reference,
        format="zip",
        detail={"letters": letters, "documents": documents, "chain": timeline.chain.sha256},
    )


def _chunks(
    engine: Engine,
    rt: Runtime,
    store: DocumentStore,
    timeline: Any,
    letters: list[dict[str, Any]],
    documents: list[dict[str, Any]],
    actor: User | None,
    channel: str,
) -> Iterator[bytes]:
    from claims.exports.pdf import timeline_pdf  # WeasyPrint loads slowly; only PDFs need it

    claim_ref = timeline.history.claim.reference
    stamp = timeline.generated_at.astimezone(ZoneInfo(timeline.tz_name))  # a ZIP's times are local
    sink = _Sink()
    manifest: list[dict[str, Any]] = []
    with Session(engine) as session, zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as zf:

        def add(path: str, kind: str, title: str, content: bytes) -> None:
            zf.writestr(_entry(path, stamp), content)
            manifest.append(_listed(path, kind, title, hashlib.sha256(content).hexdigest(), len(content)))

        add("tijdlijn.pdf", "tijdlijn", f"Tijdlijn {claim_ref}", timeline_pdf(timeline))
        yield sink.take()
        for x in letters:
            full = letter(session, x["id"], actor)
            add(f"brieven/{x['id']:05d}-{x['template']}.pdf", "brief", x["title"], to_pdf(full["html"]))
            yield sink.take()
        for d in documents:
            # read and verified whole first (a damaged document stops the dossier, on record as an incident)
            found, content = document_content(session, rt, store, claim_ref, d["id"], actor, channel)
            path = f"documenten/{d['id']:05d}-{found['filename']}"
            digest, size = hashlib.sha256(), 0
            with content, zf.open(_entry(path, stamp), mode="w") as dest:
                while chunk := content.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    dest.write(chunk)
                    yield sink.take()
            manifest.append(_listed(path, "document", found["title"], digest.hexdigest(), size))
        head = {
            "claim": claim_ref,
            "generated_at": timeline.generated_at.isoformat(),
            "chain_head": timeline.chain.sha256,
            "chain_events": timeline.chain.events,
            "files": manifest,
        }
        zf.writestr(
            _entry("manifest.json", stamp),
            json.dumps(head, ensure_ascii=False, indent=2).encode(),
        )
        zf.writestr(_entry("manifest.csv", stamp), _manifest_csv(head).encode())
    yield sink.take()


def _listed(path: str, kind: str, title: str, sha256: str, size: int) -> dict[str, Any]:
    return {"pad": path, "soort": kind, "titel": title, "sha256": sha256, "bytes": size}


def _entry(path: str, at: datetime) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=at.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _manifest_csv(head: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(["claim", head["claim"]])
    writer.writerow(["keten", head["chain_head"], f"{head['chain_events']} gebeurtenissen"])
    writer.writerow(["gemaakt", head["generated_at"]])
    writer.writerow(MANIFEST_COLUMNS)
    for f in head["files"]:
        writer.writerow([f[c] for c in MANIFEST_COLUMNS])
    return out.getvalue()
