"""The claim page's party register: shown with labels and address, added and changed through its
forms (POST-redirect-GET), bad input shown again by field with nothing stored, and what an expert sees."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from claims.runtime import Runtime
from claims.service import advance, open_claim
from claims.storage.repositories import claims, parties
from tests.conftest import snapshot
from tests.factories import World, melding
from tests.web.conftest import forms

COUNSEL = {
    "role": "counsel",
    "name": "Boer Advocaten",
    "attention": "mr. A. de Boer",
    "street": "Herengracht 450",
    "postcode": "1017ca",
    "city": "Amsterdam",
    "email": "A.deBoer@boer-advocaten.example",
    "reference": "BA-2025/0913",
    "channel": "email",
}


def _opened(engine: Engine, rt: Runtime, world: World) -> str:
    with Session(engine, expire_on_commit=False) as s:
        return open_claim(s, rt, melding(), world.handler).reference


def _form(page: str, action: str) -> dict[str, Any]:
    return next(f for f in forms(page) if f["action"] == action)["fields"]


def _parties(engine: Engine, reference: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        claim = claims.by_reference(conn, reference)
        assert claim is not None
        return [dict(p) for p in parties.of_claim(conn, claim.id)]


def test_a_handler_adds_a_party_through_the_form_and_sees_it(
    handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = _opened(engine, rt, world)
    page = handler.get(f"/claims/{ref}").text
    assert 'id="partijen"' in page and "Verzekerde" in page and "Benadeelde" in page
    fields = _form(page, f"/claims/{ref}/parties")
    r = handler.post(f"/claims/{ref}/parties", data=fields | COUNSEL)
    assert r.status_code == 303 and r.headers["location"] == f"/claims/{ref}?ok=party_added#partijen"
    page = handler.get(r.headers["location"]).text
    assert "De partij is toegevoegd." in page
    for shown in (
        "Advocaat/gemachtigde benadeelde",
        "t.a.v. mr. A. de Boer",
        "1017 CA  AMSTERDAM",
        "a.deboer@boer-advocaten.example",
        "BA-2025/0913",
        "Per e-mail",
        "Partij toegevoegd",
    ):
        assert shown in page, shown
    counsel = next(p for p in _parties(engine, ref) if p["role"] == "counsel")
    assert (counsel["postcode"], counsel["email"]) == ("1017 CA", "a.deboer@boer-advocaten.example")


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("postcode", "12345", "4 cijfers en 2 letters"),
        ("iban", "NL91ABNA0417164301", "IBAN: geen geldig rekeningnummer"),
        ("kvk", "1234567", "8 cijfers"),
        ("email", "boer@", "ongeldig adres"),
    ],
)
def test_bad_party_input_is_shown_by_field_with_the_input_kept_and_nothing_stored(
    handler: TestClient, engine: Engine, rt: Runtime, world: World, field: str, value: str, says: str
) -> None:
    ref = _opened(engine, rt, world)
    fields = _form(handler.get(f"/claims/{ref}").text, f"/claims/{ref}/parties")
    before = snapshot(engine)
    typed = COUNSEL | {"account_holder": "Boer Advocaten", field: value}
    r = handler.post(f"/claims/{ref}/parties", data=fields | typed)
    assert r.status_code == 422
    assert snapshot(engine) == before
    assert f'id="new-party-{field}-error"' in r.text and says in r.text
    kept = _form(r.text, f"/claims/{ref}/parties")
    assert kept[field] == value and kept["name"] == "Boer Advocaten"  # what was typed, kept
    assert (
        '<details class="action" open id="partij-toevoegen">' in r.text
    )  # the form is open where the problem is


def test_a_party_is_changed_through_its_form_and_its_iban_shown_formatted(
    handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = _opened(engine, rt, world)
    claimant = next(p for p in _parties(engine, ref) if p["role"] == "claimant")
    action = f"/claims/{ref}/parties/{claimant['id']}"
    fields = _form(handler.get(f"/claims/{ref}").text, action)
    assert fields["name"] == "Opdrachtgever B.V." and "role" not in fields
    change = {
        "iban": "nl91abna0417164300",
        "account_holder": "Opdrachtgever B.V.",
        "street": "Kerkstraat 1",
        "postcode": "1012 AB",
        "city": "Amsterdam",
    }
    r = handler.post(action, data=fields | change)
    assert r.status_code == 303 and r.headers["location"].endswith(
        f"ok=party_changed#partij-{claimant['id']}"
    )
    page = handler.get(r.headers["location"]).text
    assert "NL91 ABNA 0417 1643 00" in page and "Kerkstraat 1" in page and "De partij is gewijzigd." in page
    bad = handler.post(action, data=fields | {"iban": "NL00ABNA0417164300"})
    assert bad.status_code == 422 and "IBAN: geen geldig" in bad.text
    assert _form(bad.text, action)["iban"] == "NL00ABNA0417164300"


def test_an_expert_sees_the_parties_without_bank_accounts_and_cannot_change_them(
    expert: TestClient, handler: TestClient, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = _opened(engine, rt, world)
    claimant = next(p for p in _parties(engine, ref) if p["role"] == "claimant")
    with Session(engine, expire_on_commit=False) as s:
        from claims.service.parties import change_party

        change_party(
            s,
            rt,
            ref,
            claimant["id"],
            {"iban": "NL91ABNA0417164300", "account_holder": "Opdrachtgever B.V."},
            world.handler,
        )
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
    assert "NL91 ABNA" in handler.get(f"/claims/{ref}").text
    page = expert.get(f"/claims/{ref}").text
    assert "Opdrachtgever B.V." in page and 'id="partijen"' in page
    assert "NL91" not in page and "IBAN" not in page
    assert not [f for f in forms(page) if "/parties" in f["action"]]
    csrf = next(f for f in forms(page) if f["action"].endswith("/transitions"))["fields"]
    before = snapshot(engine)
    token = {"csrf": csrf["csrf"], "version": csrf["version"]}
    assert (
        expert.post(f"/claims/{ref}/parties", data=token | {"role": "other", "name": "X"}).status_code == 403
    )
    assert (
        expert.post(f"/claims/{ref}/parties/{claimant['id']}", data=token | {"name": "Y"}).status_code == 403
    )
    assert snapshot(engine) == before
