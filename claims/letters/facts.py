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
from claims.parties.fields import ROLE_LABELS, address_lines, has_address
from claims.storage.models import COST_TYPE_LABELS, Channel, CostType, MoneyKind, PartyRole
from claims.storage.repositories import deadlines, parties, policies, users
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
INTERNAL = "internal"  # a letter to a user of claimflow: read here, not sent
NOWHERE = "none"  # a party without an e-mail address or a full postal address
INTERNAL_LABELS = {"handler": "behandelaar", "manager": "manager", "expert": "expert"}


def person(row: Mapping[str, Any] | None) -> dict[str, str] | None:
    return None if row is None else {"name": row["name"], "email": row["email"]}


def user(conn: Any, user_id: int | None) -> dict[str, str] | None:
    return person(users.person(conn, user_id)) if user_id is not None else None


def team_managers(conn: Any, team: str | None) -> list[Any]:
    """The team's active managers; all active managers when the team has none of its own."""
    rows = users.active_managers(conn)
    return [r for r in rows if r.team == team] or rows


def managers_of(conn: Any, team: str) -> dict[str, Any]:
    """The letter's addressee for the team's managers."""
    names = [r.name for r in team_managers(conn, team)]
    return internal(f"Teammanager(s) {team}", "", ", ".join(names), role="manager")


def internal(name: str, email: str, attention: str = "", *, role: str, reference: str = "") -> dict[str, Any]:
    """A recipient inside the insurer (a user of claimflow, who reads the letter here)."""
    lines = [name] + ([f"t.a.v. {attention}"] if attention else []) + ([email] if email else [])
    return {
        "name": name,
        "attention": attention,
        "lines": lines,
        "email": email,
        "reference": reference,
        "channel": INTERNAL,
        "party_id": None,
        "role": role,
        "role_label": INTERNAL_LABELS.get(role, role),
    }


def party_recipient(party: Mapping[str, Any]) -> dict[str, Any]:
    """A party as a letter's addressee: the address block in the Dutch convention and how it is sent."""
    return {
        "name": party["name"],
        "attention": party["attention"],
        "lines": address_lines(party),
        "email": party["email"],
        "reference": party["reference"],
        "channel": channel_of(party),
        "party_id": party["id"],
        "role": party["role"],
        "role_label": ROLE_LABELS.get(party["role"], party["role"]),
    }


def channel_of(party: Mapping[str, Any]) -> str:
    """How a letter reaches the party: the channel it prefers when it can be used, else the other one;
    `none` when it has neither an e-mail address nor a full postal address (the claim page says so)."""
    if party["channel"] == Channel.email and party["email"]:
        return Channel.email
    if has_address(party):
        return Channel.post
    return Channel.email if party["email"] else NOWHERE


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
    register = _register(ctx, claim)
    facts["recipient"] = addressee(ctx.conn, register, letter.to, claim, facts)
    if facts["recipient"] is None:
        raise LetterError(f"brief '{letter.template}': geen ontvanger ({letter.to}) bij deze claim")
    facts["copies"] = copies(ctx.conn, register, letter, facts["recipient"], claim, facts)
    facts["insured"] = _insured(register, facts)
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


def _register(ctx: TransitionContext, claim: Mapping[str, Any]) -> list[Any]:
    if "parties" not in ctx.memo:
        ctx.memo["parties"] = parties.of_claim(ctx.conn, claim["id"])
    register: list[Any] = ctx.memo["parties"]
    return register


def _insured(register: list[Any], facts: Mapping[str, Any]) -> dict[str, Any]:
    found = next((p for p in register if p.role == PartyRole.insured), None)
    if found is not None:
        return party_recipient(found)
    # a claim without a register (written before parties existed): the policy's holder by name
    return party_recipient(
        {
            "id": None,
            "name": facts["policy"]["insured"],
            "attention": "",
            "street": "",
            "postcode": "",
            "city": "",
            "country": "",
            "email": "",
            "reference": facts["claim"]["insured_reference"],
            "channel": Channel.post,
            "role": PartyRole.insured,
        }
    )


