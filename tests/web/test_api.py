"""The JSON API: every endpoint, its answers to bad input, wrong roles, stale versions and forged calls;
nothing changes on any error."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from claims.people.users import issue_token
from claims.runtime import Runtime
from claims.storage.models import User
from claims.web.app import create_app
from tests.conftest import snapshot
from tests.factories import Clock, World, make_policy, make_user, melding
from tests.web.conftest import NO_AUTHORITY, claim_of_a_handler_without_authority, payee_of, settings


def bearer(engine: Engine, user: User) -> dict[str, str]:
    with Session(engine) as s:
        token = issue_token(s, s.get(User, user.id))  # type: ignore[arg-type]
        s.commit()
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def api(app: Any) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as client:
        yield client


@pytest.fixture
def as_handler(engine: Engine, world: World) -> dict[str, str]:
    return bearer(engine, world.handler)


@pytest.fixture
def as_manager(engine: Engine, world: World) -> dict[str, str]:
    return bearer(engine, world.manager)


@pytest.fixture
def as_expert(engine: Engine, world: World) -> dict[str, str]:
    return bearer(engine, world.expert)


def open_via_api(api: TestClient, headers: dict[str, str], kind: str = "unpaid_fee", **over: Any) -> str:
    r = api.post("/api/claims", json=melding(kind, **over), headers=headers)
    assert r.status_code == 201, r.text
    return str(r.json()["reference"])


def fire(api: TestClient, headers: dict[str, str], ref: str, trigger: str, data: dict[str, Any]) -> Any:
    version = api.get(f"/api/claims/{ref}", headers=headers).json()["version"]
    return api.post(
        f"/api/claims/{ref}/transitions",
        json={"trigger": trigger, "version": version, "data": data},
        headers=headers,
    )


# --- auth ----------------------------------------------------------------------------------------


def test_without_credentials_the_api_answers_401_with_a_message(api: TestClient) -> None:
    r = api.get("/api/claims")
    assert r.status_code == 401
    assert "Bearer" in r.json()["detail"]
    assert r.headers["WWW-Authenticate"] == "Bearer"


def test_an_unknown_or_revoked_token_is_refused(api: TestClient, engine: Engine, world: World) -> None:
    assert api.get("/api/claims", headers={"Authorization": "Bearer nonsense"}).status_code == 401
    old = bearer(engine, world.handler)
    new = bearer(engine, world.handler)  # issuing a new token replaces the old one
    assert api.get("/api/claims", headers=old).status_code == 401
    assert api.get("/api/claims", headers=new).status_code == 200


def test_the_session_cookie_also_authenticates_but_writes_must_be_json(handler: TestClient) -> None:
    assert handler.get("/api/workflows").status_code == 200
    r = handler.post("/api/claims", data={"kind": "unpaid_fee"})  # a form post, as a cross-site page could
    assert r.status_code == 415
    r = handler.post("/api/claims", json=melding("unpaid_fee"))
    assert r.status_code == 201


# --- workflows -----------------------------------------------------------------------------------


def test_workflows_list_every_kind_with_states_transitions_fields_and_deadlines(
    api: TestClient, as_handler: dict[str, str]
) -> None:
    r = api.get("/api/workflows", headers=as_handler)
    assert r.status_code == 200
    kinds = {w["kind"] for w in r.json()}
    assert kinds == {"contract_breach", "data_loss", "late_delivery", "unpaid_fee"}
    one = api.get("/api/workflows/unpaid_fee", headers=as_handler).json()
    states = {s["name"]: s for s in one["states"]}
    assert states["melding"]["deadlines"][0]["name"] == "ontvangstbevestiging"
    advance = next(t for t in one["transitions"] if t["trigger"] == "pay_advance")
    assert {f["name"] for f in advance["fields"]} == {"share_percent", "deduction", "booked_as", "payee"}


def test_an_unknown_workflow_is_404_naming_the_known_ones(
    api: TestClient, as_handler: dict[str, str]
) -> None:
    r = api.get("/api/workflows/fiets", headers=as_handler)
    assert r.status_code == 404
    assert "unpaid_fee" in r.json()["detail"]


# --- melding -------------------------------------------------------------------------------------


def test_post_claim_registers_a_melding(api: TestClient, as_handler: dict[str, str]) -> None:
    r = api.post("/api/claims", json=melding("unpaid_fee"), headers=as_handler)
    assert r.status_code == 201
    body = r.json()
    assert body["state"] == "melding" and body["version"] == 1
    assert body["reference"].startswith("CF-2026-")
    assert r.headers["Location"] == f"/api/claims/{body['reference']}"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount_claimed": "veel"}, "amount_claimed"),
        ({"amount_claimed": 12.5}, "amount_claimed"),  # a float is never money
        ({"policy_number": "BAV-NIET-1"}, "policy_number"),
        ({"date_error": "2026-13-01"}, "date_error"),
        ({"kind": "fiets"}, "kind"),
        ({"kleur": "blauw"}, "kleur"),
    ],
)
def test_post_claim_with_bad_input_is_422_naming_the_field_and_stores_nothing(
    api: TestClient, engine: Engine, as_handler: dict[str, str], change: dict[str, Any], field: str
) -> None:
    before = snapshot(engine)
    r = api.post("/api/claims", json=melding("unpaid_fee") | change, headers=as_handler)
    assert r.status_code == 422
    assert field in r.json()["errors"]
    assert field in r.json()["detail"]
    assert snapshot(engine) == before


def test_malformed_json_is_422_not_500(api: TestClient, as_handler: dict[str, str]) -> None:
    r = api.post(
        "/api/claims", content=b"{not json", headers={**as_handler, "Content-Type": "application/json"}
    )
    assert r.status_code == 422
    assert "JSON" in r.json()["detail"]


def test_an_expert_may_not_register_a_melding(
    api: TestClient, engine: Engine, as_expert: dict[str, str]
) -> None:
    before = snapshot(engine)
    r = api.post("/api/claims", json=melding("unpaid_fee"), headers=as_expert)
    assert r.status_code == 403
    assert snapshot(engine) == before


# --- list ----------------------------------------------------------------------------------------


def test_list_filters_and_pages_with_a_cursor(api: TestClient, as_handler: dict[str, str]) -> None:
    refs = [open_via_api(api, as_handler, "unpaid_fee", claimant=f"Klant {i}") for i in range(5)]
    refs.append(open_via_api(api, as_handler, "contract_breach", claimant="Andere Klant"))
    r = api.get("/api/claims", params={"kind": "unpaid_fee", "limit": 2}, headers=as_handler)
    page = r.json()
    assert [c["reference"] for c in page["items"]] == [refs[4], refs[3]]  # newest first
    seen = [c["reference"] for c in page["items"]]
    while page["next_cursor"]:
        page = api.get(
            "/api/claims",
            params={"kind": "unpaid_fee", "limit": 2, "cursor": page["next_cursor"]},
            headers=as_handler,
        ).json()
        seen += [c["reference"] for c in page["items"]]
    assert seen == list(reversed(refs[:5]))
    found = api.get("/api/claims", params={"q": "andere"}, headers=as_handler).json()["items"]
    assert [c["reference"] for c in found] == [refs[5]]
    by_ref = api.get("/api/claims", params={"q": refs[2].lower()}, headers=as_handler).json()["items"]
    assert [c["reference"] for c in by_ref] == [refs[2]]


def test_sorting_by_amount_pages_through_equal_amounts_without_losing_any(
    api: TestClient, as_handler: dict[str, str]
) -> None:
    amounts = ["500", "12500", "12500", "12500", "99.99", "250000"]
    refs = [open_via_api(api, as_handler, amount_claimed=a) for a in amounts]
    seen: list[tuple[str, str]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"sort": "bedrag_hoog", "limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/api/claims", params=params, headers=as_handler).json()
        seen += [(c["reference"], c["amount_claimed"]) for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(refs) and {r for r, _ in seen} == set(refs)
    assert [a for _, a in seen] == ["250000.00", "12500.00", "12500.00", "12500.00", "500.00", "99.99"]


@pytest.mark.parametrize(
    "params",
    [
        {"cursor": "rommel"},
        {"limit": 0},
        {"limit": 10_000},
        {"sort": "kleur"},
        {"state": "nergens"},
        {"kind": "fiets"},
        {"handler": "niemand@claimflow.test"},
        {"overdue": "misschien"},
    ],
)
def test_bad_list_parameters_are_422(
    api: TestClient, as_handler: dict[str, str], params: dict[str, Any]
) -> None:
    r = api.get("/api/claims", params=params, headers=as_handler)
    assert r.status_code == 422
    assert isinstance(r.json()["detail"], str)


def test_a_known_handler_filters_and_an_unknown_one_is_named(
    api: TestClient, as_handler: dict[str, str], world: World
) -> None:
    ref = open_via_api(api, as_handler)
    mine = api.get("/api/claims", params={"handler": world.handler.email.upper()}, headers=as_handler)
    assert [c["reference"] for c in mine.json()["items"]] == [ref]
    other = api.get("/api/claims", params={"handler": world.other_handler.email}, headers=as_handler)
    assert other.json()["items"] == []
    unknown = api.get("/api/claims", params={"handler": "niemand@claimflow.test"}, headers=as_handler)
    assert unknown.json()["errors"] == {"handler": "onbekende behandelaar 'niemand@claimflow.test'"}


def test_a_cursor_of_another_sort_order_is_refused(api: TestClient, as_handler: dict[str, str]) -> None:
    for _ in range(3):
        open_via_api(api, as_handler)
    cursor = api.get("/api/claims", params={"limit": 1}, headers=as_handler).json()["next_cursor"]
    r = api.get(
        "/api/claims", params={"limit": 1, "cursor": cursor, "sort": "bedrag_hoog"}, headers=as_handler
    )
    assert r.status_code == 422
    assert "cursor" in r.json()["errors"]


def test_the_list_shows_only_what_the_caller_may_see(
    api: TestClient,
    engine: Engine,
    clock: Clock,
    world: World,
    as_handler: dict[str, str],
    as_expert: dict[str, str],
) -> None:
    ref = open_via_api(api, as_handler)
    with Session(engine) as s:
        outsider = make_user(s, "x@elders.nl", now=clock(), name="Elders", team="Zorg")
        s.commit()
        s.refresh(outsider)
    assert api.get("/api/claims", headers=bearer(engine, outsider)).json()["items"] == []
    assert api.get("/api/claims", headers=as_expert).json()["items"] == []
    assert api.get(f"/api/claims/{ref}", headers=bearer(engine, outsider)).status_code == 403
    assert api.get(f"/api/claims/{ref}", headers=as_expert).status_code == 403
    assert api.get(f"/api/claims/{ref}/timeline", headers=as_expert).status_code == 403
    # a team mate reads it, but may do nothing on it
    mate = bearer(engine, world.other_handler)
    assert api.get(f"/api/claims/{ref}", headers=mate).json()["allowed_transitions"] == []


# --- one claim and its transitions -----------------------------------------------------------------


def test_get_claim_has_state_version_money_deadlines_and_allowed_transitions(
    api: TestClient, as_handler: dict[str, str]
) -> None:
    ref = open_via_api(api, as_handler)
    claim = api.get(f"/api/claims/{ref}", headers=as_handler).json()
    assert claim["state"] == "melding" and claim["version"] == 1
    assert claim["money"]["cover_per_claim"] == "1000000.00"
    # no limitation term before the insurer's position (7:942 BW): only the receipt runs
    assert [d["name"] for d in claim["open_deadlines"]] == ["ontvangstbevestiging"]
    allowed = {a["trigger"]: a for a in claim["allowed_transitions"]}
    assert "start_coverage_check" in allowed
    invoice = allowed["register_invoice"]
    assert invoice["to"] == "melding"
    assert {"name": "amount", "type": "money", "label": "Bedrag (incl. btw)", "required": True} in invoice[
        "fields"
    ]


def test_an_unknown_claim_is_404(api: TestClient, as_handler: dict[str, str]) -> None:
    r = api.get("/api/claims/CF-1999-000001", headers=as_handler)
    assert r.status_code == 404
    assert "bestaat niet" in r.json()["detail"]


def test_firing_a_transition_returns_the_new_claim(api: TestClient, as_handler: dict[str, str]) -> None:
    ref = open_via_api(api, as_handler)
    r = api.post(
        f"/api/claims/{ref}/transitions",
        json={"trigger": "start_coverage_check", "version": 1, "data": {}},
        headers=as_handler,
    )
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "dekkingsonderzoek" and r.json()["version"] == 2


def _refused(api: TestClient, engine: Engine, headers: dict[str, str], ref: str, body: Any) -> Any:
    before = snapshot(engine)
    r = api.post(f"/api/claims/{ref}/transitions", json=body, headers=headers)
    assert snapshot(engine) == before, "a refused call changed the database"
    return r


def test_a_stale_version_is_409_and_says_what_the_claim_is_now(
    api: TestClient, engine: Engine, as_handler: dict[str, str]
) -> None:
    ref = open_via_api(api, as_handler)
    assert fire(api, as_handler, ref, "start_coverage_check", {}).status_code == 200
    r = _refused(api, engine, as_handler, ref, {"trigger": "reject", "version": 1, "data": {}})
    assert r.status_code == 409
    assert r.json()["current_version"] == 2 and r.json()["current_state"] == "dekkingsonderzoek"


def test_a_trigger_not_possible_in_this_state_is_409(
    api: TestClient, engine: Engine, as_handler: dict[str, str]
) -> None:
    ref = open_via_api(api, as_handler)
    r = _refused(api, engine, as_handler, ref, {"trigger": "settle", "version": 1, "data": {}})
    assert r.status_code == 409
    assert "niet mogelijk" in r.json()["detail"]


def test_invalid_transition_data_is_422_naming_the_field(
    api: TestClient, engine: Engine, as_handler: dict[str, str]
) -> None:
    ref = open_via_api(api, as_handler)
    body = {
        "trigger": "register_invoice",
        "version": 1,
        "data": {"number": "F-1", "amount": "twaalf", "due_date": "2026-10-01"},
    }
    r = _refused(api, engine, as_handler, ref, body)
    assert r.status_code == 422
    assert set(r.json()["errors"]) == {"amount"}


@pytest.mark.parametrize(
    "body",
    [
        {"trigger": "start_coverage_check"},
        {"trigger": "start_coverage_check", "version": "een"},
        {"version": 1},
        [],
    ],
)
def test_a_malformed_transition_body_is_422(
    api: TestClient, engine: Engine, as_handler: dict[str, str], body: Any
) -> None:
    ref = open_via_api(api, as_handler)
    r = _refused(api, engine, as_handler, ref, body)
    assert r.status_code == 422
    assert isinstance(r.json()["detail"], str)


def test_a_forged_call_by_someone_not_on_the_claim_is_403(
    api: TestClient, engine: Engine, world: World, as_handler: dict[str, str], as_expert: dict[str, str]
) -> None:
    ref = open_via_api(api, as_handler)
    mate = bearer(engine, world.other_handler)
    body = {"trigger": "start_coverage_check", "version": 1, "data": {}}
    assert _refused(api, engine, mate, ref, body).status_code == 403
    # the expert is not appointed, and start_coverage_check is no expert transition anyway
    assert _refused(api, engine, as_expert, ref, body).status_code == 403


def test_an_expert_fires_only_expert_transitions_on_claims_they_are_appointed_to(
    api: TestClient, engine: Engine, world: World, as_handler: dict[str, str], as_expert: dict[str, str]
) -> None:
    ref = open_via_api(api, as_handler)
    fire(api, as_handler, ref, "start_coverage_check", {})
    assert (
        fire(
            api, as_handler, ref, "confirm_cover", {"expert": world.expert.email, "reserve_damages": "10000"}
        ).status_code
        == 200
    )
    claim = api.get(f"/api/claims/{ref}", headers=as_expert).json()
    assert {a["trigger"] for a in claim["allowed_transitions"]} == {"submit_report"}
    r = _refused(
        api, engine, as_expert, ref, {"trigger": "to_settlement", "version": claim["version"], "data": {}}
    )
    assert r.status_code == 403
    r = fire(
        api, as_expert, ref, "submit_report", {"findings": "Oorzaak vastgesteld.", "assessed_damage": "8000"}
    )
    assert r.status_code == 200


# --- timeline and deadlines -------------------------------------------------------------------------


def test_timeline_lists_events_in_order_with_actor_and_data(
    api: TestClient, world: World, as_handler: dict[str, str]
) -> None:
    ref = open_via_api(api, as_handler)
    fire(api, as_handler, ref, "start_coverage_check", {})
    assert (
        api.post(
            f"/api/claims/{ref}/notes", json={"note": "Gebeld met makelaar."}, headers=as_handler
        ).status_code
        == 201
    )
    events = api.get(f"/api/claims/{ref}/timeline", headers=as_handler).json()
    assert [e["kind"] for e in events] == ["opened", "transition", "note"]
    assert events[1]["trigger"] == "start_coverage_check"
    assert (events[1]["from"], events[1]["to"]) == ("melding", "dekkingsonderzoek")
    assert events[0]["actor"] == world.handler.email
    assert events[2]["note"] == "Gebeld met makelaar."
    assert set(events[0]) >= {"at", "actor", "kind", "trigger", "from", "to", "data", "note"}


def test_deadlines_of_a_claim_and_overdue_deadlines_across_claims(
    api: TestClient, clock: Clock, as_handler: dict[str, str], as_manager: dict[str, str]
) -> None:
    ref = open_via_api(api, as_handler)
    deadlines = api.get(f"/api/claims/{ref}/deadlines", headers=as_handler).json()
    assert [(d["name"], d["overdue"]) for d in deadlines] == [("ontvangstbevestiging", False)]
    assert api.get("/api/deadlines", params={"overdue": "true"}, headers=as_manager).json() == []
    clock.advance(days=10)
    overdue = api.get("/api/deadlines", params={"overdue": "true"}, headers=as_manager).json()
    assert [(d["reference"], d["name"], d["mark"]) for d in overdue] == [
        (ref, "ontvangstbevestiging", "overdue")
    ]
    assert (
        api.get("/api/claims", params={"overdue": "true"}, headers=as_handler).json()["items"][0]["due_mark"]
        == "overdue"
    )


def test_an_empty_note_is_422(api: TestClient, engine: Engine, as_handler: dict[str, str]) -> None:
    ref = open_via_api(api, as_handler)
    before = snapshot(engine)
    r = api.post(f"/api/claims/{ref}/notes", json={"note": "   "}, headers=as_handler)
    assert r.status_code == 422 and "note" in r.json()["errors"]
    assert snapshot(engine) == before


def test_openapi_documents_the_endpoints(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    assert {"/api/claims", "/api/claims/{reference}/transitions", "/api/deadlines"} <= set(spec["paths"])
    docs = api.get("/docs")
    assert docs.status_code == 200
    # the API documentation loads nothing from outside (no CDN is reachable where claimflow runs)
    assert not re.findall(r'(?:src|href)="https?://', docs.text)
    for asset in re.findall(r'(?:src|href)="(/docs-assets/[^"]+)"', docs.text):
        assert api.get(asset).status_code == 200


# --- the same round trip on PostgreSQL ----------------------------------------------------------------


@pytest.mark.postgres
def test_the_api_round_trip_on_postgresql(_pg_engine: Engine, rt: Runtime, clock: Clock) -> None:
    from tests.conftest import _truncate_pg

    _truncate_pg(_pg_engine)
    with Session(_pg_engine, expire_on_commit=False) as s:
        user = make_user(s, "pg@test.nl", now=clock(), name="PG")
        s.add(make_policy(start_date=melding_date(), retroactive_date=melding_date()))
        s.commit()
        s.refresh(user)
    app = create_app(settings(), _pg_engine, rt)
    with TestClient(app) as api:
        headers = bearer(_pg_engine, user)
        ref = open_via_api(api, headers)
        assert fire(api, headers, ref, "start_coverage_check", {}).json()["version"] == 2
        stale = api.post(
            f"/api/claims/{ref}/transitions",
            json={"trigger": "withdraw", "version": 1, "data": {"reason": "x"}},
            headers=headers,
        )
        assert stale.status_code == 409
        page = api.get("/api/claims", params={"q": "opdrachtgever"}, headers=headers).json()
        assert [c["reference"] for c in page["items"]] == [ref]
        # PostgreSQL refuses a NUL in text: answered as bad input, never a 500
        assert (
            api.post(f"/api/claims/{ref}/notes", json={"note": "a\x00b"}, headers=headers).status_code == 422
        )
        assert (
            api.post("/api/claims", json=melding("unpaid_fee", claimant="\x00"), headers=headers).status_code
            == 422
        )
        assert api.get("/api/claims", params={"q": "\x00"}, headers=headers).status_code == 400


def melding_date() -> Any:
    from datetime import date

    return date(2015, 1, 1)


def test_allowed_transitions_say_why_a_guard_refuses_now_and_firing_anyway_says_the_same(
    api: TestClient, engine: Engine, rt: Runtime, world: World, as_manager: dict[str, str]
) -> None:
    ref, junior = claim_of_a_handler_without_authority(engine, rt)
    as_junior = bearer(engine, junior)
    allowed = {
        a["trigger"]: a
        for a in api.get(f"/api/claims/{ref}", headers=as_junior).json()["allowed_transitions"]
    }
    # paying without authority is no refusal: it waits for a manager (a proposal)
    assert allowed["pay_advance"]["refused"] is None
    assert allowed["pay_advance"]["label"] == "Voorschot op onbetaalde facturen betalen"
    assert allowed["to_settlement"]["refused"] == "Er is nog geen expertiserapport."
    assert allowed["register_invoice"]["refused"] is None
    assert allowed["pay_advance"]["checked_on_submit"] == [
        "deduction_within_unpaid",
        "advance_above_paid",
        "advance_within_cover",
    ]  # it weighs the amount
    before = snapshot(engine)
    r = fire(api, as_junior, ref, "to_settlement", {})
    assert r.status_code == 409 and r.json()["detail"] == "Er is nog geen expertiserapport."
    assert snapshot(engine) == before
    payee = int(payee_of(engine, ref))
    inputs = {"share_percent": "10", "booked_as": "beredding", "payee": payee}
    held = fire(api, as_junior, ref, "pay_advance", inputs)
    assert held.status_code == 202, held.text
    body = held.json()
    assert body["state"] == "schadebeperking" and [p["status"] for p in body["proposals"]] == ["open"]
    assert body["proposals"][0]["reasons"] == NO_AUTHORITY
    assert [p["status"] for p in body["payments"]] == ["proposed"]
    assert fire(api, as_manager, ref, "pay_advance", inputs).status_code == 200
