"""The facts a letter is written from: a plain dict built from the claim as the transition leaves it.

notifications.letters knows nothing of claims; this module is the one place that says which claim data
a template sees. A fact a template needs and nobody supplies stays undefined, and the renderer refuses
the letter (and with it the transition) rather than print a gap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from claims.kinds.context import ZERO, TransitionContext
from claims.storage.models import COST_TYPE_LABELS, MoneyKind
from claims.storage.repositories import deadlines, policies, users
from notifications.letters import LetterError
from workflow.guards import NO_CONTRACT, Contract
from workflow.spec import LetterSpec, WorkflowSpec

# Who signs and whose letterhead: one insurer runs this application.
INSURER = {
    "name": "claimflow Verzekeringen N.V.",
    "department": "Schadeafdeling Beroepsaansprakelijkheid (BAV)",
    "address": "Postbus 1234, 1000 AB Amsterdam",
    "email": "schade@claimflow.test",
    "complaints": "klachten@claimflow.test",
}
# To whom a letter of the spec may be addressed (`letters: [{template, to}]`).


def person(row: Mapping[str, Any] | None) -> dict[str, str] | None:
    return None if row is None else {"name": row["name"], "email": row["email"]}


def user(conn: Any, user_id: int | None) -> dict[str, str] | None:
    return person(users.person(conn, user_id)) if user_id is not None else None


def team_managers(conn: Any, team: str | None) -> list[Any]:
    """The team's active managers; all active managers when the team has none of its own."""
    rows = users.active_managers(conn)
    return [r for r in rows if r.team == team] or rows


def managers_of(conn: Any, team: str) -> dict[str, str]:
    """The letter's addressee for the team's managers."""
    names = [r.name for r in team_managers(conn, team)]
    return {"name": f"Teammanager(s) {team}", "attention": ", ".join(names), "address": "", "email": ""}


def claim_facts(
    conn: Any, spec: WorkflowSpec, claim: Mapping[str, Any], now: datetime, *, preview: bool = False
) -> dict[str, Any]:
    """What every letter on this claim may say: letterhead, claim, policy, handler, expert."""
    policy = policies.by_id(conn, claim["policy_id"])
    return {
        "insurer": INSURER,
        "letter_date": now,
        "preview": preview,
        "paragraph": "",
        "claim": {
            "reference": claim["reference"],
            "insured_reference": claim["insured_reference"] or "",
            "kind_label": spec.label,
            "claimant": claim["claimant"],
            "date_reported": claim["date_reported"],
            "amount_claimed": claim["amount_claimed"],
            "description": claim["description"],
            "state_label": spec.states[claim["state"]].label,
        },
        "policy": {
            "number": policy.number,
            "insured": policy.insured,
            "cover_per_claim": policy.cover_per_claim,
            "deductible": policy.deductible,
        },
        "insured": {"name": policy.insured, "attention": "", "address": "", "email": ""},
        "handler": user(conn, claim["handler_id"]),
        "expert": user(conn, claim.get("expert_id")),
    }


def transition_facts(
    ctx: TransitionContext, claim: Mapping[str, Any], letter: LetterSpec, *, preview: bool = False
) -> dict[str, Any]:
    """The facts for `letter` of the transition in `ctx`; `claim` is the claim as it will be stored."""
    if "facts" not in ctx.memo:
        ctx.memo["facts"] = claim_facts(ctx.conn, ctx.spec, claim, ctx.now, preview=preview)
    facts = dict(ctx.memo["facts"])
    facts["paragraph"] = (ctx.inputs.get("paragraph") or "") if letter.paragraph else ""
    facts["recipient"] = _recipient(ctx, facts, letter.to, claim)
    if facts["recipient"] is None:
        raise LetterError(f"brief '{letter.template}': geen ontvanger ({letter.to}) bij deze claim")
    extra = _EXTRA.get(letter.template)
    if extra is not None:
        try:
            facts.update(extra.build(ctx, claim))
        except (KeyError, StopIteration) as exc:  # the spec sends it from a transition that lacks the fact
            raise LetterError(
                f"brief '{letter.template}': ontbrekend gegeven {exc} "
                f"bij transitie '{ctx.transition.trigger}'"
            ) from None
    return facts


def _recipient(ctx: TransitionContext, facts: dict[str, Any], to: str, claim: Mapping[str, Any]) -> Any:
    if to == "insured":
        return facts["insured"]
    if to == "manager":
        return managers_of(ctx.conn, users.team_of(ctx.conn, claim["handler_id"]) or "")
    someone = facts.get(to)
    return None if someone is None else {**someone, "attention": "", "address": ""}