def addressee(
    conn: Any, register: list[Any], to: str, claim: Mapping[str, Any], facts: Mapping[str, Any]
) -> dict[str, Any] | None:
    """Whom a letter `to` a role goes to. A letter to the claimant goes to their counsel when they have
    one (a represented party is written to through their representative); to the expert, with their
    firm's reference as "Uw kenmerk"."""
    if to == "insured":
        return _insured(register, facts)
    if to == "manager":
        return managers_of(conn, users.team_of(conn, claim["handler_id"]) or "")
    if to in ("handler", "expert"):
        someone = facts.get(to)
        if someone is None:
            return None
        firm = (
            next((p for p in register if p.role == PartyRole.expert_firm), None) if to == "expert" else None
        )
        return internal(someone["name"], someone["email"], role=to, reference=firm.reference if firm else "")
    wanted = [PartyRole.counsel, PartyRole.claimant] if to == PartyRole.claimant else [to]
    for role in wanted:
        found = next((p for p in register if p.role == role), None)
        if found is not None:
            return party_recipient(found)
    return None


def copies(
    conn: Any,
    register: list[Any],
    letter: LetterSpec,
    recipient: Mapping[str, Any],
    claim: Mapping[str, Any],
    facts: Mapping[str, Any],
) -> list[dict[str, Any]]:
    """Who gets a copy: the roles the spec names, and with a letter to the insured every broker marked
    to be copied; never the addressee twice."""
    out: list[dict[str, Any]] = []
    seen = {(recipient["role"], recipient["party_id"], recipient["name"])}
    wanted = [addressee(conn, register, role, claim, facts) for role in letter.cc]
    if letter.to == "insured":
        wanted += [party_recipient(p) for p in register if p.role == PartyRole.broker and p.copy_insured]
    for copy in wanted:
        if copy is None:
            continue
        key = (copy["role"], copy["party_id"], copy["name"])
        if key not in seen:
            seen.add(key)
            out.append(copy)
    return out


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


def _paid_to_claimant(ctx: TransitionContext, claim: Mapping[str, Any]) -> dict[str, Any]:
    """What the settlement paid the claimant: the damages (after the insured's deductible) and interest;
    defence costs are not theirs."""
    payments = [
        {"label": COST_TYPE_LABELS.get(m["cost_type"], m["cost_type"]), "amount": m["amount"]}
        for m in ctx.money
        if m["kind"] == MoneyKind.payment and m["cost_type"] in (CostType.damages, CostType.interest)
    ]
    return {"payments": payments, "paid_total": sum((p["amount"] for p in payments), ZERO)}


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
    "ontvangstbevestiging_benadeelde": TemplateFacts(lambda ctx, claim: {}),
    "standpunt_aansprakelijkheid": TemplateFacts(
        lambda ctx, claim: {
            "position": ctx.inputs["position"],
            "position_label": _choice_label(ctx, "position"),
            "reasons": ctx.inputs.get("reasons") or "",
        },
        Contract(inputs={"position": "choice", "reasons": "text?"}),
    ),
    "schikkingsvoorstel": TemplateFacts(
        lambda ctx, claim: {
            "offer_amount": ctx.inputs["amount"],
            "terms": ctx.inputs["terms"],
            "answer_due": date.fromisoformat(ctx.event_data["answer_due"]),
        },
        Contract(inputs={"amount": "money", "terms": "text"}, facts=("answer_due",)),
    ),
    "betalingsbevestiging_benadeelde": TemplateFacts(_paid_to_claimant, Contract(facts=("settlement",))),
    "verzoek_om_informatie": _answer("questions"),
    "herinnering": _answer("reminder"),
}

# What each template needs of a transition that sends it, for the catalog to check at load.
LETTER_NEEDS: Mapping[str, Contract] = {template: facts.needs for template, facts in _EXTRA.items()}
