"""Timeline exports through the service, on SQLite and PostgreSQL: every seeded case exported matches its
timeline event for event (and its deadlines, letters and money lines one for one); CSV, XLSX and JSON
hold the same rows; formula-like text comes out inert; only managers export, and each export is in the
audit trail; the portfolio filters select what the list selects."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, select
from sqlmodel import Session

from claims.deadlines.sweep import sweep
from claims.errors import ClaimNotFound
from claims.exports.files import DATE_FORMAT, EURO_FORMAT, MOMENT_FORMAT
from claims.exports.query import PortfolioFilter
from claims.exports.rows import KEYS, ROW_LABELS, SOURCE_LABELS
from claims.exports.timelines import (
    ExportFormat,
    PortfolioMode,
    export_claim,
    export_portfolio,
    parse_format,
    parse_portfolio,
)
from claims.people.users import user_by_email
from claims.reads.queries import timeline
from claims.runtime import Runtime
from claims.service import add_note
from claims.storage.models import User
from claims.storage.tables import AUDIT, CLAIMS, DEADLINES, LETTERS, MONEY
from seeds.loader import seed
from tests.claims.driver import Driver
from tests.conftest import snapshot
from tests.factories import World
from workflow.errors import Forbidden, InvalidInput

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
SWEPT = datetime(2026, 11, 23, 9, tzinfo=UTC)
# what a person can type into a claim (the service trims leading blanks, so tab and CR are tested on the
# writers directly below)
INJECTIONS = ('=HYPERLINK("http://evil.example","klik")', "+1+1", "-2+3", "@SUM(A1:A9)")


def _bytes(export: Any) -> bytes:
    return b"".join(export.chunks)


def _csv(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff"), "a BOM, so Excel reads the accents"
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def _local(moment: datetime) -> str:
    return moment.astimezone(AMSTERDAM).isoformat(timespec="seconds")


@pytest.fixture
def seeded(engine: Engine, base_runtime: Runtime) -> Runtime:
    seed(engine, base_runtime)
    # the sweep adds reminders, overdue flags and escalations to the seeded timelines
    sweep(engine, base_runtime, SWEPT)
    with Session(engine, expire_on_commit=False) as s:
        sanne = user_by_email(s, "sanne.behandelaar@claimflow.test")
    assert sanne is not None
    with Session(engine) as s:
        add_note(s, base_runtime, "CF-2026-000001", "Verzekerde belt: logboek volgt vrijdag.", sanne)
    return base_runtime


def _manager(engine: Engine) -> User:
    with Session(engine, expire_on_commit=False) as s:
        user = user_by_email(s, "eva.manager@claimflow.test")
    assert user is not None
    return user


def test_every_seeded_case_exported_matches_its_timeline_event_for_event(
    engine: Engine, seeded: Runtime
) -> None:
    manager = _manager(engine)
    with engine.connect() as conn:
        refs = list(conn.execute(select(CLAIMS.c.reference, CLAIMS.c.id).order_by(CLAIMS.c.id)))
    assert len(refs) == 11
    swept_kinds: set[str] = set()
    for ref, claim_id in refs:
        with Session(engine) as s:
            events = timeline(s, ref)
        with Session(engine) as s:
            exported = json.loads(_bytes(export_claim(s, seeded, ref, ExportFormat.json, manager, "api")))
        rows = exported["rows"]
        assert _chronological(rows), ref
        mine = [r for r in rows if r["source"] == "event"]
        assert [(r["source_id"], r["type"], r["actor"]) for r in mine] == [
            (e["id"], e["kind"], e["actor"] or "systeem") for e in events
        ], ref
        assert [r["at"] for r in mine] == [_local(e["at"]) for e in events]
        for row, event in zip(mine, events, strict=True):
            if event["to"] and event["kind"] in ("opened", "transition"):
                assert row["state"] == seeded.catalog.spec(exported["kind"]).states[event["to"]].label
            if event["note"]:
                assert event["note"] in row["detail"]
        swept_kinds |= {e["kind"] for e in events}
        _deadlines_letters_and_money_match(engine, claim_id, rows)
        _time_per_state_adds_up(engine, claim_id, exported)
    assert {"opened", "transition", "note", "deadline_overdue", "deadline_escalated"} <= swept_kinds


def _chronological(rows: list[dict[str, Any]]) -> bool:
    moments = [datetime.fromisoformat(r["at"]) for r in rows]
    return moments == sorted(moments)


def _deadlines_letters_and_money_match(engine: Engine, claim_id: int, rows: list[dict[str, Any]]) -> None:
    def of(source: str, *types: str) -> list[tuple[Any, ...]]:
        return [(r["source_id"], r["at"]) for r in rows if r["source"] == source and r["type"] in types]

    with engine.connect() as conn:
        deadlines = list(conn.execute(select(DEADLINES).where(DEADLINES.c.claim_id == claim_id)))
        letters = list(conn.execute(select(LETTERS).where(LETTERS.c.claim_id == claim_id)))
        money = list(conn.execute(select(MONEY).where(MONEY.c.claim_id == claim_id)))
    assert sorted(of("deadline", "deadline_set")) == sorted((d.id, _local(d.started_at)) for d in deadlines)
    assert sorted(of("deadline", "deadline_met")) == sorted(
        (d.id, _local(d.met_at)) for d in deadlines if d.met_at
    )
    assert sorted(of("deadline", "deadline_cancelled")) == sorted(
        (d.id, _local(d.cancelled_at)) for d in deadlines if d.cancelled_at and not d.met_at
    )
    due = {r["source_id"]: r["due_at"] for r in rows if r["source"] == "deadline"}
    assert due == {d.id: _local(d.due_at) for d in deadlines}
    assert sorted(of("letter", "letter")) == sorted((x.id, _local(x.created_at)) for x in letters)
    assert sorted(
        (r["source_id"], r["type"], Decimal(r["amount"])) for r in rows if r["source"] == "money"
    ) == sorted((m.id, m.kind, m.amount) for m in money)


def _time_per_state_adds_up(engine: Engine, claim_id: int, exported: dict[str, Any]) -> None:
    """A closed claim's time per state adds up to the time from melding to closing."""
    with engine.connect() as conn:
        claim = conn.execute(select(CLAIMS).where(CLAIMS.c.id == claim_id)).one()
    times = exported["time_per_state"]
    assert times, claim.reference
    if claim.closed_at is None:
        assert times[-1]["ongoing"] or claim.state in ("afgewezen",)
        return
    total = sum(Decimal(t["days"]) for t in times)
    expected = Decimal((claim.closed_at - claim.created_at).total_seconds()) / 86400
    assert abs(total - expected) <= Decimal("0.01") * len(times), claim.reference
    assert not any(t["ongoing"] for t in times)


