"""A claim's party register as its reader may see it: a bank account only for the insurer's own side
(handlers and managers), never for an expert."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from claims.parties.fields import CHANNEL_LABELS, ROLE_LABELS, address_lines, iban_display
from claims.people.permissions import may_act
from claims.reads.queries import readable_claim
from claims.storage.models import Role, User
from claims.storage.records import PartyRecord
from claims.storage.repositories import parties

ACCOUNT_FIELDS = ("iban", "account_holder")


def may_see_accounts(actor: User | None) -> bool:
    """Whether `actor` reads the parties' bank accounts (None: an operator at the command line)."""
    return actor is None or actor.role in (Role.handler, Role.manager)


def may_change_parties(actor: User, claim: Any) -> bool:
    """Whether `actor` may add and change the claim's parties (as claims.service.parties checks)."""
    return actor.role in (Role.handler, Role.manager) and may_act(actor, claim)


def shown_party(party: PartyRecord, *, with_account: bool) -> dict[str, Any]:
    """The party as a reader sees it: its fields, labels and address block; without the bank account
    (None) for who may not see it."""
    shown: dict[str, Any] = {k: v for k, v in dict(party).items() if k not in ("claim_id", "policy_id")}
    shown["role_label"] = ROLE_LABELS.get(party.role, party.role)
    shown["channel_label"] = CHANNEL_LABELS.get(party.channel, party.channel)
    shown["address_lines"] = address_lines(shown)
    if with_account:
        shown["iban_display"] = iban_display(party.iban)
    else:
        shown.update({k: None for k in ACCOUNT_FIELDS}, iban_display=None)
    return shown


def claim_parties(session: Session, reference: str, actor: User | None = None) -> list[dict[str, Any]]:
    """The claim's parties in the order they were added, if `actor` may read the claim."""
    conn = session.connection()
    claim = readable_claim(conn, reference, actor)
    with_account = may_see_accounts(actor)
    return [shown_party(p, with_account=with_account) for p in parties.of_claim(conn, claim.id)]


def party_of_claim(
    session: Session, reference: str, party_id: int, actor: User | None = None
) -> dict[str, Any]:
    """One of the claim's parties as `actor` sees it (after a change, say)."""
    found = next((p for p in claim_parties(session, reference, actor) if p["id"] == party_id), None)
    assert found is not None, (reference, party_id)
    return found
