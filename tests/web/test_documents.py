"""Documents through the web app and the API: a round trip with its sha256, the size limit and the type
by content refused before anything is stored, an expert kept to the shared documents of their own claims,
content altered in the store refused with an incident, and a received letter marked as an answer."""

from __future__ import annotations

import hashlib
import io
import logging
import os
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from claims.config import Settings
from claims.runtime import Runtime
from claims.storage.tables import AUDIT, DOCUMENTS
from claims.web.app import create_app
from tests.factories import World
from tests.web.conftest import client_for, form_csrf, forms
from tests.web.test_api import bearer, fire, open_via_api

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
EXE = b"MZ\x90\x00" + b"\x00" * 60 + b"This program cannot be run in DOS mode."
LIMIT = 50_000


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "documenten"


@pytest.fixture
def app(engine: Engine, rt: Runtime, world: World, store_dir: Path) -> Any:
    settings = Settings(
        secret_key="test-secret-" + "x" * 20,
        database_url="sqlite://",
        document_dir=str(store_dir),
        document_max_bytes=LIMIT,
    )
    return create_app(settings, engine, rt)


@pytest.fixture
def api(app: Any) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        yield client


@pytest.fixture
def as_handler(engine: Engine, world: World) -> dict[str, str]:
    return bearer(engine, world.handler)


@pytest.fixture
def as_expert(engine: Engine, world: World) -> dict[str, str]:
    return bearer(engine, world.expert)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def document_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(DOCUMENTS)).scalar_one())


def upload(
    api: TestClient,
    headers: dict[str, str],
    ref: str,
    content: bytes = PDF,
    filename: str = "rapport.pdf",
    **fields: str,
) -> Any:
    data = {"title": "Rapport", "doc_type": "expert_report", "visibility": "internal"} | fields
    return api.post(
        f"/api/claims/{ref}/documents",
        data=data,
        files={"file": (filename, content, "application/octet-stream")},
        headers=headers,
    )


def appointed(api: TestClient, as_handler: dict[str, str], world: World) -> str:
    """A claim with the world's expert appointed on it."""
    ref = open_via_api(api, as_handler)
    assert fire(api, as_handler, ref, "start_coverage_check", {}).status_code == 200
    r = fire(
        api, as_handler, ref, "confirm_cover", {"expert": world.expert.email, "reserve_damages": "10000"}
    )
    assert r.status_code == 200, r.text
    return ref


# --- round trip ------------------------------------------------------------------------------------


def test_a_document_uploaded_through_the_api_comes_back_byte_for_byte_with_its_sha256(
    api: TestClient, as_handler: dict[str, str], store_dir: Path
) -> None:
    ref = open_via_api(api, as_handler)
    r = upload(api, as_handler, ref, filename="Schaderapport café.pdf", received_on="2026-11-10")
    assert r.status_code == 201, r.text
    created = r.json()
    sha = hashlib.sha256(PDF).hexdigest()
    assert created["sha256"] == sha and created["size"] == len(PDF)
    assert created["media_type"] == "application/pdf" and created["received_on"] == "2026-11-10"
    assert r.headers["location"] == f"/api/claims/{ref}/documents/{created['id']}"
    assert (store_dir / sha[:2] / sha[2:4] / sha).read_bytes() == PDF

    listed = api.get(f"/api/claims/{ref}/documents", headers=as_handler).json()
    assert [d["sha256"] for d in listed] == [sha]
    assert api.get(r.headers["location"], headers=as_handler).json() == created

    content = api.get(f"{r.headers['location']}/content", headers=as_handler)
    assert content.status_code == 200
    assert hashlib.sha256(content.content).hexdigest() == sha
    assert content.headers["content-type"] == "application/pdf"
    assert content.headers["x-content-type-options"] == "nosniff"
    assert content.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''Schaderapport%20caf%C3%A9.pdf" in content.headers["content-disposition"]

    timeline = api.get(f"/api/claims/{ref}/timeline", headers=as_handler).json()
    event = [e for e in timeline if e["kind"] == "document"][-1]
    assert event["data"]["sha256"] == sha and event["data"]["title"] == "Rapport"


def test_the_same_content_twice_is_stored_once(
    api: TestClient, as_handler: dict[str, str], store_dir: Path
) -> None:
    ref = open_via_api(api, as_handler)
    assert upload(api, as_handler, ref).status_code == 201
    assert upload(api, as_handler, ref, title="Nog eens").status_code == 201
    assert len(stored_files(store_dir)) == 1


# --- refused before anything is stored -------------------------------------------------------------