def test_csv_xlsx_and_json_of_a_claim_hold_the_same_rows(
    engine: Engine, seeded: Runtime, tmp_path: Path
) -> None:
    manager = _manager(engine)
    ref = "CF-2025-000001"  # case 1: melding to settlement, with an advance payment
    files = {}
    for fmt in (ExportFormat.csv, ExportFormat.xlsx, ExportFormat.json):
        with Session(engine) as s:
            export = export_claim(s, seeded, ref, fmt, manager, "web")
        assert export.filename == f"{ref}-tijdlijn.{fmt.value}"
        files[fmt] = _bytes(export)
    as_json = json.loads(files[ExportFormat.json])
    table = _csv(files[ExportFormat.csv])
    header, body = table[0], table[1:]
    assert header[2] == "Tijdstip (Europe/Amsterdam)" and len(header) == len(KEYS)
    assert header[6:8] == ["Door", "E-mail"]
    col = {k: i for i, k in enumerate(KEYS)}
    events = [r for r in body if r[col["source"]] != "Samenvatting"]
    summary = [r for r in body if r[col["source"]] == "Samenvatting"]
    assert len(events) == len(as_json["rows"])
    for line, row in zip(events, as_json["rows"], strict=True):
        # the same row, with the JSON's codes as the spreadsheet's Dutch words
        shown = {
            **row,
            "source": SOURCE_LABELS[row["source"]],
            "type": ROW_LABELS[row["type"]],
            "actor": "" if row["actor"] == "systeem" else row["actor"],
        }
        assert line == ["" if shown[k] is None else str(shown[k]) for k in KEYS]
    assert [(s[col["state"]], s[col["days_in_state"]]) for s in summary] == [
        (t["label"], t["days"]) for t in as_json["time_per_state"]
    ]
    assert {s[col["state"]] for s in summary} >= {
        "Melding ontvangen",
        "Expertise",
        "Schadebeperking",
        "Regeling",
    }
    assert any(r[col["type"]] == "Betaling" and r[col["amount"]] == "125000.00" for r in events)
    assert {r[col["actor_name"]] for r in events} >= {"Sanne de Vries", "Eva Jansen"}

    path = tmp_path / "t.xlsx"
    path.write_bytes(files[ExportFormat.xlsx])
    sheet = load_workbook(path, read_only=True)["Tijdlijn"]
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert cells[0] == header
    assert len(cells) == len(body) + 1
    for got, line in zip(cells[1:], body, strict=True):
        expected: list[Any] = []
        for i, text in enumerate(line):
            if not text:
                expected.append(None)
            elif KEYS[i] in ("at", "due_at"):
                expected.append(datetime.fromisoformat(text).replace(tzinfo=None))
            elif KEYS[i] in ("amount", "days_in_state"):
                expected.append(Decimal(text))
            elif KEYS[i] == "source_id":
                expected.append(int(text))
            else:
                expected.append(text)
        got = got + [None] * (len(header) - len(got))  # a row's empty cells at its end are not stored
        assert [Decimal(str(v)) if isinstance(v, float) else v for v in got] == expected


