"""The dossier ZIP of one claim: the timeline PDF, every letter's PDF, every document as stored, and a
manifest (JSON and CSV) whose sha256 of each file matches the file, with the claim's chain head; for a
manager, on record in the audit trail; a damaged document stops it."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from claims.documents.store import FileStore
from claims.documents.upload import receive
from claims.errors import DocumentDamaged
from claims.exports.dossier import export_dossier
from claims.reads.audit import entries
from claims.runtime import Runtime
from claims.service import add_document
from claims.storage.repositories import claims, events
from tests.claims.driver import Driver
from tests.factories import World
from workflow.errors import Forbidden

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00:~\x9bU\x00\x00"
    b"\x00\nIDATx\x9cc`\x00\x00\x00\x02\x00\x01H\xaf\xa4q\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _claim_with_paper(engine: Engine, rt: Runtime, world: World, store: FileStore) -> str:
    driver = Driver(engine, rt, world)
    ref = driver.bring_to("contract_breach", "expertise")  # letters of receipt, cover and appointment
    for content, name, fields in (
        (PDF, "contract.pdf", {"title": "Overeenkomst", "doc_type": "contract", "visibility": "internal"}),
        (PNG, "foto.png", {"title": "Foto van het scherm", "doc_type": "other", "visibility": "shared"}),
    ):
        with Session(engine) as s, receive(io.BytesIO(content), 1_000_000) as upload:
            add_document(s, rt, store, ref, upload, name, fields, world.handler)
    return ref


def test_the_dossier_holds_every_file_and_its_manifest_matches_them(
    engine: Engine, rt: Runtime, world: World, tmp_path: Path
) -> None:
    store = FileStore(tmp_path / "store")
    ref = _claim_with_paper(engine, rt, world, store)
    export = export_dossier(engine, rt, store, ref, world.manager, "web")
    assert export.filename == f"{ref}-dossier.zip" and export.media_type == "application/zip"
    data = b"".join(export.chunks)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        manifest = json.loads(zf.read("manifest.json"))
        rows = list(csv.reader(io.StringIO(zf.read("manifest.csv").decode()), delimiter=";"))
        files = {n: zf.read(n) for n in names if not n.startswith("manifest.")}
    assert names[0] == "tijdlijn.pdf" and files["tijdlijn.pdf"].startswith(b"%PDF")
    letters = [n for n in names if n.startswith("brieven/")]
    documents = [n for n in names if n.startswith("documenten/")]
    assert len(letters) == 4 and all(files[n].startswith(b"%PDF") for n in letters)
    assert len(documents) == 2 and files[documents[0]] == PDF and files[documents[1]] == PNG
    listed = {f["pad"]: f for f in manifest["files"]}
    assert set(listed) == set(files)
    for name, content in files.items():  # each file is what the manifest says it is
        assert listed[name]["sha256"] == hashlib.sha256(content).hexdigest()
        assert listed[name]["bytes"] == len(content)
    with engine.connect() as conn:
        claim = claims.by_reference(conn, ref)
        assert claim is not None
        head = events.head(conn, claim.id)
    assert (manifest["chain_head"], manifest["chain_events"]) == (head.sha256, head.events)
    assert rows[1][:2] == ["keten", head.sha256]
    assert {tuple(r) for r in rows[4:]} == {
        (f["pad"], f["soort"], f["titel"], f["sha256"], str(f["bytes"])) for f in manifest["files"]
    }
    entry = next(e for e in entries(engine.connect(), limit=5) if e.action == "export_dossier")
    assert (entry.subject, entry.actor, entry.format) == (ref, world.manager.email, "zip")


def test_only_a_manager_takes_the_dossier_and_a_damaged_document_stops_it(
    engine: Engine, rt: Runtime, world: World, tmp_path: Path
) -> None:
    store = FileStore(tmp_path / "store")
    ref = _claim_with_paper(engine, rt, world, store)
    with pytest.raises(Forbidden):
        export_dossier(engine, rt, store, ref, world.handler, "web")
    for path in (tmp_path / "store").rglob("*"):
        if path.is_file() and path.read_bytes() == PNG:
            path.chmod(0o644)
            path.write_bytes(PNG + b"verminkt")
    export = export_dossier(engine, rt, store, ref, world.manager, "web")
    with pytest.raises(DocumentDamaged):
        b"".join(export.chunks)
