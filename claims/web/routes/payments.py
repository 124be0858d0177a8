"""Proposals and payments: a manager decides a proposal on the claim page; the payments list shows what is
approved and not yet paid, marks it paid or cancels it, and gives the bank file (SEPA pain.001 or CSV);
the same in the JSON API."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
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
from claims.web.deps import FORGED, ApiViewer, Db, DbId, PageViewer, PostedForm, ReleasingRoute, Web, csrf
from claims.web.errors import API_PREFIX
from claims.web.pages import see_other
from claims.web.schemas import (
    API_AUTH,
    DATE_PATTERN,
    TEXT,
    WRITES,
    CommentCreate,
    PaidCreate,
    ReasonCreate,
    RejectCreate,
    answers,
    enum_of,
)
from claims.web.templating import render
from workflow.errors import Forbidden, InvalidInput
from workflow.inputs import parse_date

router = APIRouter(include_in_schema=False, route_class=ReleasingRoute)
api_router = APIRouter(prefix=API_PREFIX, tags=["api"], dependencies=API_AUTH, route_class=ReleasingRoute)
_FILES = {"application/xml": TEXT, "text/csv; charset=utf-8": TEXT}
_DATE_OR_EMPTY = {"pattern": f"({DATE_PATTERN})|(^$)"}


def _date(value: str, field: str) -> date:
    """A date as typed, or a refusal naming the field."""
    try:
        return parse_date(value, field)
    except ValueError as exc:
        raise InvalidInput({field: str(exc)}) from None


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
    mark_paid(db, ctx.rt, payment_id, viewer.user, _date(values.get("paid_on", ""), "paid_on"))
    return see_other("/payments?ok=paid")


@router.post(
    "/payments/{payment_id}/cancel", response_class=HTMLResponse, dependencies=[csrf("payments", FORGED)]
)
def payment_cancel(ctx: Web, db: Db, viewer: PageViewer, payment_id: DbId, values: PostedForm) -> Response:
    cancel_payment(db, ctx.rt, payment_id, viewer.user, values.get("reason", ""))
    return see_other("/payments?ok=cancelled")


def _bank_file_response(ctx: Web, db: Db, user: User, fmt: str, on: str) -> Response:
    _manager(user)
    # no date given: today in Amsterdam, where the bank executes it
    execution = _date(on, "date") if on else ctx.rt.clock().astimezone(ctx.rt.tz).date()
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
def payments_bank_file(
    ctx: Web, db: Db, viewer: PageViewer, format: str = "sepa", date: str = ""
) -> Response:
    return _bank_file_response(ctx, db, viewer.user, format, date)


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


def _visible(db: Db, user: User, claim_ids: list[int]) -> set[int]:
    """The claims of `claim_ids` whose money `user` sees: a manager's team's all, a handler their own."""
    if user.role in (Role.manager, Role.admin):
        return set(claim_ids)
    if user.role != Role.handler:
        return set()
    conn = db.connection()
    return {i for i in set(claim_ids) if (c := claims.by_id(conn, i)) is not None and c.handler_id == user.id}


@api_router.get(
    "/payments",
    responses=answers(422),
    summary="Betalingen per status (een behandelaar: die op zijn eigen claims)",
)
def api_payments(
    db: Db, viewer: ApiViewer, status: PaymentStatus = PaymentStatus.approved
) -> list[dict[str, Any]]:
    rows = payments.listing(db.connection(), (status.value,))
    seen = _visible(db, viewer.user, [r.claim_id for r in rows])
    db.rollback()
    return [_payment_json(r) for r in rows if r.claim_id in seen]


@api_router.post(
    "/payments/{payment_id}/paid",
    summary="Een goedgekeurde betaling is betaald",
    responses=answers(403, 404, 422, *WRITES),
)
def api_payment_paid(
    ctx: Web, db: Db, viewer: ApiViewer, payment_id: DbId, body: PaidCreate
) -> dict[str, Any]:
    mark_paid(db, ctx.rt, payment_id, viewer.user, _date(body.paid_on, "paid_on"))
    found = payments.by_id(db.connection(), payment_id)
    db.rollback()
    return _payment_json(found)


@api_router.post(
    "/payments/{payment_id}/cancel",
    summary="Een goedgekeurde betaling annuleren",
    responses=answers(403, 404, 422, *WRITES),
)
def api_payment_cancel(
    ctx: Web, db: Db, viewer: ApiViewer, payment_id: DbId, body: ReasonCreate
) -> dict[str, Any]:
    cancel_payment(db, ctx.rt, payment_id, viewer.user, body.reason)
    found = payments.by_id(db.connection(), payment_id)
    db.rollback()
    return _payment_json(found)


@api_router.get(
    "/payments/bank-file",
    summary="Het bankbestand (SEPA pain.001 of CSV)",
    responses=answers(403, 422, files=_FILES),
)
def api_bank_file(
    ctx: Web,
    db: Db,
    viewer: ApiViewer,
    format: Annotated[str, Query(json_schema_extra=enum_of(("sepa", "csv")))] = "sepa",
    date: Annotated[
        str,
        Query(description="uitvoeringsdatum, JJJJ-MM-DD (leeg: vandaag)", json_schema_extra=_DATE_OR_EMPTY),
    ] = "",
) -> Response:
    return _bank_file_response(ctx, db, viewer.user, format, date)


@api_router.get(
    "/proposals",
    responses=answers(),
    summary="Voorstellen die op een manager wachten (een behandelaar: de zijne)",
)
def api_proposals(db: Db, viewer: ApiViewer) -> list[dict[str, Any]]:
    rows = payments.open_proposals(db.connection())
    seen = _visible(db, viewer.user, [r.claim_id for r in rows])
    db.rollback()
    return [_proposal_json(r) for r in rows if r.claim_id in seen]


@api_router.post(
    "/proposals/{proposal_id}/approve",
    summary="Een voorstel goedkeuren en uitvoeren (vier ogen)",
    responses=answers(403, 404, 409, 422, *WRITES),
)
def api_approve(
    ctx: Web, db: Db, viewer: ApiViewer, proposal_id: DbId, body: CommentCreate
) -> dict[str, Any]:
    outcome = approve_proposal(db, ctx.rt, proposal_id, viewer.user, body.comment)
    return {
        "reference": outcome.reference,
        "state": outcome.state,
        "version": outcome.version,
        "event_id": outcome.event_id,
    }


@api_router.post(
    "/proposals/{proposal_id}/reject",
    summary="Een voorstel afwijzen",
    responses=answers(403, 404, 409, 422, *WRITES),
)
def api_reject(ctx: Web, db: Db, viewer: ApiViewer, proposal_id: DbId, body: RejectCreate) -> dict[str, Any]:
    event_id = reject_proposal(db, ctx.rt, proposal_id, viewer.user, body.comment)
    return {"proposal": proposal_id, "status": "rejected", "event_id": event_id}


@api_router.post(
    "/proposals/{proposal_id}/withdraw",
    summary="Het eigen voorstel intrekken",
    responses=answers(403, 404, 409, *WRITES),
)
def api_withdraw(
    ctx: Web, db: Db, viewer: ApiViewer, proposal_id: DbId, body: CommentCreate
) -> dict[str, Any]:
    """The body is {} or {"comment": ...}: a write is a JSON object, never nothing."""
    event_id = withdraw_proposal(db, ctx.rt, proposal_id, viewer.user)
    return {"proposal": proposal_id, "status": "withdrawn", "event_id": event_id}