def test_the_pdf_of_a_claim_draws_its_timeline_and_lists_every_row(
    engine: Engine, seeded: Runtime, tmp_path: Path
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the document is the same on either database")
    from claims.exports.pdf import timeline_html
    from claims.exports.timelines import claim_timeline
    from tests.claims.letters.test_letters_service import pdf_text

    manager = _manager(engine)
    with Session(engine) as s:
        pdf = _bytes(export_claim(s, seeded, "CF-2025-000001", ExportFormat.pdf, manager, "web"))
        html = timeline_html(claim_timeline(s, seeded, "CF-2025-000001", manager))
    assert pdf.startswith(b"%PDF")
    assert "<svg" in html and html.count("<rect") > 5  # the state bands and the letters
    (tmp_path / "t.html").write_text(html)
    text = pdf_text(html, tmp_path)
    for phrase in (
        "Tijdlijn van claim CF-2025-000001",
        "ERP Solutions B.V.",
        "Tijd per fase",
        "Schadebeperking",
        "Melding geregistreerd",
        "€ 125.000,00",
        "10-10-2025 10:15",  # the melding, in Amsterdam time (08:15 UTC)
    ):
        assert phrase in text, phrase
    with Session(engine) as s:
        rows = claim_timeline(s, seeded, "CF-2025-000001", manager).history.rows
    # every row starts with its moment; deadline rows add their due moment
    assert len(re.findall(r"\d\d-\d\d-\d{4} \d\d:\d\d", text)) == len(rows) + sum(
        1 for r in rows if r[KEYS.index("due_at")]
    )


def test_formula_like_text_comes_out_inert_in_csv_and_xlsx(
    engine: Engine, rt: Runtime, world: World, tmp_path: Path
) -> None:
    driver = Driver(engine, rt, world)
    refs = [driver.open("contract_breach", claimant=text).reference for text in INJECTIONS]
    for text in INJECTIONS:
        with Session(engine) as s:
            add_note(s, rt, refs[0], text, world.handler)
    for mode in PortfolioMode:
        for fmt in (ExportFormat.csv, ExportFormat.xlsx):
            data = _bytes(export_portfolio(engine, rt, PortfolioFilter(), mode, fmt, world.manager, "cli"))
            if fmt is ExportFormat.csv:
                cells = [c for row in _csv(data) for c in row]
            else:
                path = tmp_path / f"{mode.value}.xlsx"
                path.write_bytes(data)
                book = load_workbook(path)  # full mode: the cells' types are visible
                values = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
                assert all(c.data_type != "f" for c in values), "a formula cell"
                cells = [c.value for c in values if isinstance(c.value, str)]
            texts = [c for c in cells if isinstance(c, str)]
            for text in texts:
                assert text[:1] not in "=+-@\t\r" or text == "", f"{text!r} is live in {mode} {fmt}"
            for text in INJECTIONS:
                assert "'" + text in texts, f"{text!r} missing (neutralised) in {mode} {fmt}"


def test_only_managers_export_and_every_export_is_on_the_audit_trail(
    engine: Engine, rt: Runtime, world: World
) -> None:
    ref = Driver(engine, rt, world).open("data_loss").reference
    before = snapshot(engine)
    for user in (world.handler, world.expert, world.admin):
        with Session(engine) as s, pytest.raises(Forbidden):
            export_claim(s, rt, ref, ExportFormat.csv, user, "web")
        with pytest.raises(Forbidden):
            export_portfolio(
                engine, rt, PortfolioFilter(), PortfolioMode.events, ExportFormat.csv, user, "api"
            )
    with Session(engine) as s, pytest.raises(ClaimNotFound):
        export_claim(s, rt, "CF-2026-999999", ExportFormat.csv, world.manager, "web")
    assert snapshot(engine) == before, "a refused export left a trace or changed something"

    with Session(engine) as s:
        export_claim(s, rt, ref, ExportFormat.pdf, world.manager, "web")
    export = export_portfolio(
        engine,
        rt,
        PortfolioFilter(kind="data_loss", opened_from=date(2026, 11, 1)),
        PortfolioMode.claims,
        ExportFormat.xlsx,
        world.manager,
        "api",
    )
    with engine.connect() as conn:
        trail = list(conn.execute(select(AUDIT).order_by(AUDIT.c.id)))
    assert [(e.actor_id, e.actor, e.channel, e.action, e.subject, e.format) for e in trail] == [
        (world.manager.id, world.manager.email, "web", "export_timeline", ref, "pdf"),
        (
            world.manager.id,
            world.manager.email,
            "api",
            "export_portfolio",
            "soort=data_loss, gemeld_vanaf=2026-11-01",
            "xlsx",
        ),
    ]
    assert trail[0].at == rt.clock() and trail[1].detail["mode"] == "claims"
    assert trail[1].detail["filter"]["kind"] == "data_loss"
    _bytes(export)  # recorded before the first byte, read or not


def test_portfolio_filters_select_what_the_list_selects(engine: Engine, rt: Runtime, world: World) -> None:
    driver = Driver(engine, rt, world)
    early = driver.open("contract_breach").reference  # registered now, 16 November
    rt.clock.advance(days=20)  # type: ignore[attr-defined]
    # received the day they are registered: their receipt terms (counted from receipt) still run
    today = rt.clock().astimezone(AMSTERDAM).date().isoformat()
    late = driver.open(
        "data_loss", claimant="Laat B.V.", personal_data="false", date_reported=today
    ).reference
    theirs = (
        Driver(engine, rt, World(**{**vars(world), "handler": world.other_handler}))
        .open("unpaid_fee", date_reported=today)
        .reference
    )

    def refs(**kwargs: Any) -> list[str]:
        f = parse_portfolio(rt.catalog, **kwargs)
        data = _bytes(export_portfolio(engine, rt, f, PortfolioMode.claims, ExportFormat.csv, None, "cli"))
        return [row[0] for row in _csv(data)[1:]]

    assert refs() == [early, late, theirs]
    assert refs(kind="data_loss") == [late]
    assert refs(handler=world.other_handler.email.upper()) == [theirs]
    assert refs(q="Laat") == [late]
    assert refs(state="melding") == [early, late, theirs]
    created = {r: _created(engine, r) for r in (early, late)}
    day = created[late].astimezone(AMSTERDAM).date()
    assert refs(opened_from=day.isoformat()) == [late, theirs]
    assert refs(opened_to=(created[early].astimezone(AMSTERDAM).date()).isoformat()) == [early]
    assert refs(overdue=True) == [early]  # its acknowledgement term ran out while time moved on
    with pytest.raises(InvalidInput) as refused:
        parse_portfolio(rt.catalog, kind="nope", state="nergens", opened_from="2026-02-30", opened_to="x")
    assert set(refused.value.errors) == {"kind", "state", "opened_from", "opened_to"}
    with pytest.raises(InvalidInput) as far:
        parse_portfolio(
            rt.catalog,
            opened_from="0001-01-01",
            opened_to="9999-12-31",
            handler="nie@mand.nl",
            handlers={"a@b.nl"},
        )
    assert set(far.value.errors) == {"opened_from", "opened_to", "handler"}
    with pytest.raises(InvalidInput) as backwards:
        parse_portfolio(rt.catalog, opened_from="2026-12-01", opened_to="2026-11-01")
    assert set(backwards.value.errors) == {"opened_to"}
    with pytest.raises(InvalidInput, match="format"):
        parse_format("pdf", (ExportFormat.csv, ExportFormat.xlsx))


def _created(engine: Engine, ref: str) -> datetime:
    with engine.connect() as conn:
        moment: datetime = conn.execute(
            select(CLAIMS.c.created_at).where(CLAIMS.c.reference == ref)
        ).scalar_one()
    return moment


def test_the_per_claim_portfolio_row_carries_money_and_days_per_state(
    engine: Engine, seeded: Runtime
) -> None:
    data = _bytes(
        export_portfolio(
            engine,
            seeded,
            PortfolioFilter(kind="unpaid_fee"),
            PortfolioMode.claims,
            ExportFormat.csv,
            None,
            "cli",
        )
    )
    header, *rows = _csv(data)
    assert len(rows) == 1
    row = dict(zip(header, rows[0], strict=True))
    assert row["Schadenummer"] == "CF-2025-000001" and row["Uitkomst"] == "Geregeld"
    assert row["Betaald (EUR)"] == "131800.00"  # the expert's 6,800 and the advance of 125,000
    assert row["Geclaimd (EUR)"] == "500000.00"
    assert row["Gemeld op"] == "2025-10-10" and row["Geregistreerd"] == "2025-10-10T10:15:00+02:00"
    assert (row["Behandelaar"], row["E-mail behandelaar"]) == (
        "Sanne de Vries",
        "sanne.behandelaar@claimflow.test",
    )
    # from the approval of the mitigation plan (27 October 2025, 14:00) to the way to settlement
    assert row["Dagen in Schadebeperking"] == "245.83"
    spent = [Decimal(v) for k, v in row.items() if k.startswith("Dagen in ") and v]
    assert abs(Decimal(row["Doorlooptijd (dagen)"]) - sum(spent)) <= Decimal("0.01") * len(spent)


def test_the_writers_neutralise_every_formula_start_and_keep_numbers_numbers(tmp_path: Path) -> None:
    from claims.exports.files import Sheet, csv_chunks, inert, write_xlsx

    texts = [*INJECTIONS, "\tTab", "\rCR", "gewoon", "", "'al een apostrof"]
    assert [inert(t) for t in texts] == ["'" + t for t in texts[:6]] + texts[6:]
    rows = [(t, Decimal("-125.50"), 7, None, "2026-01-02T03:04:05+01:00") for t in texts]
    lines = _csv(b"".join(csv_chunks(["a", "b", "c", "d", "e"], [rows[:2], rows[2:]])))[1:]
    assert [line[0] for line in lines] == [inert(t) for t in texts]
    assert {line[1] for line in lines} == {"-125.50"}  # an amount is a number, never a formula
    path = tmp_path / "w.xlsx"
    write_xlsx(
        path, [Sheet("Blad", ["a", "b", "c", "d", "e"], rows, moments=frozenset({4}), money=frozenset({1}))]
    )
    sheet = load_workbook(path)["Blad"]
    got = list(sheet.iter_rows(min_row=2))
    assert [r[0].value for r in got] == [inert(t) or None for t in texts]
    assert all(r[0].data_type in ("s", "n") and r[1].data_type == "n" for r in got)
    assert {(r[1].value, r[1].number_format) for r in got} == {(-125.5, EURO_FORMAT)}
    assert got[0][4].value == datetime(2026, 1, 2, 3, 4, 5) and got[0][4].is_date


def test_deadlines_are_credited_to_the_transition_that_set_them_not_to_a_flag_beside_it(
    engine: Engine, rt: Runtime, world: World
) -> None:
    # reported 60 days after the insured knew: the 7:941 flag (no actor) is written beside the melding
    late = {"date_error": "2026-08-01", "date_known": "2026-09-01"}
    ref = Driver(engine, rt, world).open("contract_breach", **late).reference
    with Session(engine) as s:
        exported = json.loads(_bytes(export_claim(s, rt, ref, ExportFormat.json, world.manager, "web")))
    kinds = [(r["type"], r["actor"]) for r in exported["rows"]]
    assert ("late_notice", "systeem") in kinds
    assert {a for t, a in kinds if t == "deadline_set"} == {world.handler.email}


def test_codes_without_a_label_come_out_inert_for_a_spreadsheet_and_as_stored_otherwise(
    rt: Runtime,
) -> None:
    from claims.exports.rows import HistoryBuilder, Sources

    claim = (1, "CF-2026-000001", "contract_breach", 1, "melding", None, "2026-11-01 08:00:00.000000",
             None, "K", 100, "I", "h@x.nl", "H", "2026-10-30")  # fmt: skip
    at = "2026-11-01 08:00:00.000000"
    src = Sources(
        events=[
            (1, 1, at, 1, "opened", None, None, "melding", "{}", ""),
            (1, 2, at, 1, "transition", "@SUM(1)", "melding", "=nergens", '{"inputs": {}}', ""),
            (1, 3, at, None, "+evil", None, None, None, "{}", "-1+1"),
        ],
        money=[(1, 4, 2, at, "=kind", "=cost", 100, "=note")],
    )
    from claims.exports.query import ClaimFacts

    for spreadsheet in (True, False):
        users = {1: ("=Naam", "=a@b.nl")}
        builder = HistoryBuilder(rt.catalog, users, AMSTERDAM, SWEPT, for_spreadsheet=spreadsheet)
        rows = builder.history(ClaimFacts(*claim), src).rows
        texts = [v for r in rows for v in r if isinstance(v, str) and v]
        live = [t for t in texts if t[0] in "=+-@"]
        if spreadsheet:
            assert live == [], live
            assert "'@SUM(1)" in texts and "'=nergens" in texts and "'+evil" in texts and "'=note" in texts
            assert {"'=Naam", "'=a@b.nl", "'=kind"} <= set(texts)
        else:
            assert {"@SUM(1)", "=nergens", "+evil", "-1+1", "=note", "=a@b.nl", "=Naam"} <= set(texts)


# what the exports must never show a reader: the codes behind the labels (not "reserve", "expert" and
# "manager": those are Dutch words as well, a reserve's own note and two roles' Dutch names)
CODES = {*SOURCE_LABELS, *ROW_LABELS, "insured", "claimant", "counsel", "broker", "handler"} - {"reserve"}
ROLE_CODE = re.compile(r"\((insured|claimant|counsel|broker|expert_firm|handler)\)")


def _no_codes(cells: list[Any], where: str) -> None:
    texts = [c for c in cells if isinstance(c, str)]
    assert not [t for t in texts if t in CODES], where
    assert not [t for t in texts if ROLE_CODE.search(t)], where


def test_the_spreadsheets_read_in_dutch_with_euros_dates_a_filter_and_a_frozen_header(
    engine: Engine, seeded: Runtime, tmp_path: Path
) -> None:
    from openpyxl.utils import get_column_letter

    manager = _manager(engine)
    with Session(engine) as s:
        files = {
            "claim": _bytes(export_claim(s, seeded, "CF-2025-000001", ExportFormat.xlsx, manager, "web"))
        }
    for mode in PortfolioMode:
        export = export_portfolio(engine, seeded, PortfolioFilter(), mode, ExportFormat.xlsx, manager, "web")
        files[mode.value] = _bytes(export)
    for name, data in files.items():
        path = tmp_path / f"{name}.xlsx"
        path.write_bytes(data)
        (sheet,) = load_workbook(path).worksheets
        assert sheet.freeze_panes == "A2", name
        assert sheet.auto_filter.ref == f"A1:{get_column_letter(sheet.max_column)}{sheet.max_row}", name
        assert sheet.max_row > 10 and sheet.column_dimensions["A"].width >= 14, name
        header = [c.value for c in sheet[1]]
        assert all(c.font.b for c in sheet[1]), name
        columns = {h: [row[i] for row in sheet.iter_rows(min_row=2)] for i, h in enumerate(header)}
        _no_codes([c.value for cells in columns.values() for c in cells], name)

        money = [h for h in header if h.endswith("(EUR)")]
        moments = [
            h for h in header if h.startswith(("Tijdstip", "Termijn verloopt", "Geregistreerd", "Gesloten"))
        ]
        assert money and moments, name
        for h in money:
            filled = [c for c in columns[h] if c.value is not None]
            assert filled, (name, h)
            assert all(c.data_type == "n" and c.number_format == EURO_FORMAT for c in filled), (name, h)
        for h in moments:
            filled = [c for c in columns[h] if c.value is not None]
            assert filled and all(c.is_date and c.number_format == MOMENT_FORMAT for c in filled), (name, h)
        if name == "claims":
            reported = [c for c in columns["Gemeld op"] if c.value is not None]
            assert reported and all(c.is_date and c.number_format == DATE_FORMAT for c in reported)
            assert all("@" in c.value for c in columns["E-mail behandelaar"])
            assert not any("@" in c.value for c in columns["Behandelaar"])
            continue
        assert {c.value for c in columns["Bron"]} <= set(SOURCE_LABELS.values()), name
        assert {c.value for c in columns["Soort"]} <= set(ROW_LABELS.values()), name
        by = [(d.value, e.value) for d, e in zip(columns["Door"], columns["E-mail"], strict=True)]
        assert not any("@" in (d or "") for d, _ in by), name  # names under Door, addresses beside them
        assert {e for d, e in by if d == "systeem"} <= {None}, name
        assert any(d == "Sanne de Vries" and e == "sanne.behandelaar@claimflow.test" for d, e in by), name
        if name == "events":
            assert any(d == "systeem" for d, _ in by), "the sweep's flags are the system's"
        assert any("(verzekerde)" in (c.value or "") for c in columns["Toelichting"]), name


def test_the_csv_speaks_dutch_and_keeps_amounts_and_moments_machine_readable(
    engine: Engine, seeded: Runtime
) -> None:
    data = _bytes(
        export_portfolio(
            engine, seeded, PortfolioFilter(), PortfolioMode.events, ExportFormat.csv, None, "cli"
        )
    )
    header, *rows = _csv(data)
    col = {k: i for i, k in enumerate(KEYS)}
    assert header[col["actor_name"]] == "Door" and header[col["actor"]] == "E-mail"
    _no_codes([c for r in rows for c in r], "csv")
    assert {r[col["source"]] for r in rows} == set(SOURCE_LABELS.values()) - {"Samenvatting"}
    assert {r[col["type"]] for r in rows} <= set(ROW_LABELS.values())
    assert any(r[col["detail"]].startswith("aan ") and "(verzekerde)" in r[col["detail"]] for r in rows)
    amounts = [r[col["amount"]] for r in rows if r[col["amount"]]]
    assert amounts and all(re.fullmatch(r"-?\d+\.\d\d", a) for a in amounts)
    assert all(datetime.fromisoformat(r[col["at"]]).tzinfo for r in rows)


def test_the_pdf_says_when_the_melding_was_made_and_when_it_was_registered_and_names_roles_in_dutch(
    engine: Engine, rt: Runtime, world: World, tmp_path: Path
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the document is the same on either database")
    from claims.exports.pdf import timeline_html
    from claims.exports.timelines import claim_timeline
    from tests.claims.letters.test_letters_service import pdf_text

    # reported by the insured on 30 October, registered here on 16 November
    driver = Driver(engine, rt, world)
    ref = driver.open("contract_breach", date_reported="2026-10-30").reference
    driver.fire(ref, "start_coverage_check")  # the receipt confirmations, to the insured and the claimant
    with Session(engine) as s:
        text = pdf_text(timeline_html(claim_timeline(s, rt, ref, world.manager)), tmp_path)
    assert "Gemeld op 30 oktober 2026" in text
    assert "Geregistreerd op 16 november 2026" in text
    assert "(verzekerde)" in text
    assert not ROLE_CODE.search(text), ROLE_CODE.search(text)


def _toelichting(rows: list[list[Any]], description: str) -> str:
    """The Toelichting of the one event row whose Omschrijving starts with `description`."""
    header = [str(h) for h in rows[0]]
    at, detail = header.index("Omschrijving"), header.index("Toelichting")
    (found,) = [r[detail] for r in rows[1:] if str(r[at]).startswith(description)]
    return str(found)


def test_the_toelichting_writes_typed_inputs_as_the_claim_page_does_and_the_computed_interest(
    engine: Engine, seeded: Runtime, tmp_path: Path
) -> None:
    manager = _manager(engine)
    with Session(engine) as s:
        fee = _csv(_bytes(export_claim(s, seeded, "CF-2025-000001", ExportFormat.csv, manager, "web")))
        xlsx = _bytes(export_claim(s, seeded, "CF-2025-000001", ExportFormat.xlsx, manager, "web"))
        breach = _csv(_bytes(export_claim(s, seeded, "CF-2026-000007", ExportFormat.csv, manager, "web")))
    invoices = [
        r[KEYS.index("detail")] for r in fee[1:] if r[KEYS.index("detail")].startswith("Factuurnummer")
    ]
    assert "Factuurnummer: F2025-031; Bedrag (incl. btw): € 62.500,00; Vervaldatum: 30 juni 2025" in invoices
    # a payee field names the party, a user field the person, a choice its label
    paid = _toelichting(fee, "Factuur expert betalen")
    assert paid.endswith("Betalen aan (het expertisebureau): Expertisebureau Visser B.V."), paid
    assert "Expert (e-mailadres): Lars Visser" in _toelichting(fee, "Dekking bevestigen")
    assert "Boeken als: Beredding" in _toelichting(fee, "Voorschot op onbetaalde factur")
    # the unpaid fee's statutory (commercial) interest, as the engine computed it on the way to settlement
    assert "wettelijke handelsrente (art. 6:119a BW): € 22.159,68" in _toelichting(fee, "Naar regeling")
    path = tmp_path / "fee.xlsx"
    path.write_bytes(xlsx)
    sheet_rows = [list(r) for r in load_workbook(path).worksheets[0].iter_rows(values_only=True)]
    assert "€ 22.159,68" in _toelichting(sheet_rows, "Naar regeling")
    details = [str(r[KEYS.index("detail")]) for r in sheet_rows[1:] if r[KEYS.index("detail")]]
    assert any("Bedrag (incl. btw): € 62.500,00; Vervaldatum: 30 juni 2025" in d for d in details)
    # the settlement row: what was typed, then what the engine made of it
    settled = _toelichting(breach, "Regeling vaststellen")
    assert "Schadevergoeding (voor eigen risico): € 470.000,00" in settled
    assert "Schadevergoeding betalen aan: Mobiele operator" in settled
    assert "eigen risico (te verhalen op verzekerde): € 5.000,00" in settled
    assert "uit te keren schadevergoeding: € 465.000,00" in settled
    assert re.search(r"berekende wettelijke rente \(art\. 6:119 BW tot \d+ \w+ 2026\): € 2\.547,95", settled)
    assert not re.search(r"\d{4}-\d{2}-\d{2}|: \d+\.\d\d\b", settled), settled
    # the separate amount column stays machine-readable
    amounts = {r[KEYS.index("amount")] for r in breach[1:] if r[KEYS.index("amount")]}
    assert "465000.00" in amounts


def test_the_pdf_sums_up_the_recovery_and_the_deductible_still_to_collect(
    engine: Engine, rt: Runtime, world: World, tmp_path: Path
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the document is the same on either database")
    from claims.exports.pdf import timeline_html
    from claims.exports.timelines import claim_timeline
    from claims.storage.tables import PARTIES
    from tests.claims.letters.test_letters_service import pdf_text

    driver = Driver(engine, rt, world)
    ref = driver.bring_to("contract_breach", "regeling", date_reported="2026-11-16")
    payee = driver.payee(ref)
    with engine.connect() as conn:
        payee_name = conn.execute(select(PARTIES.c.name).where(PARTIES.c.id == payee)).scalar_one()
    driver.fire(
        ref,
        "settle",
        {"damages": "20000", "payee": payee, "terms": "Finale kwijting.", "deductible_in_full": "true"},
        actor=world.handler,
    )
    driver.fire(
        ref,
        "record_recovery",
        {"amount": "12500.50", "from_whom": "Leverancier X B.V.", "received_on": "2026-11-16"},
        actor=world.handler,
    )
    with Session(engine) as s:
        text = pdf_text(timeline_html(claim_timeline(s, rt, ref, world.manager)), tmp_path)
        rows = _csv(_bytes(export_claim(s, rt, ref, ExportFormat.csv, world.manager, "web")))
    flat = " ".join(text.split())
    assert "Eigen risico te verhalen € 2.500,00" in flat, flat[:1200]
    assert "Verhaald (regres) € 12.500,50" in flat
    # the rows name the payee, not its id, and write the recovery's day in words
    settled = _toelichting(rows, "Regeling vaststellen")
    assert f"Schadevergoeding betalen aan: {payee_name};" in settled, settled
    assert "eigen risico (te verhalen op verzekerde): € 2.500,00" in settled
    recovered = _toelichting(rows, "Regres ontvangen")
    assert "Ontvangen bedrag: € 12.500,50" in recovered and "Ontvangen op: 16 november 2026" in recovered
