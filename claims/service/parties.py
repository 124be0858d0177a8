"""A claim's party register: adding and changing parties, each on the claim's timeline; at the melding,
the policy's holder and broker copied into the claim beside the claimant and their counsel."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from claims.errors import ClaimNotFound, PartyNotFound
from claims.parties.fields import bare_party, clean_party
from claims.people.permissions import check_may_act
from claims.runtime import Runtime
from claims.service.timeline import append_aside
from claims.storage.db import Db, in_write
from claims.storage.models import PartyRole, Role, User
from claims.storage.records import ClaimRecord, PolicyRecord
from claims.storage.repositories import claims, parties
from workflow.errors import Forbidden, InvalidInput

_POLICY_ROLES = (PartyRole.insured, PartyRole.broker)


def add_party(db: Db, rt: Runtime, reference: str, values: Mapping[str, Any], actor: User) -> int:
    """Add a party to the claim's register (role and name required); its id."""
    cleaned = clean_party(values)

    def work(conn: Connection) -> int:
        claim = _claim_to_change(conn, reference, actor)
        now = rt.clock()
        party_id = parties.add(conn, {**cleaned, "claim_id": claim.id, "created_at": now, "updated_at": now})
        _event(
            conn,
            claim,
            actor,
            now,
            "party_added",
            party_id,
            cleaned["role"],
            cleaned["name"],
            sorted(cleaned),
        )
        return party_id

    return in_write(db, work)


def change_party(
    db: Db, rt: Runtime, reference: str, party_id: int, values: Mapping[str, Any], actor: User
) -> list[str]:
    """Change the fields `values` names of one of the claim's parties; the names of those that changed."""
    if not values:
        raise InvalidInput({"party": "geen wijziging opgegeven"})

    def work(conn: Connection) -> list[str]:
        claim = _claim_to_change(conn, reference, actor)
        party = parties.by_id(conn, party_id)
        if party is None or party.claim_id != claim.id:
            raise PartyNotFound(f"partij {party_id} hoort niet bij claim {reference}")
        cleaned = clean_party(values, current=party)
        changed = {k: v for k, v in cleaned.items() if party[k] != v}
        if not changed:
            return []
        now = rt.clock()
        parties.change(conn, party_id, changed, now)
        if party.role in (PartyRole.claimant, PartyRole.counsel) and "name" in changed:
            # the claim list and its search show the claimant and counsel by the name the register has
            field = "claimant" if party.role == PartyRole.claimant else "claimant_counsel"
            claims.set_names(conn, claim.id, {field: changed["name"]})
        _event(
            conn,
            claim,
            actor,
            now,
            "party_changed",
            party_id,
            party.role,
            cleaned.get("name", party.name),
            sorted(changed),
        )
        return sorted(changed)

    return in_write(db, work)


def _claim_to_change(conn: Connection, reference: str, actor: User) -> ClaimRecord:
    claim = claims.by_reference(conn, reference)
    if claim is None:
        raise ClaimNotFound(f"Claim {reference} bestaat niet.")
    check_may_act(actor, claim)
    if actor.role not in (Role.handler, Role.manager):
        raise Forbidden("Alleen de behandelaar of een manager legt de partijen van een claim vast.")
    return claim


def _event(
    conn: Connection,
    claim: ClaimRecord,
    actor: User,
    at: datetime,
    kind: str,
    party_id: int,
    role: str,
    name: str,
    fields: list[str],
) -> None:
    # the names of the fields only: a bank account's number is not for everyone who reads the timeline
    append_aside(
        conn, claim, actor.id, at, kind, {"party_id": party_id, "role": role, "name": name, "fields": fields}
    )


def register_melding_parties(
    conn: Connection,
    policy: PolicyRecord,
    claim_id: int,
    values: Mapping[str, Any],
    now: datetime,
    listed: Sequence[Mapping[str, Any]] = (),
) -> None:
    """The parties a new claim starts with: the policy's holder (the insured, with the claim's own
    reference) and broker as the policy has them, the claimant and their counsel by name, and the
    parties the melding lists (checked by clean_melding_parties). A listed claimant or counsel of the
    name the melding gives is that party, with its address and the rest; other listed parties are added
    beside them. The caller has checked `values` (the melding)."""
    on_policy = {p.role: p for p in parties.of_policy(conn, policy.id) if p.role in _POLICY_ROLES}
    stamp = {"claim_id": claim_id, "policy_id": None, "created_at": now, "updated_at": now}
    insured = on_policy.get(PartyRole.insured)
    base = _copy(insured) if insured is not None else bare_party(PartyRole.insured, policy.insured)
    parties.add(conn, {**base, **stamp, "reference": values.get("insured_reference") or ""})
    broker = on_policy.get(PartyRole.broker)
    if broker is not None:
        parties.add(conn, {**_copy(broker), **stamp, "reference": ""})
    rest = list(listed)
    named = [(PartyRole.claimant, values["claimant"]), (PartyRole.counsel, values.get("claimant_counsel"))]
    for role, name in named:
        if not name:
            continue
        same = next((p for p in rest if p["role"] == role and _same_name(p["name"], name)), None)
        if same is not None:
            rest.remove(same)
        party = {**same, "name": name} if same is not None else bare_party(role, name)
        parties.add(conn, {**party, **stamp})
    for other in rest:
        parties.add(conn, {**other, **stamp})


def _same_name(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def _copy(party: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: v for k, v in party.items() if k not in ("id", "claim_id", "policy_id", "created_at", "updated_at")
    }
