"""A claim's party register: what the melding starts it with, adding and changing parties on the timeline,
and who may do so."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from claims.runtime import Runtime
from claims.service import open_claim
from claims.service.parties import add_party, change_party
from claims.storage.repositories import claims, events, parties, policies
from tests.conftest import snapshot
from tests.factories import World, melding
from workflow.errors import Forbidden, InvalidInput


def _add(engine: Engine, rt: Runtime, ref: str, values: dict[str, str], actor: object) -> int:
    with Session(engine) as s:
        return add_party(s, rt, ref, values, actor)  # type: ignore[arg-type]


def _change(
    engine: Engine, rt: Runtime, ref: str, party_id: int, values: dict[str, str], actor: object
) -> list[str]:
    with Session(engine) as s:
        return change_party(s, rt, ref, party_id, values, actor)  # type: ignore[arg-type]


def _open(engine: Engine, rt: Runtime, world: World, **overrides: str) -> str:
    with Session(engine) as s:
        return open_claim(s, rt, melding(**overrides), world.handler).reference


def _parties(engine: Engine, reference: str) -> list[dict[str, object]]:
    with engine.connect() as conn:
        claim = claims.by_reference(conn, reference)
        assert claim is not None
        return [dict(p) for p in parties.of_claim(conn, claim.id)]


def test_the_melding_starts_the_register_from_the_policy_and_the_claimant(
    engine: Engine, rt: Runtime, world: World
) -> None:
    with Session(engine) as s:
        policy = policies.by_number(s.connection(), "BAV-TEST-1")
        assert policy is not None
        parties.add(
            s.connection(),
            {
                "policy_id": policy.id,
                "role": "broker",
                "name": "Assurantiekantoor Jansen",
                "email": "schade@jansen.example",
                "channel": "email",
                "copy_insured": True,
                "created_at": rt.clock(),
                "updated_at": rt.clock(),
            },
        )
        s.commit()
    ref = _open(engine, rt, world, insured_reference="ES/2026/17", claimant_counsel="mr. A. de Boer")
    found = {p["role"]: p for p in _parties(engine, ref)}
    assert set(found) == {"insured", "broker", "claimant", "counsel"}
    assert (found["insured"]["reference"], found["insured"]["claim_id"] is not None) == ("ES/2026/17", True)
    assert found["broker"]["copy_insured"] is True and found["broker"]["reference"] == ""
    assert found["claimant"]["name"] == "Opdrachtgever B.V."
    assert found["counsel"]["name"] == "mr. A. de Boer"


def test_adding_and_changing_a_party_is_on_the_timeline(engine: Engine, rt: Runtime, world: World) -> None:
    ref = _open(engine, rt, world)
    party_id = _add(
        engine,
        rt,
        ref,
        {"role": "counsel", "name": "Boer Advocaten", "attention": "mr. A. de Boer", "reference": "BA-77"},
        world.handler,
    )
    claimant = next(p for p in _parties(engine, ref) if p["role"] == "claimant")
    changed = _change(
        engine,
        rt,
        ref,
        int(claimant["id"]),
        {
            "name": "Opdrachtgever Holding B.V.",
            "iban": "NL91ABNA0417164300",
            "account_holder": "Opdrachtgever Holding B.V.",
        },
        world.handler,  # type: ignore[call-overload]
    )
    assert changed == ["account_holder", "iban", "name"]
    with engine.connect() as conn:
        claim = claims.by_reference(conn, ref)
        assert claim is not None
        assert claim.claimant == "Opdrachtgever Holding B.V."  # the list shows what the register has
        assert claim.version == 1  # a party is not a change of state
        timeline = events.of_claim(conn, claim.id)
    added, edited = timeline[-2], timeline[-1]
    assert (added.kind, added.data["party_id"], added.data["role"]) == ("party_added", party_id, "counsel")
    assert (edited.kind, edited.data["fields"]) == ("party_changed", ["account_holder", "iban", "name"])
    assert "NL91" not in str(edited.data)  # the account's number is not on the timeline
    assert _change(engine, rt, ref, party_id, {"reference": "BA-77"}, world.handler) == []


def test_bad_input_and_strangers_change_nothing(engine: Engine, rt: Runtime, world: World) -> None:
    ref = _open(engine, rt, world)
    other = _open(engine, rt, world)
    stranger_party = int(_parties(engine, other)[0]["id"])  # type: ignore[call-overload]
    before = snapshot(engine)
    with pytest.raises(InvalidInput) as exc:
        _add(engine, rt, ref, {"role": "claimant", "name": "X", "postcode": "12345"}, world.handler)
    assert "postcode" in exc.value.errors
    with pytest.raises(InvalidInput) as exc:
        _change(engine, rt, ref, stranger_party, {"name": "Y"}, world.handler)
    assert "party" in exc.value.errors
    with pytest.raises(Forbidden):
        _add(engine, rt, ref, {"role": "other", "name": "Rechtbank"}, world.expert)
    assert snapshot(engine) == before