def test_an_oversized_file_is_refused_and_nothing_is_stored(
    api: TestClient, engine: Engine, as_handler: dict[str, str], store_dir: Path
) -> None:
    ref = open_via_api(api, as_handler)
    r = upload(api, as_handler, ref, content=PDF + b"0" * LIMIT)
    assert r.status_code == 413
    assert "te groot" in r.json()["detail"]
    assert document_rows(engine) == 0 and stored_files(store_dir) == []


def test_a_body_announced_beyond_the_limit_is_refused_unread(
    api: TestClient, as_handler: dict[str, str]
) -> None:
    ref = open_via_api(api, as_handler)
    headers = {**as_handler, "Content-Type": "multipart/form-data; boundary=x", "Content-Length": "9999999"}
    r = api.post(f"/api/claims/{ref}/documents", content=b"--x--", headers=headers)
    assert r.status_code == 413


@pytest.mark.parametrize(
    ("content", "filename", "says"),
    [
        (PNG, "contract.pdf", "heet .pdf maar is een PNG"),
        (EXE, "factuur.pdf", "wordt niet aangenomen"),
        (EXE, "setup.exe", "wordt niet aangenomen"),
        (b"gewoon wat tekst", "brief.pdf", "heet .pdf maar is een tekstbestand"),
    ],
)
def test_a_disguised_file_is_refused_by_its_content(
    api: TestClient,
    engine: Engine,
    as_handler: dict[str, str],
    store_dir: Path,
    content: bytes,
    filename: str,
    says: str,
) -> None:
    ref = open_via_api(api, as_handler)
    r = upload(api, as_handler, ref, content=content, filename=filename)
    assert r.status_code == 422, r.text
    assert says in r.json()["errors"]["file"]
    assert document_rows(engine) == 0 and stored_files(store_dir) == []


def test_a_word_file_is_known_by_what_it_holds_not_its_name(
    api: TestClient, as_handler: dict[str, str]
) -> None:
    ref = open_via_api(api, as_handler)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    docx = buffer.getvalue()
    r = upload(api, as_handler, ref, content=docx, filename="contract.docx", doc_type="contract")
    assert r.status_code == 201, r.text
    assert r.json()["media_type"].endswith("wordprocessingml.document")
    assert upload(api, as_handler, ref, content=docx, filename="contract.xlsx").status_code == 422


def test_a_refused_field_is_named(api: TestClient, as_handler: dict[str, str]) -> None:
    ref = open_via_api(api, as_handler)
    r = upload(api, as_handler, ref, title="", doc_type="brief", received_on="2099-01-01")
    assert r.status_code == 422
    assert set(r.json()["errors"]) == {"title", "doc_type", "received_on"}


# --- who sees what ---------------------------------------------------------------------------------


def test_an_expert_sees_only_the_shared_documents_of_their_own_claims(
    api: TestClient, world: World, as_handler: dict[str, str], as_expert: dict[str, str]
) -> None:
    mine = appointed(api, as_handler, world)
    other = open_via_api(api, as_handler)
    internal = upload(api, as_handler, mine, title="Intern memo", doc_type="other").json()
    shared = upload(api, as_handler, mine, content=PDF + b"%", title="Opdracht", visibility="shared").json()
    elsewhere = upload(api, as_handler, other, title="Andermans stuk").json()

    assert [d["id"] for d in api.get(f"/api/claims/{mine}/documents", headers=as_expert).json()] == [
        shared["id"]
    ]
    assert (
        api.get(f"/api/claims/{mine}/documents/{shared['id']}/content", headers=as_expert).status_code == 200
    )
    for path in (f"{internal['id']}", f"{internal['id']}/content"):
        assert api.get(f"/api/claims/{mine}/documents/{path}", headers=as_expert).status_code == 404
    assert api.get(f"/api/claims/{other}/documents", headers=as_expert).status_code == 403
    for path in (f"{elsewhere['id']}", f"{elsewhere['id']}/content"):
        assert api.get(f"/api/claims/{other}/documents/{path}", headers=as_expert).status_code == 403
    # the number of another claim's document, asked under this one: not there
    assert api.get(f"/api/claims/{mine}/documents/{elsewhere['id']}", headers=as_expert).status_code == 404
    # and the internal one leaves no trace in the expert's timeline
    titles = [
        e["data"].get("title") for e in api.get(f"/api/claims/{mine}/timeline", headers=as_expert).json()
    ]
    assert "Opdracht" in titles and "Intern memo" not in titles


