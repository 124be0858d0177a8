"""The complaint track (klachtbehandeling): a complaint registered on a claim, open or closed, then
acknowledged, its answer term extended once, and answered. Each step is one transaction: the complaint's
row, its clocks (deadlines of scope COMPLAINT_SCOPE, met, cancelled and opened), its timeline event beside
the claim's course, and its letter to the complainant with the letter's e-mail in the outbox.

A complaint is the handler's or a manager's business; an expert never sees one. The terms are the
insurer's (claims/complaints/terms.yaml), not the law's: no Algemene termijnenwet shift."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from claims.complaints.terms import (
    ACKNOWLEDGE,
    ANSWER,
    EXTENDED_ANSWER,
    KIFID,
    OPEN_STATUSES,
    OUTCOME_LABELS,
    STATUS_LABELS,
    TURNOVER_BANDS,
    clock_label,
    clock_name,
    kifid_qualifies,
)
from claims.errors import ClaimNotFound, ComplaintNotFound
from claims.letters.facts import claim_facts, party_recipient
from claims.notify.letters_out import letter_emails, queue_letter_emails
from claims.parties.fields import ROLE_LABELS
from claims.people.permissions import check_may_act
from claims.runtime import Runtime
from claims.service.timeline import append_aside
from claims.storage import chain
from claims.storage.db import Db, in_write
from claims.storage.models import COMPLAINT_SCOPE, PartyRole, Role, User
from claims.storage.records import ClaimRecord, ComplaintRecord
from claims.storage.repositories import claims, complaints, deadlines, letters, parties, policies
from claims.text import unstorable
from notifications.formatting import local_moment, long_date
from workflow.errors import Forbidden, InvalidInput, TransitionNotAllowed
from workflow.inputs import parse_date

MAX_SUBJECT = 200
MAX_TEXT = 5000
MIN_REASON = 10  # an extension's reason and an answer say something
LETTERS = {
    "acknowledged": "klacht_ontvangstbevestiging",
    "extended": "klacht_verlenging",
    "answered": "klacht_antwoord",
}


@dataclass(frozen=True)
class ComplaintStep:
    """What a step did: the complaint, its timeline event, and its letter (None for a registration)."""

    complaint_id: int
    number: int  # the claim's first, second, ... complaint
    event_id: int
    letter_id: int | None = None


def check_may_handle(actor: User) -> None:
    """Forbidden for anyone but a handler or a manager (an expert never sees complaints)."""
    if actor.role not in (Role.handler, Role.manager):
        raise Forbidden("Klachten behandelen de behandelaar en de managers; een expert ziet ze niet.")


def _text(values: Mapping[str, Any], name: str, errors: dict[str, str], *, minimum: int, maximum: int) -> str:
    raw = values.get(name)
    text = raw.strip() if isinstance(raw, str) else ""
    if raw is not None and not isinstance(raw, str):
        errors[name] = "tekst verwacht"
    elif len(raw or "") > maximum:  # as sent, white space included: what the API's schema counts
        errors[name] = f"hoogstens {maximum} tekens ({len(raw or '')} ingevuld)"
    elif len(text) < minimum:
        errors[name] = "vul dit in" if not text else f"ten minste {minimum} tekens"
    elif problem := unstorable(text):
        errors[name] = problem
    return text


def _unknown(values: Mapping[str, Any], known: tuple[str, ...], errors: dict[str, str]) -> None:
    for name in values:
        if name not in known:
            errors[str(name)] = "onbekend veld"


def _claim(conn: Connection, reference: str, actor: User) -> ClaimRecord:
    claim = claims.by_reference(conn, reference)
    if claim is None:
        raise ClaimNotFound(f"Claim {reference} bestaat niet.")
    check_may_act(actor, claim)
    return claim


def _complaint(conn: Connection, claim: ClaimRecord, complaint_id: int) -> ComplaintRecord:
    found = complaints.by_id(conn, complaint_id)
    if found is None or found.claim_id != claim.id:
        raise ComplaintNotFound(f"Klacht {complaint_id} hoort niet bij claim {claim.reference}.")
    return found


def _remind_at(rt: Runtime, now: datetime, due: datetime) -> datetime:
    """As for a claim's deadlines: the general lead before the due moment, for a short term no earlier
    than halfway."""
    lead = max(min(rt.rules.reminder_lead, (due - now) / 2), timedelta(0))
    return due - lead


def _open_clock(
    conn: Connection, rt: Runtime, claim: ClaimRecord, complaint: Mapping[str, Any], clock: str, now: datetime
) -> datetime:
    due = rt.complaint_terms.due(clock, complaint["received_on"], rt.tz)
    deadlines.add(
        conn,
        [
            {
                "claim_id": claim.id,
                "name": clock_name(complaint["id"], clock),
                "label": clock_label(complaint["number"], clock),
                "state": COMPLAINT_SCOPE,
                "scope": COMPLAINT_SCOPE,
                "responsible": Role.handler,
                "met_by": "",
                "restarted_by": "",
                "started_at": now,
                "due_at": due,
                "remind_at": _remind_at(rt, now, due),
            }
        ],
    )
    return due


def _close_clocks(
    conn: Connection,
    claim: ClaimRecord,
    complaint_id: int,
    clocks: tuple[str, ...],
    now: datetime,
    **how: Any,
) -> list[Any]:
    """Meet (met_trigger=...) or cancel (cancelled=True) the complaint's running `clocks`; the rows closed."""
    closing = []
    for clock in clocks:
        row = complaints.open_clock(conn, claim.id, clock_name(complaint_id, clock))
        if row is None:
            continue
        if how.get("cancelled"):
            closing.append({"_id": row.id, "met_at": None, "met_trigger": None, "cancelled_at": now})
        else:
            closing.append(
                {"_id": row.id, "met_at": now, "met_trigger": how["met_trigger"], "cancelled_at": None}
            )
        closing[-1]["row"] = row
    deadlines.close(conn, [{k: v for k, v in c.items() if k != "row"} for c in closing])
    return [c["row"] for c in closing]


