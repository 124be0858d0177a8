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
from claims.kinds.payouts import advance_day, damages_advances
from claims.parties.fields import ROLE_LABELS, address_lines, has_address, iban_display
from claims.storage.models import COST_TYPE_LABELS, Channel, MoneyKind, PartyRole
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
    # invented (it only passes its checksum): where an insured pays back the deductible, and the account
    # the payments list's bank file pays from
    "iban": "NL93ABNA0555000100",
    "bic": "ABNANL2A",
}
INTERNAL = "internal"  # a letter to a user of claimflow: read here, not sent
NOWHERE = "none"  # a party without an e-mail address or a full postal address
INTERNAL_LABELS = {"handler": "behandelaar", "manager": "manager", "expert": "expert"}


def recipient_role_label(role: str) -> str:
    """A letter's addressee (the spec's `to`: a party's role or a user's) as a Dutch noun, lower case."""
    found = INTERNAL_LABELS.get(role) or ROLE_LABELS.get(role)
    return found.lower() if found else role


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
) -> dict[str, Any] | None:
    """The facts for `letter` of the transition in `ctx`; `claim` is the claim as it will be stored.
    None: the letter has nothing to say this time and is not written."""
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
        ctx.memo["letter_recipient"] = facts["recipient"]
        try:
            built = extra.build(ctx, claim)
            if built is None:
                return None
            facts.update(built)
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


def _payment_lines(ctx: TransitionContext, payees: set[int | None] | None = None) -> list[dict[str, Any]]:
    """The payments this transition makes (to `payees` only, when given), each with its cost type and
    the handler's own note."""
    return [
        {
            "label": COST_TYPE_LABELS.get(m["cost_type"], m["cost_type"])
            + (f" ({m['note']})" if m["note"] and m["quoted"] else ""),
            "amount": m["amount"],
            "payee": m.get("payee"),
        }
        for m in ctx.money
        if m["kind"] == MoneyKind.payment and m["amount"] > 0 and (payees is None or m.get("payee") in payees)
    ]


def _addressed(ctx: TransitionContext, recipient: Mapping[str, Any]) -> set[int | None]:
    """The parties a payment to this addressee goes to: the insured themselves; the claimant or their
    counsel for a letter to the claimant's side. A claim without parties: its unnamed payments."""
    register = ctx.claim_parties()
    if not register:
        return {None}
    if recipient["role"] in (PartyRole.claimant, PartyRole.counsel):
        return {p.id for p in register if p.role in (PartyRole.claimant, PartyRole.counsel)}
    return {recipient["party_id"]} if recipient.get("party_id") is not None else {None}


def _paid_to_addressee(
    ctx: TransitionContext, claim: Mapping[str, Any], recipient: Mapping[str, Any]
) -> dict[str, Any] | None:
    """A payment confirmation counts only what went to its addressee, names the payee and the account,
    and is not written when nothing went to them (None)."""
    payees = _addressed(ctx, recipient)
    lines = _payment_lines(ctx, payees)
    if not lines:
        return None
    by_payee: dict[int | None, list[dict[str, Any]]] = {}
    for line in lines:
        by_payee.setdefault(line["payee"], []).append(line)
    register = {p.id: p for p in ctx.claim_parties()}
    transfers = []
    for payee, paid in by_payee.items():
        party = register.get(payee) if payee is not None else None
        transfers.append(
            {
                "name": (party.account_holder or party.name) if party is not None else "",
                "iban": iban_display(party.iban) if party is not None else "",
                "lines": paid,
                "total": sum((x["amount"] for x in paid), ZERO),
            }
        )
    now = sum((x["amount"] for x in lines), ZERO)
    before = sum((ctx.paid_to_party(p) for p in payees if p is not None), ZERO)
    settled = "settlement" in ctx.event_data
    return {
        "transfers": transfers,
        "payments": lines,
        "paid_total": now,
        "paid_to_date": before + now,
        "on_account": ctx.event_data.get("booked_as") == "voorschot",
        "settled": settled,
    }


def _settlement(ctx: TransitionContext, claim: Mapping[str, Any]) -> dict[str, Any]:
    """The settlement agreement: the damages agreed, the deductible, what is above the cover (the
    insured's), the advances and payments made before, and what is paid now."""
    settled = ctx.event_data["settlement"]
    d = {k: Decimal(v) for k, v in settled.items() if isinstance(v, str)}
    now = _payment_lines(ctx)
    earlier: list[dict[str, Any]] = [
        {"label": COST_TYPE_LABELS.get(c, c), "amount": v}
        for (kind, c), v in ctx.stored_totals().items()
        if kind == MoneyKind.payment and v
    ]
    advances = [{"on": advance_day(ctx, a), "amount": Decimal(a["amount"])} for a in damages_advances(ctx)]
    return {
        "damages": d["damages"],
        "deductible": d["deductible"],
        "deductible_in_full": bool(settled.get("deductible_in_full")),
        "collection": d.get("collection", ZERO),
        "covered": d.get("covered", d["damages"] - d["deductible"]),
        "insured_share": d.get("insured_share", ZERO),
        "cover_per_claim": ctx.policy().cover_per_claim,
        "advanced": d.get("advanced", ZERO),
        "advances": advances,
        "earlier_payments": earlier,
        "earlier_total": sum((e["amount"] for e in earlier), ZERO),
        "amounts": [{"label": line["label"], "amount": line["amount"]} for line in now],
        "total": sum((line["amount"] for line in now), ZERO),
        **_interest_facts(ctx.event_data.get("interest") or {}),
        "terms": ctx.case_data["settlement_terms"],
    }


