"""Opening a claim: a melding validated, numbered and stored in its kind's initial state, with its
deadlines and, if it came late, the 7:941 flag."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Connection

from claims.kinds.authority import weigh
from claims.kinds.claims_made import check_claims_made
from claims.kinds.context import claim_context
from claims.kinds.intake import INITIAL_RESERVES, INTAKE_FIELDS
from claims.notify.notices import recipients
from claims.notify.outbox import claim_email, queue_emails, tell
from claims.parties.fields import clean_melding_parties
from claims.people.permissions import check_may_open
from claims.runtime import Runtime
from claims.service.deadline_changes import open_deadlines
from claims.service.outcome import Outcome
from claims.service.parties import register_melding_parties
from claims.service.timeline import append_event, jsonable
from claims.storage.db import Db, in_write
from claims.storage.models import MoneyKind, PartyRole, Role, User
from claims.storage.repositories import claims, money, policies, users
from workflow.errors import InvalidInput
from workflow.inputs import validate_inputs


def open_claim(db: Db, rt: Runtime, data: Mapping[str, Any], actor: User) -> Outcome:
    """Register a melding: validate, number it, store it in its kind's initial state with deadlines."""
    check_may_open(actor)
    intake = {k: v for k, v in data.items() if k != "parties"}
    party_errors: dict[str, str] = {}
    try:
        listed = clean_melding_parties(data.get("parties"))
    except InvalidInput as exc:
        listed, party_errors = [], exc.errors
    try:
        values = validate_inputs(INTAKE_FIELDS, intake, rt.tz)
    except InvalidInput as exc:
        # name every problem at once: an unknown policy too, not only after the typing errors are fixed
        number = data.get("policy_number")
        conn = db if isinstance(db, Connection) else db.connection()
        errors = {**exc.errors, **party_errors}
        if (
            isinstance(number, str)
            and "policy_number" not in exc.errors
            and not policies.by_number(conn, number)
        ):
            raise InvalidInput({**errors, "policy_number": f"polis {number} bestaat niet"}) from None
        raise InvalidInput(errors) from None
    if party_errors:
        raise InvalidInput(party_errors)
    return in_write(db, lambda conn: _open_claim(conn, rt, values, listed, actor))


def _open_claim(
    conn: Connection, rt: Runtime, values: dict[str, Any], listed: list[dict[str, Any]], actor: User
) -> Outcome:
    """`listed`: the melding's own parties, checked (claims.parties.fields.clean_melding_parties)."""
    now = rt.clock()
    today = now.astimezone(rt.tz).date()
    values.setdefault("date_reported", today)
    errors: dict[str, str] = {}
    if values["kind"] not in rt.catalog.kinds():
        errors["kind"] = f"onbekende soort claim '{values['kind']}'"
    policy = policies.by_number(conn, values["policy_number"])
    if policy is None:
        errors["policy_number"] = f"polis {values['policy_number']} bestaat niet"
    if values["date_error"] > values["date_known"]:
        errors["date_known"] = "ligt voor de datum van de fout"
    if values["date_known"] > values["date_reported"]:
        errors["date_reported"] = "ligt voor de datum waarop de verzekerde het wist"
    if values["date_reported"] > today:
        errors["date_reported"] = "ligt in de toekomst"
    if values.get("personal_data") and values.get("awareness_at") is None:
        errors["awareness_at"] = "verplicht als persoonsgegevens betrokken zijn (72-uurstermijn AVG)"
    if values.get("personal_data") and not values.get("data_role"):
        # which AVG clock runs: the controller's 72 hours to the AP, or the processor's duty to tell
        # the controller without undue delay (art. 33 lid 1 and 2)
        errors["data_role"] = (
            "verplicht als persoonsgegevens betrokken zijn (verwerkingsverantwoordelijke of verwerker)"
        )
    if values.get("awareness_at") and values["awareness_at"] > now:
        errors["awareness_at"] = "ligt in de toekomst"
    if values.get("insured_reference") and claims.reference_with_insured_reference(
        conn, values["insured_reference"]
    ):
        errors["insured_reference"] = "er bestaat al een claim met dit kenmerk"
    handler_id = _handler_for(conn, values.get("handler"), actor, errors)
    if errors:
        raise InvalidInput(errors)
    assert policy is not None and handler_id is not None

    if not values.get("claimant_counsel"):
        # a melding that lists the claimant's counsel names them in the claim as well
        values["claimant_counsel"] = next((p["name"] for p in listed if p["role"] == PartyRole.counsel), "")
    spec = rt.catalog.spec(values["kind"])
    reference = claims.next_reference(conn, now.astimezone(rt.tz).year)
    row = {
        "reference": reference,
        "kind": spec.kind,
        "spec_version": spec.version,
        "spec_fingerprint": spec.fingerprint,
        "state": spec.initial,
        "version": 1,
        "policy_id": policy.id,
        "handler_id": handler_id,
        "insured_reference": values.get("insured_reference"),
        "claimant": values["claimant"],
        "claimant_counsel": values.get("claimant_counsel", ""),
        "description": values["description"],
        "is_circumstance": values.get("is_circumstance", False),
        "date_error": values["date_error"],
        "date_known": values["date_known"],
        "date_reported": values["date_reported"],
        "awareness_at": values.get("awareness_at"),
        "personal_data": values.get("personal_data", False),
        "data_role": values.get("data_role"),
        "amount_claimed": values["amount_claimed"],
        "case_data": {},
        "created_at": now,
        "state_entered_at": now,
    }
    claim_id = claims.insert(conn, row)
    register_melding_parties(conn, policy, claim_id, values, now, listed)
    event_id = append_event(
        conn,
        claim_id=claim_id,
        claim_version=1,
        at=now,
        actor_id=actor.id,
        kind="opened",
        trigger=None,
        from_state=None,
        to_state=spec.initial,
        # the parties by role and name: a bank account's number is not for everyone who reads the timeline
        data={"inputs": jsonable(values)}
        | ({"parties": [{"role": p["role"], "name": p["name"]} for p in listed]} if listed else {}),
    )
    open_deadlines(conn, rt, spec.states[spec.initial], {**row, "id": claim_id}, now)
    _initial_reserves(conn, rt, claim_id, values, actor, event_id, now)
    _flag_late_notice(conn, rt, reference, claim_id, handler_id, values, now)
    _flag_claims_made(conn, policy, claim_id, values, now)
    return Outcome(reference, claim_id, spec.initial, 1, event_id, None, None)