def test_an_expert_uploads_their_report_shared_and_nothing_else(
    api: TestClient, world: World, as_handler: dict[str, str], as_expert: dict[str, str]
) -> None:
    ref = appointed(api, as_handler, world)
    r = upload(api, as_expert, ref, title="Expertiserapport", visibility="internal")
    assert r.status_code == 201, r.text
    assert r.json()["visibility"] == "shared" and r.json()["uploaded_by"] == world.expert.name
    assert upload(api, as_expert, ref, doc_type="contract").json()["errors"].keys() == {"doc_type"}
    other = open_via_api(api, as_handler)
    assert upload(api, as_expert, other).status_code == 403


# --- damaged content -------------------------------------------------------------------------------


def test_content_altered_in_the_store_is_not_served_and_is_an_incident(
    api: TestClient,
    engine: Engine,
    as_handler: dict[str, str],
    store_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ref = open_via_api(api, as_handler)
    created = upload(api, as_handler, ref).json()
    (path,) = stored_files(store_dir)
    os.chmod(path, 0o644)
    path.write_bytes(PDF.replace(b"Catalog", b"Catalug"))
    with caplog.at_level(logging.ERROR, logger="claimflow.documents"):
        r = api.get(f"/api/claims/{ref}/documents/{created['id']}/content", headers=as_handler)
    assert r.status_code == 500
    assert "beschadigd" in r.json()["detail"]
    assert any(
        rec.levelno == logging.ERROR and created["sha256"] in rec.getMessage() for rec in caplog.records
    )
    with engine.connect() as conn:
        entry = conn.execute(select(AUDIT).where(AUDIT.c.action == "document_damaged")).one()
    assert entry.subject == ref and entry.detail["document_id"] == created["id"]
    assert entry.detail["problem"] == "hash mismatch"

    path.unlink()  # gone altogether: damaged too
    assert (
        api.get(f"/api/claims/{ref}/documents/{created['id']}/content", headers=as_handler).status_code == 500
    )


# --- an answer to a request for information --------------------------------------------------------


def test_a_received_letter_answers_an_open_request_for_information(
    api: TestClient, as_handler: dict[str, str]
) -> None:
    ref = open_via_api(api, as_handler)
    asked = fire(
        api, as_handler, ref, "request_information", {"questions": "De facturen", "answer_days": "10"}
    )
    assert asked.status_code == 200, asked.text
    report = upload(api, as_handler, ref).json()
    letter = upload(
        api,
        as_handler,
        ref,
        content=b"Geachte heer,\nhierbij de facturen.",
        filename="antwoord.txt",
        doc_type="correspondence_in",
        title="Antwoord verzekerde",
    ).json()
    url = f"/api/claims/{ref}/documents"
    refused = api.post(f"{url}/{report['id']}/answer", json={"request": 0}, headers=as_handler)
    # well formed, but not possible as things stand: a conflict, with the field it concerns
    assert refused.status_code == 409 and "document" in refused.json()["errors"]
    assert (
        api.post(f"{url}/{letter['id']}/answer", json={"request": 1}, headers=as_handler).status_code == 409
    )

    r = api.post(f"{url}/{letter['id']}/answer", json={"request": 0}, headers=as_handler)
    assert r.status_code == 200, r.text
    assert r.json()["answers_request"] == 0
    again = upload(
        api, as_handler, ref, content=b"Nog een brief.", filename="b.txt", doc_type="correspondence_in"
    )
    closed = api.post(f"{url}/{again.json()['id']}/answer", json={"request": 0}, headers=as_handler)
    assert closed.status_code == 409 and "al beantwoord" in closed.json()["errors"]["request"]
    timeline = api.get(f"/api/claims/{ref}/timeline", headers=as_handler).json()
    answer = [e for e in timeline if e["kind"] == "document_answer"]
    assert len(answer) == 1 and answer[0]["data"]["request"] == 0
    assert answer[0]["data"]["sha256"] == letter["sha256"]


# --- the claim page --------------------------------------------------------------------------------


def _page_form(page: str, reference: str) -> dict[str, str]:
    action = f"/claims/{reference}/documents"
    return {
        k: v
        for f in forms(page)
        if f["action"] == action
        for k, v in f["fields"].items()
        if k in ("csrf", "version")
    }


def test_the_claim_page_uploads_lists_and_downloads_a_document(
    app: Any, api: TestClient, world: World, as_handler: dict[str, str], store_dir: Path
) -> None:
    ref = open_via_api(api, as_handler)
    browser = client_for(app, world.handler.email)
    page = browser.get(f"/claims/{ref}").text
    assert 'id="documenten"' in page and "Nog geen documenten" in page
    hidden = _page_form(page, ref)
    r = browser.post(
        f"/claims/{ref}/documents",
        data={**hidden, "title": "Melding verzekerde", "doc_type": "melding", "received_on": "2026-11-02"},
        files={"file": ("melding.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 303, r.text
    page = browser.get(r.headers["location"]).text
    assert "Melding verzekerde" in page and "Het document is toegevoegd." in page
    (link,) = [x for x in page.split('"') if x.startswith(f"/claims/{ref}/documents/")]
    download = browser.get(link)
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["x-content-type-options"] == "nosniff"
    assert len(stored_files(store_dir)) == 1


def test_the_claim_page_shows_a_refused_upload_again_with_the_field_marked(
    app: Any, api: TestClient, engine: Engine, world: World, as_handler: dict[str, str], store_dir: Path
) -> None:
    ref = open_via_api(api, as_handler)
    browser = client_for(app, world.handler.email)
    hidden = _page_form(browser.get(f"/claims/{ref}").text, ref)
    r = browser.post(
        f"/claims/{ref}/documents",
        data={**hidden, "title": "Contract", "doc_type": "contract"},
        files={"file": ("contract.pdf", PNG, "application/pdf")},
    )
    assert r.status_code == 422
    assert 'class="field has-error"' in r.text and "heet .pdf maar is een PNG" in r.text
    assert 'value="Contract"' in r.text  # what was typed is kept
    big = browser.post(
        f"/claims/{ref}/documents",
        data={**hidden, "title": "Groot", "doc_type": "contract"},
        files={"file": ("groot.pdf", PDF + b"0" * LIMIT, "application/pdf")},
    )
    assert big.status_code == 413 and "te groot" in big.text
    assert document_rows(engine) == 0 and stored_files(store_dir) == []


def test_an_upload_without_the_page_token_is_refused(
    app: Any, api: TestClient, engine: Engine, world: World, as_handler: dict[str, str], store_dir: Path
) -> None:
    ref = open_via_api(api, as_handler)
    browser = client_for(app, world.handler.email)
    hidden = _page_form(browser.get(f"/claims/{ref}").text, ref)
    r = browser.post(
        f"/claims/{ref}/documents",
        data={**hidden, "csrf": "vervalst", "title": "X", "doc_type": "other"},
        files={"file": ("x.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 403
    assert document_rows(engine) == 0 and stored_files(store_dir) == []
    assert form_csrf  # the helper the other form tests use; this form's token is read with _page_form


def test_an_expert_sees_the_shared_documents_and_uploads_their_report_on_the_claim_page(
    app: Any, api: TestClient, world: World, as_handler: dict[str, str]
) -> None:
    ref = appointed(api, as_handler, world)
    upload(api, as_handler, ref, title="Intern memo", doc_type="other")
    browser = client_for(app, world.expert.email)
    page = browser.get(f"/claims/{ref}").text
    assert "Intern memo" not in page
    assert 'name="visibility"' not in page  # an expert's documents are shared
    hidden = _page_form(page, ref)
    r = browser.post(
        f"/claims/{ref}/documents",
        data={**hidden, "title": "Expertiserapport", "doc_type": "expert_report"},
        files={"file": ("rapport.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 303, r.text
    listed = api.get(f"/api/claims/{ref}/documents", headers=as_handler).json()
    assert [(d["title"], d["visibility"]) for d in listed] == [
        ("Intern memo", "internal"),
        ("Expertiserapport", "shared"),
    ]


def test_the_dossier_zip_through_the_api_and_the_page_holds_the_uploaded_document(
    app: Any, api: TestClient, engine: Engine, as_handler: dict[str, str], world: World
) -> None:
    ref = open_via_api(api, as_handler)
    assert fire(api, as_handler, ref, "start_coverage_check", {}).status_code == 200
    assert upload(api, as_handler, ref).status_code == 201
    as_manager = bearer(engine, world.manager)
    assert api.get(f"/api/claims/{ref}/dossier.zip", headers=as_handler).status_code == 403
    assert api.head(f"/api/claims/{ref}/dossier.zip", headers=as_manager).status_code == 405
    r = api.get(f"/api/claims/{ref}/dossier.zip", headers=as_manager)
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    assert f'filename="{ref}-dossier.zip"' in r.headers["content-disposition"]
    with zipfile.ZipFile(io.BytesIO(r.content)) as zf:
        names = zf.namelist()
        assert any(n.startswith("documenten/") and zf.read(n) == PDF for n in names)
        assert sum(n.startswith("brieven/") for n in names) == 2  # to the insured and to the claimant
        manifest = zf.read("manifest.json").decode()
    assert hashlib.sha256(PDF).hexdigest() in manifest
    with TestClient(app, follow_redirects=False) as page:
        page.cookies.update(client_for(app, world.manager.email).cookies)
        shown = page.get(f"/claims/{ref}")
        assert 'id="dossier"' in shown.text
        assert page.get(f"/claims/{ref}/dossier.zip").status_code == 200
