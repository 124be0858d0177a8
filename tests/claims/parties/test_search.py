"""The claim list's free text finds a claim by its parties (name, contact, kenmerk) and invoice numbers."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from claims.reads.claim_list import ClaimFilter, search_claims
from claims.runtime import Runtime
from claims.service import advance, open_claim
from claims.service.parties import add_party
from tests.factories import World, melding


def _found(engine: Engine, rt: Runtime, world: World, text: str) -> list[str]:
    with Session(engine) as s:
        page = search_claims(s.connection(), world.manager, ClaimFilter(q=text), rt.clock())
    return [c.reference for c in page.items]


def test_search_finds_a_claim_by_its_parties_and_invoice_numbers(
    engine: Engine, rt: Runtime, world: World
) -> None:
    with Session(engine, expire_on_commit=False) as s:
        ref = open_claim(s, rt, melding("unpaid_fee"), world.handler).reference
        other = open_claim(s, rt, melding("unpaid_fee", claimant="Ander B.V."), world.handler).reference
        add_party(
            s,
            rt,
            ref,
            {
                "role": "counsel",
                "name": "Boer Advocaten",
                "attention": "mr. A. de Boer",
                "reference": "BA-2025/0913",
            },
            world.handler,
        )
        add_party(s, rt, ref, {"role": "broker", "name": "Assurantiekantoor Van Dijk B.V."}, world.handler)
        advance(s, rt, other, "start_coverage_check", {}, world.handler, 1)
        advance(
            s,
            rt,
            other,
            "start_mitigation",
            {"measure": "voorschot", "reserve_mitigation": "5000"},
            world.handler,
            2,
        )
        invoice = {"number": "F2025-071", "amount": "1000", "due_date": "2026-10-31"}
        advance(s, rt, other, "register_invoice", invoice, world.handler, 3)
    assert _found(engine, rt, world, "de Boer") == [ref]  # counsel's contact
    assert _found(engine, rt, world, "boer advocaten") == [ref]  # counsel's name, any case
    assert _found(engine, rt, world, "Van Dijk") == [ref]  # the broker
    assert _found(engine, rt, world, "BA-2025/0913") == [ref]  # their kenmerk
    assert _found(engine, rt, world, "F2025-071") == [other]  # an invoice number
    assert _found(engine, rt, world, "F2025-07") == []  # an invoice number is matched whole
    assert _found(engine, rt, world, "Niemand Bekend B.V.") == []
