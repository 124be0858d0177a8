"""Proposals and payments: a manager decides a proposal on the claim page; the payments list shows what is
approved and not yet paid, marks it paid or cancels it, and gives the bank file (SEPA pain.001 or CSV);
the same in the JSON API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from claims.exports.bank_file import bank_file
from claims.reads.labels import PAYMENT_STATUS_LABELS
from claims.service import (
    approve_proposal,
    cancel_payment,
    mark_paid,
    reject_proposal,
    withdraw_proposal,
)
from claims.storage.models import PaymentStatus, Role, User
from claims.storage.repositories import claims, payments
from claims.web.deps import FORGED, ApiViewer, Db, DbId, PageViewer, PostedForm, Web, csrf
from claims.web.pages import see_other
from claims.web.templating import render
from workflow.errors import Forbidden, InvalidInput
from workflow.inputs import parse_date

router = APIRouter()
api_router = APIRouter(prefix="/api")


def _manager(user: User) -> None:
    if user.role not in (Role.manager, Role.admin):
        raise Forbidden("De betalingen zijn voor managers.")


def _claim_reference(db: Db, proposal_id: int) -> str:
    found = payments.proposal(db.connection(), proposal_id)
    claim = claims.by_id(db.connection(), found.claim_id) if found is not None else None
    return claim.reference if claim is not None else ""


@router.post(
    "/proposals/{proposal_id}/decide", response_class=HTMLResponse, dependencies=[csrf("proposals", FORGED)]
)
def decide(ctx: Web, db: Db, viewer: PageViewer, proposal_id: DbId, values: PostedForm) -> Response:
    """Approve, reject or (the proposer) withdraw a proposal; back to its claim."""
    reference = _claim_reference(db, proposal_id)
    db.rollback()
    decision = values.get("decision", "")
    comment = values.get("comment", "")
    if decision == "approve":
        approve_proposal(db, ctx.rt, proposal_id, viewer.user, comment)
        done = "approved"
    elif decision == "reject":
        reject_proposal(db, ctx.rt, proposal_id, viewer.user, comment)
        done = "rejected"
    elif decision == "withdraw":
        withdraw_proposal(db, ctx.rt, proposal_id, viewer.user)
        done = "withdrawn"
    else:
        raise InvalidInput({"decision": "kies goedkeuren, afwijzen of intrekken"})
    return see_other(f"/claims/{quote(reference)}?ok={done}#voorstellen")


_LISTED = (PaymentStatus.approved, PaymentStatus.proposed, PaymentStatus.paid, PaymentStatus.cancelled)


@router.get("/payments", response_class=HTMLResponse)
def payments_page(
    request: Request, ctx: Web, db: Db, viewer: PageViewer, status: str = "approved", ok: str = ""
) -> Response:
    """What is approved and not yet paid (by default), with the bank file; other statuses on request."""
    _manager(viewer.user)
    if status not in {s.value for s in _LISTED}:
        raise InvalidInput({"status": f"onbekende status '{status}'"})
    rows = payments.listing(db.connection(), (status,))
    proposals = payments.open_proposals(db.connection())
    db.rollback()
    today = ctx.rt.clock().astimezone(ctx.rt.tz).date()
    context = {
        "rows": rows,
        "status": status,
        "statuses": {s.value: PAYMENT_STATUS_LABELS[s.value] for s in _LISTED},
        "total": sum((r.amount for r in rows), Decimal("0.00")),
        "proposals": proposals,
        "today": today.isoformat(),
        "csrf": ctx.signer.csrf(viewer.session_key, "payments"),
        "message": {
            "paid": "De betaling is gemarkeerd als betaald.",
            "cancelled": "De betaling is geannuleerd.",
        }.get(ok, ""),
    }
    return render(request, ctx, "payments.html", context, 200, viewer)


@router.post(
    "/payments/{payment_id}/paid", response_class=HTMLResponse, dependencies=[csrf("payments", FORGED)]
)
def payment_paid(ctx: Web, db: Db, viewer: PageViewer, payment_id: DbId, values: PostedForm) -> Response:
    mark_paid(db, ctx.rt, payment_id, viewer.user, parse_date(values.get("paid_on", ""), "Betaald op"))
    return see_other("/payments?ok=paid")


@router.post(
    "/payments/{payment_id}/cancel", response_class=HTMLResponse, dependencies=[csrf("payments", FORGED)]
)
def payment_cancel(ctx: Web, db: Db, viewer: PageViewer, payment_id: DbId, values: PostedForm) -> Response:
    cancel_payment(db, ctx.rt, payment_id, viewer.user, values.get("reason", ""))
    return see_other("/payments?ok=cancelled")


def _bank_file_response(db: Db, user: User, fmt: str, on: str) -> Response:
    _manager(user)
    execution = parse_date(on, "Uitvoeringsdatum") if on else date.today()
    found = bank_file(db.connection(), execution)
    db.rollback()
    if not found.transfers:
        raise InvalidInput({"payments": "er zijn geen goedgekeurde betalingen om te betalen"})
    headers = {"X-Left-Out": "; ".join(found.left_out)} if found.left_out else {}
    stamp = execution.strftime("%Y%m%d")
    if fmt == "sepa":
        return Response(
            found.xml(),
            media_type="application/xml",
            headers={**headers, "Content-Disposition": f'attachment; filename="betalingen-{stamp}.xml"'},
        )
    if fmt == "csv":
        return Response(
            found.csv().encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={**headers, "Content-Disposition": f'attachment; filename="betalingen-{stamp}.csv"'},
        )
    raise InvalidInput({"format": "kies sepa of csv"})


@router.get("/payments/bank-file")
def payments_bank_file(db: Db, viewer: PageViewer, format: str = "sepa", date: str = "") -> Response:
    return _bank_file_response(db, viewer.user, format, date)


# ---------------------------------------------------------------------------------------- JSON API


def _payment_json(p: Any) -> dict[str, Any]:
    return {
        "id": p.id,
        "reference": p.reference,
        "claim": p.claim_reference if "claim_reference" in p else None,
        "payee": {"party_id": p.payee_party_id, "name": p.payee_name, "iban": p.iban},
        "amount": str(p.amount),
        "parts": p.parts,
        "status": p.status,
        "proposed_by": p.proposed_by,
        "approved_by": p.approved_by,
        "approved_at": p.approved_at.isoformat() if p.approved_at else None,
        "paid_on": p.paid_on.isoformat() if p.paid_on else None,
        "cancel_reason": p.cancel_reason,
    }


def _proposal_json(p: Any) -> dict[str, Any]:
    return {
        "id": p.id,
        "claim": p.claim_reference if "claim_reference" in p else None,
        "trigger": p.trigger,
        "inputs": p.inputs,
        "amount": str(p.amount),
        "reasons": p.reasons,
        "status": p.status,
        "proposed_by": p.proposed_by,
        "proposed_at": p.proposed_at.isoformat(),
        "decided_by": p.decided_by,
        "comment": p.comment,
        "weighed": {k: v for k, v in p.weighed.items() if k != "event_data"},
    }


@api_router.get("/payments")
def api_payments(db: Db, viewer: ApiViewer, status: str = "approved") -> list[dict[str, Any]]:
    _manager(viewer.user)
    if status not in {s.value for s in _LISTED}:
        raise InvalidInput({"status": f"onbekende status '{status}'"})
    rows = payments.listing(db.connection(), (status,))
    db.rollback()
    return [_payment_json(r) for r in rows]


@api_router.post("/payments/{payment_id}/paid")
def api_payment_paid(
    ctx: Web, db: Db, viewer: ApiViewer, payment_id: DbId, body: dict[str, Any]
) -> dict[str, Any]:
    mark_paid(db, ctx.rt, payment_id, viewer.user, parse_date(body.get("paid_on", ""), "paid_on"))
    found = payments.by_id(db.connection(), payment_id)
    db.rollback()
    return _payment_json(found)


@api_router.post("/payments/{payment_id}/cancel")
def api_payment_cancel(
    ctx: Web, db: Db, viewer: ApiViewer, payment_id: DbId, body: dict[str, Any]
) -> dict[str, Any]:
    cancel_payment(db, ctx.rt, payment_id, viewer.user, str(body.get("reason", "")))
    found = payments.by_id(db.connection(), payment_id)
    db.rollback()
    return _payment_json(found)


@api_router.get("/payments/bank-file")
def api_bank_file(db: Db, viewer: ApiViewer, format: str = "sepa", date: str = "") -> Response:
    return _bank_file_response(db, viewer.user, format, date)


@api_router.get("/proposals")
def api_proposals(db: Db, viewer: ApiViewer) -> list[dict[str, Any]]:
    _manager(viewer.user)
    rows = payments.open_proposals(db.connection())
    db.rollback()
    return [_proposal_json(r) for r in rows]


@api_router.post("/proposals/{proposal_id}/approve")
def api_approve(
    ctx: Web, db: Db, viewer: ApiViewer, proposal_id: DbId, body: dict[str, Any]
) -> dict[str, Any]:
    outcome = approve_proposal(db, ctx.rt, proposal_id, viewer.user, str(body.get("comment", "")))
    return {
        "reference": outcome.reference,
        "state": outcome.state,
        "version": outcome.version,
        "event_id": outcome.event_id,
    }


@api_router.post("/proposals/{proposal_id}/reject")
def api_reject(
    ctx: Web, db: Db, viewer: ApiViewer, proposal_id: DbId, body: dict[str, Any]
) -> dict[str, Any]:
    event_id = reject_proposal(db, ctx.rt, proposal_id, viewer.user, str(body.get("comment", "")))
    return {"proposal": proposal_id, "status": "rejected", "event_id": event_id}


@api_router.post("/proposals/{proposal_id}/withdraw")
def api_withdraw(ctx: Web, db: Db, viewer: ApiViewer, proposal_id: DbId) -> dict[str, Any]:
    event_id = withdraw_proposal(db, ctx.rt, proposal_id, viewer.user)
    return {"proposal": proposal_id, "status": "withdrawn", "event_id": event_id}
