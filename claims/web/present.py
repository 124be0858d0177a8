"""How claims, deadlines and events are presented: as the API's models (claims.web.schemas) and as Dutch
text for pages."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from claims.kinds.catalog import Catalog
from claims.kinds.intake import KIND_LABELS
from claims.reads.claim_list import due_mark
from claims.reads.money_view import MoneyView
from claims.reads.queries import ClaimView
from claims.web.schemas import (
    AvailablePublic,
    ClaimPublic,
    DeadlinePublic,
    DeadlineSpecPublic,
    DeadlineWithClaimPublic,
    EventPublic,
    LetterPublic,
    MoneyPublic,
    PaymentPublic,
    ProposalPublic,
    StatePublic,
    TransitionSpecPublic,
    WorkflowPublic,
)
from notifications.formatting import euro, long_moment
from workflow.spec import WorkflowSpec

ROLE_LABELS = {"handler": "Behandelaar", "expert": "Expert", "manager": "Manager", "admin": "Beheerder"}


def moment_text(moment: datetime | None, tz: ZoneInfo) -> str:
    """23 oktober 2025 16:00, or nothing for no moment."""
    return "" if moment is None else long_moment(moment, tz)


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} {'dag' if days == 1 else 'dagen'}" + (f" {hours} uur" if hours and days < 3 else "")
    if hours:
        return f"{hours} uur" + (f" {minutes} min" if minutes and hours < 3 else "")
    return f"{minutes} min"


def time_left(due_at: datetime, now: datetime) -> str:
    """'nog 2 dagen 3 uur' or '5 uur te laat'."""
    if due_at >= now:
        return f"nog {_span(due_at - now)}"
    return f"{_span(now - due_at)} te laat"


def money_text(amount: Decimal | None) -> str:
    return "" if amount is None else euro(amount)


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind)


def state_label(catalog: Catalog, kind: str, state: str, version: int | None = None) -> str:
    return catalog.state_label(kind, state, version)


def spec_json(spec: WorkflowSpec) -> WorkflowPublic:
    return WorkflowPublic(
        kind=spec.kind,
        version=spec.version,
        label=spec.label,
        description=spec.description,
        initial=spec.initial,
        states=[
            StatePublic(
                name=s.name,
                label=s.label,
                terminal=s.terminal,
                description=s.description,
                deadlines=[DeadlineSpecPublic.model_validate(d.as_dict()) for d in s.deadlines],
            )
            for s in spec.states.values()
        ],
        transitions=[TransitionSpecPublic.model_validate(t.as_dict()) for t in spec.transitions],
    )


def _deadline_fields(d: Any, now: datetime) -> dict[str, Any]:
    closed = d.met_at is not None or d.cancelled_at is not None
    return {
        "id": d.id,
        "name": d.name,
        "label": d.label,
        "state": d.state,
        "responsible": d.responsible,
        "started_at": d.started_at,
        "due_at": d.due_at,
        "met_at": d.met_at,
        "met_trigger": d.met_trigger,
        "cancelled_at": d.cancelled_at,
        "overdue": not closed and d.paused_at is None and d.due_at < now,
        "mark": None if closed or d.paused_at is not None else due_mark(d.due_at, now),
        "counted_from": d.counted_from,
        "due_rule": d.due_rule,
        "paused_at": d.paused_at,
    }


def deadline_json(d: Any, now: datetime) -> DeadlinePublic:
    """One deadline of a claim (a row of DEADLINES) as the API shows it."""
    return DeadlinePublic(**_deadline_fields(d, now))


def listed_deadline_json(d: Any, now: datetime) -> DeadlineWithClaimPublic:
    """An open deadline in a list across claims: with its claim's reference and handler."""
    return DeadlineWithClaimPublic(reference=d.reference, handler=d.handler, **_deadline_fields(d, now))


def claim_json(view: ClaimView, now: datetime, money: MoneyView | None = None) -> ClaimPublic:
    """The claim as the API shows it; with `money` (claims.reads.money_view) its payments, proposals and
    the money worked out under the cover rules, for whoever may see them."""
    c = view.claim
    figures = view.money.as_dict()
    if money is not None:
        figures |= {
            "remaining_cover": str(money.remaining_cover),
            "advanced_on_damages": str(money.advanced_on_damages),
            "insured_share": str(money.insured_share),
            "deductible_to_collect": str(money.deductible_to_collect),
            "recovered": str(money.recovered),
            "claims_made_covered": money.claims_made.covered,
            "claims_made_findings": money.claims_made.findings(),
            "interest": money.interest,
        }
    return ClaimPublic(
        reference=c.reference,
        kind=c.kind,
        spec_version=c.spec_version,
        state=c.state,
        state_label=view.state_label,
        version=c.version,
        outcome=c.outcome,
        policy_number=view.policy.number,
        insured=view.policy.insured,
        claimant=c.claimant,
        claimant_counsel=c.claimant_counsel,
        description=c.description,
        handler=view.handler.email,
        expert=view.expert.email if view.expert else None,
        amount_claimed=str(c.amount_claimed),
        date_error=c.date_error,
        date_known=c.date_known,
        date_reported=c.date_reported,
        created_at=c.created_at,
        closed_at=c.closed_at,
        money=MoneyPublic.model_validate(figures),
        open_deadlines=[deadline_json(d, now) for d in view.open_deadlines],
        allowed_transitions=[AvailablePublic.model_validate(a.as_dict()) for a in view.allowed],
        payments=[
            PaymentPublic(
                id=p.id,
                reference=p.reference,
                payee_party_id=p.payee_party_id,
                payee_name=p.payee_name,
                iban=p.iban,
                amount=str(p.amount),
                parts=p.parts,
                status=p.status,
                paid_on=p.paid_on,
                cancel_reason=p.cancel_reason,
            )
            for p in (money.payments if money is not None else [])
        ],
        proposals=[
            ProposalPublic(
                id=pv.proposal.id,
                trigger=pv.proposal.trigger,
                label=pv.label,
                amount=str(pv.proposal.amount),
                reasons=pv.proposal.reasons,
                status=pv.proposal.status,
                proposed_by=pv.proposer,
                decided_by=pv.decider,
                comment=pv.proposal.comment,
            )
            for pv in (money.proposals if money is not None else [])
        ],
    )


def event_json(e: dict[str, Any]) -> EventPublic:
    return EventPublic.model_validate({**e, "letters": [letter_json(x) for x in e.get("letters", [])]})


def letter_json(x: dict[str, Any]) -> LetterPublic:
    """A stored letter's facts and where to fetch it (its text is behind the links)."""
    return LetterPublic(
        id=x["id"],
        event_id=x["event_id"],
        template=x["template"],
        template_version=x["template_version"],
        title=x["title"],
        recipient=x["recipient"],
        recipient_name=x["recipient_name"],
        sha256=x["sha256"],
        created_at=x["created_at"],
        html_url=f"/api/letters/{x['id']}.html",
        pdf_url=f"/api/letters/{x['id']}.pdf",
    )