def _interest_facts(interest: Mapping[str, Any]) -> dict[str, Any]:
    """How the settlement's interest was found, for the letter to say so."""
    out: dict[str, Any] = {"interest_basis": interest.get("basis", "")}
    if interest.get("until"):
        out["interest_until"] = date.fromisoformat(interest["until"])
    if interest.get("from"):
        out["interest_from"] = date.fromisoformat(interest["from"])
    if interest.get("principal"):
        out["interest_principal"] = Decimal(interest["principal"])
    return out


def _deductible_request(ctx: TransitionContext, claim: Mapping[str, Any]) -> dict[str, Any] | None:
    """The deductible the insurer paid the claimant for the insured, asked back; no letter otherwise."""
    settled = ctx.event_data.get("settlement") or {}
    if not settled.get("deductible_in_full") or not Decimal(settled.get("deductible", "0")):
        return None
    return {"deductible": Decimal(settled["deductible"]), "insurer_iban": iban_display(INSURER["iban"])}


def _recovery(ctx: TransitionContext, claim: Mapping[str, Any]) -> dict[str, Any]:
    """A recovery told to the insured (7:962 BW): what came in, what was paid and recovered in all, and
    the part of the loss the insurer did not pay (the deductible, above the cover), which lid 2 leaves
    the insured to claim themselves."""
    totals = ctx.totals()  # stored plus this transition's recovery line

    def total(kind: MoneyKind) -> Decimal:
        return sum((v for (k, _), v in totals.items() if k == kind), ZERO)

    # the deductible is the insured's whether it was left unpaid or advanced and asked back
    deductible, above = total(MoneyKind.deductible), total(MoneyKind.insured_share)
    deductible_open = max(total(MoneyKind.deductible_due), ZERO)
    what = [w for w, v in (("eigen risico", deductible), ("boven het verzekerd bedrag", above)) if v > ZERO]
    return {
        "amount": ctx.inputs["amount"],
        "from_whom": ctx.inputs["from_whom"],
        "received_on": ctx.inputs["received_on"],
        "note": ctx.inputs.get("note") or "",
        "paid": total(MoneyKind.payment),
        "recovered": total(MoneyKind.recovery),
        "own_share": deductible + above,
        "own_share_what": " en ".join(what),
        "deductible_open": deductible_open,
    }


def _mitigation(ctx: TransitionContext, claim: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "measure": ctx.inputs["measure"],
        "mitigation_reserve": ctx.inputs["reserve_mitigation"],
        "unpaid_total": sum((inv.amount for inv in ctx.unpaid_invoices()), ZERO),
    }


Builder = Callable[[TransitionContext, Mapping[str, Any]], dict[str, Any] | None]
ToRecipient = Callable[[TransitionContext, Mapping[str, Any], Mapping[str, Any]], dict[str, Any] | None]


@dataclass(frozen=True)
class TemplateFacts:
    """What one template is told beyond the claim's facts, and what that needs of the transition that
    sends it (checked against every spec at load: claims.kinds.catalog.check_contracts). A builder that
    answers None says the letter has nothing to say this time (a payment confirmation with nothing paid
    to its addressee): it is not written."""

    build: Builder
    needs: Contract = NO_CONTRACT


def _for_recipient(build: ToRecipient, needs: Contract = NO_CONTRACT) -> TemplateFacts:
    """Facts that depend on who the letter is addressed to (transition_facts sets the recipient first)."""
    return TemplateFacts(lambda ctx, claim: build(ctx, claim, ctx.memo["letter_recipient"]), needs)


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
    "betalingsbevestiging": _for_recipient(_paid_to_addressee),
    "eigen_risico_verzoek": TemplateFacts(_deductible_request),
    "regres_ontvangen": TemplateFacts(
        _recovery,
        Contract(inputs={"amount": "money", "from_whom": "text", "received_on": "date", "note": "text?"}),
    ),
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
    "betalingsbevestiging_benadeelde": _for_recipient(_paid_to_addressee),
    "verzoek_om_informatie": _answer("questions"),
    "herinnering": _answer("reminder"),
}

# What each template needs of a transition that sends it, for the catalog to check at load.
LETTER_NEEDS: Mapping[str, Contract] = {template: facts.needs for template, facts in _EXTRA.items()}
