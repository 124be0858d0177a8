"""Documents through the service on either database: added with their timeline event in one transaction,
refused before anything is stored, an internal one kept from the expert, damaged content an incident,
an answer to an open information request, and the timeline PDF naming every document by its sha256."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from claims.documents.store import FileStore
from claims.documents.upload import receive
from claims.errors import DocumentDamaged, DocumentNotFound, DocumentTooLarge
from claims.reads.audit import entries
from claims.reads.documents import claim_documents, document, document_content, open_requests
from claims.reads.queries import timeline
from claims.runtime import Runtime
from claims.service import add_document, advance, mark_answer, open_claim
from claims.storage.tables import CLAIMS, DEADLINES
from tests.conftest import snapshot
from tests.factories import World, melding
from workflow.errors import Forbidden, InvalidInput

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\n%%EOF\n"
FIELDS = {"title": "Polisvoorwaarden", "doc_type": "contract", "visibility": "internal"}


@pytest.fixture
def store(tmp_path: Path) -> FileStore:
    return FileStore(tmp_path / "store")


def _add(
    s: Session,
    rt: Runtime,
    store: FileStore,
    ref: str,
    actor: object,
    content: bytes = PDF,
    name: str = "stuk.pdf",
    **fields: str,
) -> int:
    with receive(io.BytesIO(content), 1_000_000) as upload:
        added = add_document(s, rt, store, ref, upload, name, FIELDS | fields, actor)  # type: ignore[arg-type]
    return added.id


def test_a_document_and_its_event_are_written_together_and_read_back_verified(
    engine: Engine, rt: Runtime, world: World, store: FileStore
) -> None:
    with Session(engine, expire_on_commit=False) as s:
        ref = open_claim(s, rt, melding(), world.handler).reference
        doc_id = _add(s, rt, store, ref, world.handler, received_on="2026-11-01")
        found, content = document_content(s, rt, store, ref, doc_id, world.handler, "cli")
        with content:
            assert content.read() == PDF
        assert found["sha256"] == hashlib.sha256(PDF).hexdigest() and found["uploader"] == world.handler.name
        event = next(e for e in timeline(s, ref) if e["kind"] == "document")
    assert event["data"]["sha256"] == found["sha256"] and event["data"]["received_on"] == "2026-11-01"
    assert store.exists(found["sha256"])


def test_a_refused_document_leaves_the_database_and_the_store_as_they_were(
    engine: Engine, rt: Runtime, world: World, store: FileStore
) -> None:
    with Session(engine, expire_on_commit=False) as s:
        ref = open_claim(s, rt, melding(), world.handler).reference
    before = snapshot(engine)
    with Session(engine, expire_on_commit=False) as s:
        with pytest.raises(DocumentTooLarge):
            receive(io.BytesIO(PDF * 100), len(PDF) * 10)
        with pytest.raises(InvalidInput) as refused:
            _add(s, rt, store, ref, world.handler, content=b"\x89PNG\r\n\x1a\n" + b"\x00" * 30)
        assert "file" in refused.value.errors
        with pytest.raises(Forbidden):
            _add(s, rt, store, ref, world.other_handler)  # reads the team's claims, is not on this one
    assert snapshot(engine) == before
    assert not store.root.exists() or not any(p.is_file() for p in store.root.rglob("*"))


def test_an_expert_never_sees_an_internal_document(
    engine: Engine, rt: Runtime, world: World, store: FileStore
) -> None:
    with Session(engine, expire_on_commit=False) as s:
        ref = open_claim(s, rt, melding(), world.handler).reference
        advance(s, rt, ref, "start_coverage_check", {}, world.handler, 1)
        advance(
            s,
            rt,
            ref,
            "confirm_cover",
            {"expert": world.expert.email, "reserve_damages": "1000"},
            world.handler,
            2,
        )
        internal = _add(s, rt, store, ref, world.handler)
        shared = _add(s, rt, store, ref, world.handler, content=PDF + b" ", visibility="shared")
        assert [d["id"] for d in claim_documents(s, ref, world.expert)] == [shared]
        with pytest.raises(DocumentNotFound):
            document(s, ref, internal, world.expert)
        assert document(s, ref, internal, world.manager)["id"] == internal


def test_damaged_content_is_refused_with_an_incident_on_record(
    engine: Engine, rt: Runtime, world: World, store: FileStore
) -> None:
    with Session(engine, expire_on_commit=False) as s:
        ref = open_claim(s, rt, melding(), world.handler).reference
        doc_id = _add(s, rt, store, ref, world.handler)
        path = store.path_of(hashlib.sha256(PDF).hexdigest())
        path.chmod(0o644)
        path.write_bytes(PDF + b"extra")
        with pytest.raises(DocumentDamaged):
            document_content(s, rt, store, ref, doc_id, world.manager, "web")
        (entry,) = [e for e in entries(s.connection()) if e.action == "document_damaged"]
    assert entry.actor == world.manager.email and entry.detail["problem"] == "hash mismatch"


def test_a_received_letter_closes_an_open_information_request(
    engine: Engine, rt: Runtime, world: World, store: FileStore
) -> None:
    with Session(engine, expire_on_commit=False) as s:
        ref = open_claim(s, rt, melding(), world.handler).reference
        advance(
            s,
            rt,
            ref,
            "request_information",
            {"questions": "Het contract", "answer_days": "5"},
            world.handler,
            1,
        )
        assert [r["request"] for r in open_requests(s, ref)] == [0]
        letter = _add(
            s,
            rt,
            store,
            ref,
            world.handler,
            content=b"Hierbij het contract.",
            name="brief.txt",
            doc_type="correspondence_in",
        )
        with pytest.raises(Forbidden):
            mark_answer(s, rt, ref, letter, 0, world.expert)
        rt.clock.advance(days=3)  # type: ignore[attr-defined]
        mark_answer(s, rt, ref, letter, 0, world.handler)
        assert open_requests(s, ref) == []
        assert document(s, ref, letter)["answers_request"] == 0
        answered = timeline(s, ref)[-1]
        assert answered["kind"] == "document_answer"
    # the letter counts as the answer in the clocks too: the answer term is met then
    with engine.connect() as conn:
        claim_id = conn.execute(select(CLAIMS.c.id).where(CLAIMS.c.reference == ref)).scalar_one()
        answer = conn.execute(
            select(DEADLINES).where(
                DEADLINES.c.claim_id == claim_id, DEADLINES.c.name == "antwoord_informatie"
            )
        ).one()
    assert (answer.met_trigger, answer.met_at) == ("register_answer", rt.clock())


def test_a_letter_marked_as_the_answer_lets_a_paused_term_run_on(
    engine: Engine, rt: Runtime, world: World, store: FileStore
) -> None:
    with Session(engine, expire_on_commit=False) as s:
        ref = open_claim(s, rt, melding(), world.handler).reference
        advance(s, rt, ref, "start_coverage_check", {}, world.handler, 1)
        advance(
            s,
            rt,
            ref,
            "request_information",
            {"questions": "Het contract", "answer_days": "5"},
            world.handler,
            2,
        )
        letter = _add(
            s,
            rt,
            store,
            ref,
            world.handler,
            content=b"Het contract.",
            name="b.txt",
            doc_type="correspondence_in",
        )
    with engine.connect() as conn:
        claim_id = conn.execute(select(CLAIMS.c.id).where(CLAIMS.c.reference == ref)).scalar_one()

    def cover() -> Any:
        with engine.connect() as conn:
            return conn.execute(
                select(DEADLINES).where(
                    DEADLINES.c.claim_id == claim_id, DEADLINES.c.name == "standpunt_dekking"
                )
            ).one()

    before = cover()
    assert before.paused_at is not None
    rt.clock.advance(days=7)  # type: ignore[attr-defined]
    with Session(engine, expire_on_commit=False) as s:
        mark_answer(s, rt, ref, letter, 0, world.handler)
        clocks = timeline(s, ref)[-1]["data"]["clocks"]
    after = cover()
    # paused on Monday 16 November, answered a week later: the 7 days are added to its end
    assert after.paused_at is None and after.due_at == before.due_at + timedelta(days=7)
    assert clocks["resumed"][0]["label"] == "Standpunt over dekking en aansprakelijkheid"


def test_the_timeline_pdf_lists_documents_by_title_and_sha256(
    engine: Engine, rt: Runtime, world: World, store: FileStore
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the document is the same on either database")
    from claims.exports.pdf import timeline_html
    from claims.exports.timelines import claim_timeline

    with Session(engine, expire_on_commit=False) as s:
        ref = open_claim(s, rt, melding(), world.handler).reference
        _add(s, rt, store, ref, world.handler, title="Getekende opdrachtbevestiging")
        html = timeline_html(claim_timeline(s, rt, ref, world.manager))
    assert "Getekende opdrachtbevestiging" in html and hashlib.sha256(PDF).hexdigest() in html