# ----------------------------------------------------------------------------------------- register

REGISTER_FIELDS = ("complainant", "subject", "description", "received_on")


def _check_registration(
    conn: Connection, claim: ClaimRecord, values: Mapping[str, Any], today: date
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    _unknown(values, REGISTER_FIELDS, errors)
    party = None
    raw = values.get("complainant")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        errors["complainant"] = "kies wie klaagt (een partij van de claim)"
    elif isinstance(raw, bool) or not (
        isinstance(raw, int) or (isinstance(raw, str) and raw.strip().isdigit())
    ):
        errors["complainant"] = "het nummer van een partij van de claim"
    else:
        party = parties.by_id(conn, int(raw)) if int(raw) < 2**31 else None
        if party is None or party.claim_id != claim.id:
            errors["complainant"] = "geen partij van deze claim"
            party = None
    subject = _text(values, "subject", errors, minimum=3, maximum=MAX_SUBJECT)
    description = _text(values, "description", errors, minimum=0, maximum=MAX_TEXT)
    received_on: date | None = None
    raw = values.get("received_on")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        errors["received_on"] = "vul de datum in waarop de klacht binnenkwam"
    else:
        try:
            received_on = parse_date(raw, "ontvangen op")
        except ValueError:
            errors["received_on"] = "geen datum (JJJJ-MM-DD)"
        else:
            if received_on > today:
                errors["received_on"] = "ligt in de toekomst"
            elif received_on < claim.date_reported:
                errors["received_on"] = (
                    f"ligt voor de meldingsdatum van de claim ({long_date(claim.date_reported)}): een klacht "
                    "over de behandeling komt daarna binnen"
                )
    if errors:
        raise InvalidInput(errors)
    assert party is not None and received_on is not None
    return {"party": party, "subject": subject, "description": description, "received_on": received_on}


def register_complaint(
    db: Db, rt: Runtime, reference: str, values: Mapping[str, Any], actor: User
) -> ComplaintStep:
    """Register a complaint on the claim (open or closed): who complains (a party of the claim, by its
    number), `subject`, `description`, `received_on` (not in the future, not before the melding). Its
    acknowledge and answer clocks start, counted from the day it was received."""
    check_may_handle(actor)

    def work(conn: Connection) -> ComplaintStep:
        claim = _claim(conn, reference, actor)
        now = rt.clock()
        fields = _check_registration(conn, claim, values, now.astimezone(rt.tz).date())
        party = fields["party"]
        assert actor.id is not None
        row: dict[str, Any] = {
            "claim_id": claim.id,
            "number": complaints.next_number(conn, claim.id),
            "complainant_party_id": party.id,
            "complainant_name": party.name,
            "subject": fields["subject"],
            "description": fields["description"],
            "received_on": fields["received_on"],
            "registered_by": actor.id,
            "registered_at": now,
            "status": "received",
            "acknowledged_at": None,
            "extended_at": None,
            "extension_reason": "",
            "answered_at": None,
            "answer": "",
            "outcome": None,
        }
        row["id"] = complaints.add(conn, row)
        acknowledge_due = _open_clock(conn, rt, claim, row, ACKNOWLEDGE, now)
        answer_due = _open_clock(conn, rt, claim, row, ANSWER, now)
        event_id = append_aside(
            conn,
            claim,
            actor.id,
            now,
            "complaint_registered",
            {
                "complaint": row["id"],
                "number": row["number"],
                "complainant": party.name,
                "complainant_party": party.id,
                "complainant_role": party.role,
                "subject": row["subject"],
                "received_on": row["received_on"].isoformat(),
                "acknowledge_due": acknowledge_due.isoformat(),
                "answer_due": answer_due.isoformat(),
            },
            note=(
                f"Klacht {row['number']} van {party.name} ({ROLE_LABELS.get(party.role, party.role).lower()})"
                ","
                f" ontvangen op {long_date(row['received_on'])}: {row['subject']}. Ontvangst bevestigen"
                f" uiterlijk {local_moment(acknowledge_due, rt.tz)}, beantwoorden uiterlijk"
                f" {local_moment(answer_due, rt.tz)}."
            ),
        )
        return ComplaintStep(row["id"], row["number"], event_id)

    return in_write(db, work)


# ------------------------------------------------------------------------------------ the letters


def _letter(
    conn: Connection,
    rt: Runtime,
    claim: ClaimRecord,
    complaint: Mapping[str, Any],
    template: str,
    now: datetime,
    extra: Mapping[str, Any],
) -> tuple[Any, dict[str, Any]]:
    """The step's letter to the complainant (the party as it is registered now), rendered, with its facts.
    A broker marked to be copied on the insured's letters gets a copy when the insured complains."""
    spec = rt.catalog.spec(claim.kind, claim.spec_version)
    facts = claim_facts(conn, spec, claim, now)
    register = parties.of_claim(conn, claim.id)
    party = next((p for p in register if p.id == complaint["complainant_party_id"]), None)
    assert party is not None  # a complaint's party is one of its claim's, and parties are never removed
    facts["recipient"] = party_recipient(party)
    facts["copies"] = (
        [party_recipient(p) for p in register if p.role == PartyRole.broker and p.copy_insured]
        if party.role == PartyRole.insured
        else []
    )
    insured = next((p for p in register if p.role == PartyRole.insured), None)
    facts["insured"] = party_recipient(insured) if insured is not None else facts["recipient"]
    terms = rt.complaint_terms
    facts["complaint"] = {
        "number": complaint["number"],
        "subject": complaint["subject"],
        "description": complaint["description"],
        "received_on": complaint["received_on"],
    }
    facts["kifid"] = {
        **KIFID,
        "without_answer_from": terms.kifid_without_answer_from(complaint["received_on"]),
        "without_answer_term": terms.kifid_without_answer.words(),
        "after_answer_term": terms.kifid_after_answer.words(),
    }
    facts.update(extra)
    return rt.letters.render(template, facts), facts


def _write_letter(
    conn: Connection,
    rt: Runtime,
    claim: ClaimRecord,
    actor: User,
    complaint: Mapping[str, Any],
    kind: str,
    now: datetime,
    data: dict[str, Any],
    note: str,
    extra: Mapping[str, Any],
) -> ComplaintStep:
    """Render the letter, append the event that lists its hash, store the letter and queue its e-mails."""
    letter, facts = _letter(conn, rt, claim, complaint, LETTERS[kind], now, extra)
    data["letters"] = chain.letter_entries([(letter.template, letter.sha256)])
    event_id = append_aside(conn, claim, actor.id, now, f"complaint_{kind}", data, note=note)
    recipient, copies = facts["recipient"], facts["copies"]
    letter_id = letters.add(
        conn,
        {
            "claim_id": claim.id,
            "event_id": event_id,
            "template": letter.template,
            "template_version": letter.version,
            "title": letter.title,
            "recipient": recipient["role"],
            "recipient_name": recipient["name"],
            "recipient_party_id": recipient["party_id"],
            "channel": recipient["channel"],
            "copies": [
                {k: c[k] for k in ("party_id", "name", "role", "role_label", "channel", "email")}
                for c in copies
            ],
            "post_count": sum(1 for w in (recipient, *copies) if w["channel"] == "post"),
            "sha256": letter.sha256,
            "html": letter.html,
            "created_at": now,
        },
    )
    queue_letter_emails(
        conn,
        letter_emails(
            rt,
            letter_id=letter_id,
            claim_id=claim.id,
            reference=claim.reference,
            title=letter.title,
            recipient=recipient,
            copies=copies,
            sender=facts["handler"]["name"],
            now=now,
        ),
    )
    return ComplaintStep(complaint["id"], complaint["number"], event_id, letter_id)


def _refused(complaint: ComplaintRecord, what: str) -> TransitionNotAllowed:
    """A step the complaint's course no longer allows (409)."""
    state = STATUS_LABELS.get(complaint.status, complaint.status)
    return TransitionNotAllowed(f"Klacht {complaint.number} is al {state}: {what}", guard="complaint_status")


def _moved(complaint: ComplaintRecord) -> TransitionNotAllowed:
    return TransitionNotAllowed(
        f"Klacht {complaint.number} is intussen door iemand anders verder gebracht. Er is niets doorgevoerd.",
        guard="complaint_status",
    )


# ---------------------------------------------------------------------------------- acknowledge


def acknowledge_complaint(
    db: Db, rt: Runtime, reference: str, complaint_id: int, actor: User
) -> ComplaintStep:
    """Confirm receipt of the complaint to the complainant (the letter names the answer date and when the
    client may go to Kifid without an answer): meets its acknowledge clock."""
    check_may_handle(actor)

    def work(conn: Connection) -> ComplaintStep:
        claim = _claim(conn, reference, actor)
        complaint = _complaint(conn, claim, complaint_id)
        if complaint.status != "received":
            raise _refused(complaint, "de ontvangst is al bevestigd of de klacht is beantwoord.")
        now = rt.clock()
        if not complaints.change_if(
            conn, complaint.id, ("received",), {"status": "acknowledged", "acknowledged_at": now}
        ):
            raise _moved(complaint)
        _close_clocks(conn, claim, complaint.id, (ACKNOWLEDGE,), now, met_trigger="complaint_acknowledged")
        answer = complaints.open_clock(
            conn, claim.id, clock_name(complaint.id, EXTENDED_ANSWER)
        ) or complaints.open_clock(conn, claim.id, clock_name(complaint.id, ANSWER))
        answer_due = (
            answer.due_at
            if answer is not None
            else rt.complaint_terms.due(ANSWER, complaint.received_on, rt.tz)
        )
        return _write_letter(
            conn,
            rt,
            claim,
            actor,
            complaint,
            "acknowledged",
            now,
            {"complaint": complaint.id, "number": complaint.number, "answer_due": answer_due.isoformat()},
            f"Klacht {complaint.number}: ontvangst bevestigd aan {complaint.complainant_name}; antwoord"
            f" uiterlijk {long_date(answer_due, rt.tz)}.",
            {"answer_due": answer_due, "answer_term": rt.complaint_terms.answer.words()},
        )

    return in_write(db, work)


# --------------------------------------------------------------------------------------- extend


def extend_complaint(
    db: Db, rt: Runtime, reference: str, complaint_id: int, values: Mapping[str, Any], actor: User
) -> ComplaintStep:
    """Extend the answer term once, with a `reason`, to its extended length from the day the complaint
    was received: the answer clock is cancelled (its row kept), the extended one opened, and a letter
    tells the complainant why and the new date. A second extension, or one after the answer, is refused."""
    check_may_handle(actor)
    errors: dict[str, str] = {}
    _unknown(values, ("reason",), errors)
    reason = _text(values, "reason", errors, minimum=MIN_REASON, maximum=MAX_TEXT)
    if "reason" in errors and not reason:
        errors["reason"] = "geef de reden van de verlenging (de klager krijgt die te lezen)"

    def work(conn: Connection) -> ComplaintStep:
        claim = _claim(conn, reference, actor)
        complaint = _complaint(conn, claim, complaint_id)
        if complaint.status == "extended":
            raise TransitionNotAllowed(
                f"De termijn van klacht {complaint.number} is al eens verlengd (op"
                f" {long_date(complaint.extended_at or complaint.registered_at, rt.tz)}); een tweede"
                " verlenging kan niet.",
                guard="complaint_extended_once",
            )
        if complaint.status == "answered":
            raise _refused(complaint, "de termijn verlengen kan alleen voor het antwoord.")
        if errors:
            raise InvalidInput(errors)
        now = rt.clock()
        if not complaints.change_if(
            conn,
            complaint.id,
            ("received", "acknowledged"),
            {"status": "extended", "extended_at": now, "extension_reason": reason},
        ):
            raise _moved(complaint)
        _close_clocks(conn, claim, complaint.id, (ANSWER,), now, cancelled=True)
        new_due = _open_clock(conn, rt, claim, complaint, EXTENDED_ANSWER, now)
        old_due = rt.complaint_terms.due(ANSWER, complaint.received_on, rt.tz)
        return _write_letter(
            conn,
            rt,
            claim,
            actor,
            complaint,
            "extended",
            now,
            {
                "complaint": complaint.id,
                "number": complaint.number,
                "reason": reason,
                "answer_due": new_due.isoformat(),
            },
            f"Klacht {complaint.number}: antwoordtermijn verlengd tot {long_date(new_due, rt.tz)}."
            f" Reden: {reason}",
            {
                "reason": reason,
                "answer_due": new_due,
                "old_answer_due": old_due,
                "extended_term": rt.complaint_terms.extended_answer.words(),
            },
        )

    return in_write(db, work)


# --------------------------------------------------------------------------------------- answer

ANSWER_FIELDS = ("answer", "outcome")


def answer_complaint(
    db: Db, rt: Runtime, reference: str, complaint_id: int, values: Mapping[str, Any], actor: User
) -> ComplaintStep:
    """Answer the complaint: the insurer's position (`answer`) and `outcome` (gegrond, deels_gegrond,
    ongegrond), as its final position. The letter names the Kifid route, the last day the insured may go
    there (the term after the answer's date) and whether the insured qualifies by the policy's turnover
    band. Meets the answer clock (and the acknowledge clock, if receipt was never confirmed)."""
    check_may_handle(actor)
    errors: dict[str, str] = {}
    _unknown(values, ANSWER_FIELDS, errors)
    answer = _text(values, "answer", errors, minimum=MIN_REASON, maximum=MAX_TEXT)
    outcome = values.get("outcome")
    if outcome not in OUTCOME_LABELS:
        errors["outcome"] = "kies: " + ", ".join(OUTCOME_LABELS.values())

    def work(conn: Connection) -> ComplaintStep:
        claim = _claim(conn, reference, actor)
        complaint = _complaint(conn, claim, complaint_id)
        if complaint.status == "answered":
            raise _refused(complaint, "een klacht wordt één keer beantwoord.")
        if errors:
            raise InvalidInput(errors)
        now = rt.clock()
        if not complaints.change_if(
            conn,
            complaint.id,
            OPEN_STATUSES,
            {"status": "answered", "answered_at": now, "answer": answer, "outcome": outcome},
        ):
            raise _moved(complaint)
        _close_clocks(
            conn,
            claim,
            complaint.id,
            (ACKNOWLEDGE, ANSWER, EXTENDED_ANSWER),
            now,
            met_trigger="complaint_answered",
        )
        answered_on = now.astimezone(rt.tz).date()
        kifid_until = rt.complaint_terms.kifid_until(answered_on)
        band = policies.by_id(conn, claim.policy_id).turnover_band
        qualifies = kifid_qualifies(band)
        label = OUTCOME_LABELS[str(outcome)]
        return _write_letter(
            conn,
            rt,
            claim,
            actor,
            complaint,
            "answered",
            now,
            {
                "complaint": complaint.id,
                "number": complaint.number,
                "outcome": outcome,
                "kifid_until": kifid_until.isoformat(),
                "turnover_band": band,
            },
            f"Klacht {complaint.number} beantwoord: {label}. Naar Kifid tot en met {long_date(kifid_until)}.",
            {
                "answer": answer,
                "outcome": outcome,
                "outcome_label": label,
                "answered_on": answered_on,
                "kifid_until": kifid_until,
                "kifid_qualifies": qualifies,
                "turnover_band_label": TURNOVER_BANDS.get(band or "", ""),
                "turnover_limit": rt.complaint_terms.turnover_limit_words(),
            },
        )

    return in_write(db, work)