def _initial_reserves(
    conn: Connection,
    rt: Runtime,
    claim_id: int,
    values: Mapping[str, Any],
    actor: User,
    event_id: int,
    now: datetime,
) -> None:
    """The reserves typed with the melding, per cost type, weighed as any reserve is (authority.weigh):
    within the actor's authority and what the cover holds for its cost type. Above it the melding is
    refused naming the field: a reserve above authority waits for a manager, which a melding cannot
    (the handler proposes it with "Reserve aanpassen" once the coverage check runs)."""
    wanted = {ct: values[f] for f, ct in INITIAL_RESERVES.items() if values.get(f)}
    if not wanted:
        return
    claim = claims.by_id(conn, claim_id)
    assert claim is not None
    ctx = claim_context(conn, rt, claim, actor, case_data={}, now=now)
    for cost_type, amount in wanted.items():
        ctx.add_money(MoneyKind.reserve, cost_type, amount, "reserve bij de melding")
    weighed = weigh(ctx, actor)
    if weighed.needs_manager:
        reasons = " ".join([*weighed.over_authority, *weighed.over_cover])
        raise InvalidInput({f"reserve_{ct}": reasons for ct in wanted})
    money.add_lines(
        conn,
        [
            {
                "claim_id": claim_id,
                "event_id": event_id,
                "at": now,
                "kind": m["kind"],
                "cost_type": m["cost_type"],
                "amount": m["amount"],
                "note": m["note"],
            }
            for m in ctx.money
        ],
    )


def _flag_late_notice(
    conn: Connection,
    rt: Runtime,
    reference: str,
    claim_id: int,
    handler_id: int,
    values: Mapping[str, Any],
    now: datetime,
) -> None:
    """7:941 BW: a late melding is flagged for the handler, on the timeline and in their inbox. It never
    rejects anything by itself: cover is reduced only by the harm the insurer shows the delay did."""
    late = values["date_reported"] - values["date_known"]
    if late <= rt.rules.late_notice:
        return
    note = (
        f"Late melding (art. 7:941 BW): {late.days} dagen na het bekend worden gemeld. Alleen de schade die "
        "de verzekeraar door de vertraging lijdt mag in mindering komen; dat moet de verzekeraar aantonen."
    )
    event_id = append_event(
        conn,
        claim_id=claim_id,
        claim_version=1,
        at=now,
        actor_id=None,
        kind="late_notice",
        trigger=None,
        from_state=None,
        to_state=None,
        data={"rule": "7:941 BW", "days": late.days},
        note=note,
    )
    for _, handler in recipients(conn, ["handler"], {"handler_id": handler_id}):
        message = f"{reference}: {note}"
        email = tell(
            conn,
            user=handler,
            claim_id=claim_id,
            event_id=event_id,
            kind="late_notice",
            message=message,
            email=claim_email(rt, "late_melding", handler, reference, message),
            now=now,
        )
        queue_emails(conn, [email])


def _flag_claims_made(
    conn: Connection, policy: Any, claim_id: int, values: Mapping[str, Any], now: datetime
) -> None:
    """Claims-made, checked at the melding: a claim reported outside the policy period, or for an error
    before the retroactive date, is flagged on the timeline. The engine decides nothing: confirming cover
    then takes a manager and a reason."""
    check = check_claims_made(policy, values["date_error"], values["date_reported"])
    if check.covered:
        return
    append_event(
        conn,
        claim_id=claim_id,
        claim_version=1,
        at=now,
        actor_id=None,
        kind="claims_made",
        trigger=None,
        from_state=None,
        to_state=None,
        data=check.as_dict(),
        note="Buiten de claims-made-dekking: " + " ".join(check.findings()),
    )


def _handler_for(conn: Connection, email: str | None, actor: User, errors: dict[str, str]) -> int | None:
    """The handler the melding goes to: the reporting handler, or a colleague of their team; a manager
    chooses anyone."""
    if not email:
        if actor.role == Role.handler:
            return actor.id
        errors["handler"] = "kies de behandelaar"
        return None
    row = users.by_email(conn, email)
    if row is None or row.role != Role.handler or not row.active:
        errors["handler"] = f"geen actieve behandelaar met e-mailadres {email}"
        return None
    if actor.role == Role.handler and row.team != actor.team:
        errors["handler"] = f"{email} hoort niet bij uw team"
        return None
    return int(row.id)