def _due(ctx: TransitionContext, claim: Mapping[str, Any]) -> dict[str, datetime]:
    if "due" not in ctx.memo:
        ctx.memo["due"] = {r.name: r.due_at for r in deadlines.due_moments(ctx.conn, claim["id"])}
    due: dict[str, datetime] = ctx.memo["due"]
    return due


def _only(values: dict[str, Any], **wanted: str) -> dict[str, Any]:
    """Facts renamed from `values`; one that is missing is left out, so the template says so."""
    return {fact: values[key] for fact, key in wanted.items() if key in values}


def _choice_label(ctx: TransitionContext, field: str) -> str:
    value = ctx.inputs[field]
    spec = next(f for f in ctx.transition.fields if f.name == field)
    return str(dict(spec.choices).get(value, value))


def _payments(ctx: TransitionContext) -> list[dict[str, Any]]:
    return [
        {
            "label": COST_TYPE_LABELS.get(m["cost_type"], m["cost_type"])
            + (f" ({m['note']})" if m["note"] and m["quoted"] else ""),
            "amount": m["amount"],
        }
        for m in ctx.money
        if m["kind"] == MoneyKind.payment
    ]


def _settlement(ctx: TransitionContext, claim: Mapping[str, Any]) -> dict[str, Any]:
    settled = ctx.event_data["settlement"]
    amounts: list[dict[str, Any]] = [
        {"label": COST_TYPE_LABELS[part], "amount": Decimal(settled[part])}
        for part in ("damages", "interest", "defence")
        if part in settled and Decimal(settled[part])
    ]
    deductible = Decimal(settled["deductible"])
    return {
        "amounts": amounts,
        "deductible": deductible,
        "total": sum((a["amount"] for a in amounts), ZERO) - deductible,
        "terms": ctx.case_data["settlement_terms"],
    }


def _paid(ctx: TransitionContext, claim: Mapping[str, Any]) -> dict[str, Any]:
    payments = _payments(ctx)
    return {
        "payments": payments,
        "paid_total": sum((p["amount"] for p in payments), ZERO),
        "paid_to_date": ctx.total(MoneyKind.payment),
    }


def _mitigation(ctx: TransitionContext, claim: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "measure": ctx.inputs["measure"],
        "mitigation_reserve": ctx.inputs["reserve_mitigation"],
        "unpaid_total": sum((inv.amount for inv in ctx.unpaid_invoices()), ZERO),
    }


Builder = Callable[[TransitionContext, Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class TemplateFacts:
    """What one template is told beyond the claim's facts, and what that needs of the transition that
    sends it (checked against every spec at load: claims.kinds.catalog.check_contracts)."""

    build: Builder
    needs: Contract = NO_CONTRACT


def _deadlines(**wanted: str) -> TemplateFacts:
    """Facts that are the due moments of deadlines: fact name -> deadline name."""
    return TemplateFacts(
        lambda ctx, claim: _only(_due(ctx, claim), **wanted), Contract(deadlines=tuple(wanted.values()))
    )


def _answer(text_field: str) -> TemplateFacts:
    """A letter asking for an answer: what we ask (the field of that name), and by when."""

    def build(ctx: TransitionContext, claim: Mapping[str, Any]) -> dict[str, Any]:
        return {
            text_field: ctx.inputs[text_field],
            "answer_due": date.fromisoformat(ctx.event_data["answer_due"]),
        }

    return TemplateFacts(build, Contract(inputs={text_field: "text"}, facts=("answer_due",)))


_EXTRA: dict[str, TemplateFacts] = {
    "ontvangstbevestiging": _deadlines(response_due="standpunt_dekking"),
    "aanstelling_expert": _deadlines(report_due="expertiserapport"),
    "afwijzing": TemplateFacts(
        lambda ctx, claim: {"ground": _choice_label(ctx, "ground"), "reasons": ctx.inputs["reasons"]},
        Contract(inputs={"ground": "choice", "reasons": "text"}),
    ),
    "schadebeperkingsvoorstel": TemplateFacts(
        _mitigation, Contract(inputs={"measure": "text", "reserve_mitigation": "money"})
    ),
    "vaststellingsovereenkomst": TemplateFacts(_settlement, Contract(facts=("settlement",))),
    "betalingsbevestiging": TemplateFacts(_paid),
    "verzoek_om_informatie": _answer("questions"),
    "herinnering": _answer("reminder"),
}

# What each template needs of a transition that sends it, for the catalog to check at load.
LETTER_NEEDS: Mapping[str, Contract] = {template: facts.needs for template, facts in _EXTRA.items()}
