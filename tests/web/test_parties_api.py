"""The party register in the JSON API: listed, added and changed; refused by field (422) with nothing
stored; a bank account only for the handler's side; the melding's own parties in its one transaction."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from claims.runtime import Runtime
from claims.service import advance
from tests.conftest import snapshot
from tests.factories import World, melding
from tests.web import test_api as shared
from tests.web.test_api import open_via_api

# the API client and the tokens, as test_api has them
api = shared.api
as_handler = shared.as_handler
as_expert = shared.as_expert

BROKER = {
    "role": "broker",
    "name": "Assurantiekantoor Van Dijk B.V.",
    "kvk": "7234 5018",
    "street": "Oudegracht 140",
    "postcode": "3511ax",
    "city": "Utrecht",
    "email": "schade@vandijk.example",
    "channel": "email",
    "copy_insured": True,
    "iban": "NL91 ABNA 0417 1643 00",
    "account_holder": "Van Dijk B.V.",
}


def _parties(api: TestClient, headers: dict[str, str], ref: str) -> list[dict[str, Any]]:
    r = api.get(f"/api/claims/{ref}/parties", headers=headers)
    assert r.status_code == 200, r.text
    return list(r.json())


def test_parties_are_listed_added_and_changed(api: TestClient, as_handler: dict[str, str]) -> None:
    ref = open_via_api(api, as_handler)
    assert [p["role"] for p in _parties(api, as_handler, ref)] == ["insured", "claimant"]
    r = api.post(f"/api/claims/{ref}/parties", json=BROKER, headers=as_handler)
    assert r.status_code == 201, r.text
    added = r.json()
    assert (added["kvk"], added["postcode"], added["iban"]) == ("72345018", "3511 AX", "NL91ABNA0417164300")
    assert added["address_lines"] == ["Assurantiekantoor Van Dijk B.V.", "Oudegracht 140", "3511 AX  UTRECHT"]
    assert added["copy_insured"] is True and added["role_label"] == "Tussenpersoon"
    r = api.patch(f"/api/claims/{ref}/parties/{added['id']}", json={"reference": "VD-17"}, headers=as_handler)
    assert r.status_code == 200 and r.json()["reference"] == "VD-17"
    assert [p["reference"] for p in _parties(api, as_handler, ref)][-1] == "VD-17"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("postcode", "12345"),
        ("iban", "NL91ABNA0417164301"),
        ("kvk", "123"),
        ("email", "geen-adres"),
        ("role", "x"),
    ],
)
def test_bad_input_is_422_naming_the_field_and_stores_nothing(
    api: TestClient, as_handler: dict[str, str], engine: Engine, field: str, value: str
) -> None:
    ref = open_via_api(api, as_handler)
    party = _parties(api, as_handler, ref)[1]
    before = snapshot(engine)
    r = api.post(f"/api/claims/{ref}/parties", json=BROKER | {field: value}, headers=as_handler)
    assert r.status_code == 422 and field in r.json()["errors"], r.text
    if field != "role":
        r = api.patch(f"/api/claims/{ref}/parties/{party['id']}", json={field: value}, headers=as_handler)
        assert r.status_code == 422 and field in r.json()["errors"], r.text
    assert snapshot(engine) == before


def test_a_role_is_fixed_and_a_party_of_another_claim_is_404(
    api: TestClient, as_handler: dict[str, str], engine: Engine
) -> None:
    ref, other = open_via_api(api, as_handler), open_via_api(api, as_handler)
    theirs = _parties(api, as_handler, other)[0]["id"]
    mine = _parties(api, as_handler, ref)[0]["id"]
    before = snapshot(engine)
    r = api.patch(f"/api/claims/{ref}/parties/{theirs}", json={"name": "X"}, headers=as_handler)
    assert r.status_code == 404, r.text
    r = api.patch(f"/api/claims/{ref}/parties/{mine}", json={"role": "claimant"}, headers=as_handler)
    assert r.status_code == 422 and "role" in r.json()["errors"]
    assert snapshot(engine) == before


def test_an_expert_sees_no_bank_accounts_and_may_not_change_parties(
    api: TestClient,
    as_handler: dict[str, str],
    as_expert: dict[str, str],
    engine: Engine,
    rt: Runtime,
    world: World,
) -> None:
    ref = open_via_api(api, as_handler)
    assert api.post(f"/api/claims/{ref}/parties", json=BROKER, headers=as_handler).status_code == 201
    with Session(engine, expire_on_commit=False) as s:
        advance(s, rt, ref, "start_coverage_check", {}, world.handler, 1)
        advance(
            s,
            rt,
            ref,
            "confirm_cover",
            {"expert": world.expert.email, "reserve_damages": "5000"},
            world.handler,
            2,
        )
    seen = _parties(api, as_expert, ref)
    broker = next(p for p in seen if p["role"] == "broker")
    assert broker["name"] == BROKER["name"] and broker["iban"] is None and broker["account_holder"] is None
    assert "NL91" not in str(seen)
    before = snapshot(engine)
    assert api.post(f"/api/claims/{ref}/parties", json=BROKER, headers=as_expert).status_code == 403
    r = api.patch(f"/api/claims/{ref}/parties/{broker['id']}", json={"name": "X"}, headers=as_expert)
    assert r.status_code == 403
    assert snapshot(engine) == before


def test_a_melding_adds_its_own_parties_in_the_same_transaction(
    api: TestClient, as_handler: dict[str, str], engine: Engine
) -> None:
    listed = [
        {
            "role": "claimant",
            "name": "opdrachtgever  b.v.",
            "street": "Havenweg 18",
            "postcode": "3013 AK",
            "city": "Rotterdam",
        },
        {"role": "counsel", "name": "Boer Advocaten", "attention": "mr. A. de Boer", "reference": "BA-1"},
    ]
    ref = open_via_api(api, as_handler, parties=listed)
    found = {p["role"]: p for p in _parties(api, as_handler, ref)}
    assert set(found) == {"insured", "claimant", "counsel"}  # the listed claimant is the melding's
    assert found["claimant"]["name"] == "Opdrachtgever B.V." and found["claimant"]["city"] == "Rotterdam"
    assert found["counsel"]["reference"] == "BA-1"
    assert api.get(f"/api/claims/{ref}", headers=as_handler).json()["claimant_counsel"] == "Boer Advocaten"
    before = snapshot(engine)
    bad = [listed[0] | {"postcode": "0123 AB"}, {"role": "insured", "name": "X"}, "geen partij"]
    r = api.post(
        "/api/claims", json=melding("unpaid_fee", parties=bad, amount_claimed="veel"), headers=as_handler
    )
    assert r.status_code == 422, r.text
    assert {"parties.0.postcode", "parties.1.role", "parties.2", "amount_claimed"} <= set(r.json()["errors"])
    assert snapshot(engine) == before
