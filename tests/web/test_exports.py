"""Timeline exports on the web and in the API: the buttons only managers see, downloads as attachments
that no cache keeps, refusals for everyone else (nothing recorded), the dashboard's export form shown again
with the wrong fields marked, and every export on the audit trail with its channel."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import Engine, select

from claims.exports.rows import KEYS
from claims.runtime import Runtime
from claims.storage.tables import AUDIT
from claims.web.schemas import TimelineExport, TimelineRowPublic
from tests.claims.driver import Driver
from tests.conftest import snapshot
from tests.factories import World
from tests.web.conftest import forms
from tests.web.test_api import bearer


def _claim(engine: Engine, rt: Runtime, world: World) -> str:
    driver = Driver(engine, rt, world)
    ref = driver.bring_to("contract_breach", "dekkingsonderzoek")
    driver.fire(ref, "confirm_cover", {"expert": world.expert.email, "reserve_damages": "15000"})
    return ref


def _trail(engine: Engine) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [
            (e.actor, e.channel, e.action, e.subject, e.format)
            for e in conn.execute(select(AUDIT).order_by(AUDIT.c.id))
        ]


def _rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def _is_attachment(response: Any, name: str, media: str) -> None:
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"].startswith(media)


def test_a_manager_downloads_a_claims_timeline_from_its_page_in_every_format(
    manager: TestClient, engine: Engine, rt: Runtime, world: World, tmp_path: Path
) -> None:
    ref = _claim(engine, rt, world)
    page = manager.get(f"/claims/{ref}").text
    for fmt in ("pdf", "xlsx", "csv", "json"):
        assert f'href="/claims/{ref}/export?format={fmt}"' in page
    pdf = manager.get(f"/claims/{ref}/export?format=pdf")
    _is_attachment(pdf, f"{ref}-tijdlijn.pdf", "application/pdf")
    assert pdf.content.startswith(b"%PDF")
    sheet = manager.get(f"/claims/{ref}/export?format=xlsx")
    _is_attachment(sheet, f"{ref}-tijdlijn.xlsx", "application/vnd.openxmlformats")
    (tmp_path / "t.xlsx").write_bytes(sheet.content)
    cells = list(load_workbook(tmp_path / "t.xlsx", read_only=True)["Tijdlijn"].iter_rows(values_only=True))
    table = manager.get(f"/claims/{ref}/export?format=csv")
    _is_attachment(table, f"{ref}-tijdlijn.csv", "text/csv")
    rows = _rows(table.content)
    assert len(cells) == len(rows) and rows[0][0] == "Schadenummer"
    assert any(r[5] == "Brief: Bevestiging van dekking" for r in rows)
    as_json = manager.get(f"/claims/{ref}/export?format=json")
    _is_attachment(as_json, f"{ref}-tijdlijn.json", "application/json")
    assert json.loads(as_json.content)["reference"] == ref
    assert _trail(engine) == [
        (world.manager.email, "web", "export_timeline", ref, f) for f in ("pdf", "xlsx", "csv", "json")
    ]


def test_nobody_but_a_manager_exports_and_a_refusal_records_nothing(
    handler: TestClient, expert: TestClient, manager: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = _claim(engine, rt, world)
    assert "/export?format=" not in handler.get(f"/claims/{ref}").text  # the buttons are for managers
    before = snapshot(engine)
    for client in (handler, expert):
        assert client.get(f"/claims/{ref}/export?format=csv").status_code == 403
        assert client.get(f"/claims/{ref}/export?format=zzz").status_code == 403  # refused before checked
        assert client.get("/exports/timelines?format=csv").status_code == 403
    api = TestClient(manager.app)
    for user in (world.handler, world.expert, world.admin):
        headers = bearer(engine, user)
        after_token = snapshot(engine)
        assert api.get(f"/api/claims/{ref}/timeline?format=csv", headers=headers).status_code == 403
        answer = api.get("/api/exports/timelines", headers=headers)
        assert answer.status_code == 403 and answer.json()["detail"] == "Alleen voor managers."
        assert snapshot(engine) == after_token
    assert _trail(engine) == []
    assert manager.get(f"/claims/{ref}/export?format=doc").status_code == 422
    assert manager.get("/claims/CF-2026-999999/export?format=csv").status_code == 404
    assert snapshot(engine)["audit_log"] == before["audit_log"]


def test_the_api_exports_a_claim_and_a_portfolio_and_keeps_the_plain_timeline(
    manager: TestClient, handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = _claim(engine, rt, world)
    other = Driver(engine, rt, world).open("unpaid_fee").reference
    api = TestClient(manager.app)
    headers = bearer(engine, world.manager)
    plain = api.get(f"/api/claims/{ref}/timeline", headers=headers)
    assert plain.status_code == 200 and isinstance(plain.json(), list)  # unchanged without format=
    assert handler.get(f"/api/claims/{ref}/timeline").status_code == 200  # any reader, as before
    one = api.get(f"/api/claims/{ref}/timeline?format=json", headers=headers)
    _is_attachment(one, f"{ref}-tijdlijn.json", "application/json")
    export = TimelineExport.model_validate(one.json())  # the answer is what the API document says it is
    assert {r.source for r in export.rows} == {"event", "deadline", "letter", "money"}
    assert tuple(TimelineRowPublic.model_fields) == KEYS  # a column each, in the CSV's order
    events = [r for r in one.json()["rows"] if r["source"] == "event"]
    assert [r["source_id"] for r in events] == [e["id"] for e in plain.json()]

    everything = api.get("/api/exports/timelines?format=csv", headers=headers)
    assert everything.status_code == 200 and everything.headers["cache-control"] == "no-store"
    assert everything.headers["content-disposition"].startswith(
        'attachment; filename="portefeuille-tijdlijnen-'
    )
    rows = _rows(everything.content)
    assert {r[0] for r in rows[1:]} == {ref, other}
    per_claim = api.get("/api/exports/timelines?format=xlsx&mode=claims&kind=unpaid_fee", headers=headers)
    _is_attachment(per_claim, per_claim.headers["content-disposition"].split('"')[1], "application/vnd")
    assert per_claim.headers["content-disposition"].split('"')[1].startswith("portefeuille-claims-")

    bad = api.get(
        "/api/exports/timelines?format=pdf&mode=x&kind=y&from=2026-02-31&to=9999-12-31&handler=x@y.nl",
        headers=headers,
    )
    assert bad.status_code == 422
    assert set(bad.json()["errors"]) == {"format", "mode", "kind", "opened_from", "opened_to", "handler"}
    assert api.get(f"/api/claims/{ref}/timeline?format=docx", headers=headers).status_code == 422
    assert [t[1:3] for t in _trail(engine)] == [
        ("api", "export_timeline"),
        ("api", "export_portfolio"),
        ("api", "export_portfolio"),
    ]


def test_the_dashboard_offers_the_portfolio_export_and_shows_it_again_with_the_problems_marked(
    manager: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = _claim(engine, rt, world)
    page = manager.get("/dashboard").text
    form = next(f for f in forms(page) if f["action"].startswith("/exports/timelines"))
    assert form["method"] == "get" and {"from", "to", "mode", "format"} <= set(form["fields"])
    section = page[page.index('id="exporteren"') :]
    assert all(f'name="{name}"' in section for name in ("kind", "state", "handler", "overdue"))
    chosen = {**form["fields"], "format": "csv", "handler": world.handler.email}
    got = manager.get("/exports/timelines", params=chosen)
    _is_attachment(got, got.headers["content-disposition"].split('"')[1], "text/csv")
    assert {r[0] for r in _rows(got.content)[1:]} == {ref}

    before = _trail(engine)
    again = manager.get(
        "/exports/timelines",
        params={"format": "csv", "from": "2026-12-01", "to": "2026-11-01", "kind": "zzz"},
    )
    assert again.status_code == 422
    assert 'id="x-to" name="to" value="2026-11-01" aria-invalid="true"' in again.text
    assert "ligt vóór de begindatum" in again.text and "onbekende soort claim" in again.text
    assert 'value="2026-12-01"' in again.text  # what was typed is kept
    assert _trail(engine) == before


def test_a_download_left_halfway_closes_its_export() -> None:
    """What a client that goes away leaves: the export's iterator (a read transaction, perhaps a temporary
    file) is closed, not kept until it is collected."""
    import anyio

    from claims.web.files import closing

    closed: list[bool] = []

    def chunks() -> Iterator[bytes]:
        try:
            yield b"a"
            yield b"b"
        finally:
            closed.append(True)

    async def read_one_and_leave() -> None:
        body = closing(chunks())
        assert await body.__anext__() == b"a"
        await body.aclose()

    anyio.run(read_one_and_leave)
    assert closed == [True]


def test_head_on_an_export_is_refused_and_records_nothing(
    manager: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    """An export is recorded in the audit trail; a HEAD, answered like GET elsewhere, would record
    one and hand nothing over."""
    ref = _claim(engine, rt, world)
    api = bearer(engine, world.manager)
    for url, headers in (
        (f"/claims/{ref}/export?format=pdf", {}),
        ("/exports/timelines?format=csv", {}),
        (f"/api/claims/{ref}/timeline?format=csv", api),
        ("/api/exports/timelines?format=csv", api),
    ):
        answer = manager.head(url, headers=headers)
        assert answer.status_code == 405, url
        assert answer.headers["allow"] == "GET"
    assert _trail(engine) == []
    # the plain timeline is a read: HEAD answers like GET
    assert manager.head(f"/api/claims/{ref}/timeline", headers=api).status_code == 200
    assert manager.get(f"/claims/{ref}/export?format=csv").status_code == 200
    assert len(_trail(engine)) == 1
