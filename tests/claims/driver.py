"""Drives claims through their workflows in tests: shortest paths, valid sample inputs, the right actor."""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from claims.reads.queries import claim_view
from claims.runtime import Runtime
from claims.service import Outcome, advance, open_claim
from claims.service.parties import add_party
from claims.storage.repositories import parties
from tests.conftest import snapshot
from tests.factories import World, melding
from workflow.spec import FieldSpec, TransitionSpec, WorkflowSpec

# the claimant as a payee: who a test pays when a transition names the payee
PAYEE = {
    "role": "claimant",
    "name": "Opdrachtgever B.V.",
    "email": "schade@opdrachtgever.example",
    "channel": "email",
    "iban": "NL91ABNA0417164300",
    "account_holder": "Opdrachtgever B.V.",
}
LONG_TEXT = "Uitgebreide motivering met verwijzing naar de polisvoorwaarden en de feiten."


def sample_value(field: FieldSpec, world: World) -> Any:
    return {
        "money": "1000",
        "percent": "50",
        "integer": "3",
        "date": "2026-10-15",
        "datetime": "2026-11-10T10:00",
        "boolean": "true",
        "text": "Tekst",
        "textarea": LONG_TEXT,
        "choice": field.choices[0][0] if field.choices else "",
        "user": world.expert.email if field.role == "expert" else world.other_handler.email,
        "party": None,  # the claim's payee: Driver.payee
    }[field.type]


def sample_inputs(t: TransitionSpec, world: World, claim: Any = None) -> dict[str, Any]:
    values = {f.name: sample_value(f, world) for f in t.fields}
    values = {k: v for k, v in values.items() if v is not None}
    if t.trigger == "reassign" and claim is not None and claim.handler_id == world.other_handler.id:
        values["handler"] = world.handler.email  # back again: reassigning to the same handler is refused
    if t.trigger == "submit_for_approval":
        values["damages"] = "60000"  # above the handler's authority limit of 50,000
    if t.trigger == "pay_advance":
        values["deduction"] = "100"  # margin and taxes, less than the invoice
    if t.trigger == "set_collection_costs":
        values["basis"] = "geen"  # the scale needs unpaid invoices: tested on its own
    if t.trigger == "set_interest":
        values.pop("interest_override", None)  # a different amount is a manager's, with a reason
    return values


def actor_for(t: TransitionSpec, world: World, claim: Any = None) -> Any:
    """Whose job `t` is; on a claim a manager reassigned, its handler now."""
    handler = world.handler
    if claim is not None and claim.handler_id == world.other_handler.id:
        handler = world.other_handler
    for role, user in (("handler", handler), ("expert", world.expert), ("manager", world.manager)):
        if role in t.roles:
            return user
    raise AssertionError(f"no test actor for {t.roles}")


def path_to(spec: WorkflowSpec, target: str) -> list[TransitionSpec]:
    """The shortest chain of state-changing transitions from the initial state to `target`."""
    queue: deque[tuple[str, list[TransitionSpec]]] = deque([(spec.initial, [])])
    seen = {spec.initial}
    while queue:
        state, path = queue.popleft()
        if state == target:
            return path
        for t in spec.transitions_from(state):
            if t.dest not in seen and not t.internal and t.trigger != "withdraw":
                seen.add(t.dest)
                queue.append((t.dest, [*path, t]))
    raise AssertionError(f"{target} unreachable in {spec.kind}")


class Driver:
    def __init__(self, engine: Engine, rt: Runtime, world: World) -> None:
        self.engine, self.rt, self.world = engine, rt, world

    def open(self, kind: str, **overrides: Any) -> Outcome:
        with Session(self.engine, expire_on_commit=False) as s:
            return open_claim(s, self.rt, melding(kind, **overrides), self.world.handler)

    def fire(
        self,
        ref: str,
        trigger: str,
        inputs: dict[str, Any] | None = None,
        actor: Any = None,
        version: int | None = None,
    ) -> Outcome:
        with Session(self.engine, expire_on_commit=False) as s:
            view = claim_view(s, self.rt, ref)
            spec = self.rt.catalog.spec(view.claim.kind, view.claim.spec_version)
            t = spec.transition(view.claim.state, trigger)
            assert t is not None, f"{trigger} not from {view.claim.state}"
            s.rollback()
        if inputs is None:
            inputs = sample_inputs(t, self.world, view.claim)
            for f in t.fields:
                if f.type == "party" and f.required:
                    inputs[f.name] = self.payee(ref)
            if trigger == "link_to_series":  # the first claim of the series: another on the policy
                inputs["series_reference"] = self.open(view.claim.kind).reference
            if trigger == "register_answer":  # an answer answers a request: ask first
                self.fire(ref, "request_information")
                return self.fire(ref, trigger, inputs, actor)
        with Session(self.engine, expire_on_commit=False) as s:
            return advance(
                s,
                self.rt,
                ref,
                trigger,
                inputs,
                actor or actor_for(t, self.world, view.claim),
                view.claim.version if version is None else version,
            )

    def payee(self, ref: str) -> int:
        """A party of the claim that can be paid (one with an IBAN): the claimant, added if need be."""
        with Session(self.engine) as s:
            view = claim_view(s, self.rt, ref)
            found = [p for p in parties.of_claim(s.connection(), view.claim.id) if p.iban]
        if found:
            return found[0].id
        with Session(self.engine) as s:
            return add_party(s, self.rt, ref, PAYEE, self.world.handler)

    def refuse(
        self,
        ref: str,
        trigger: str,
        inputs: dict[str, Any],
        actor: Any,
        error: type[Exception],
        match: str | None = None,
    ) -> None:
        """Assert that firing is refused with `error` and that nothing in the database changed."""
        before = snapshot(self.engine)
        with Session(self.engine) as s:
            version = claim_view(s, self.rt, ref).claim.version
        with Session(self.engine) as s, pytest.raises(error, match=match):
            advance(s, self.rt, ref, trigger, inputs, actor, version)
        assert snapshot(self.engine) == before, f"refused {trigger} changed the database"

    def prepare(self, ref: str, t: TransitionSpec) -> None:
        """Make the guards of `t` pass, the way a handler would."""
        with Session(self.engine) as s:
            view = claim_view(s, self.rt, ref)
        if "expert_report_present" in t.guards and not view.claim.case_data.get("expert_report"):
            if view.claim.state == "schadebeperking":
                self.fire(ref, "to_expertise")
                self.fire(ref, "submit_report")
                self.fire(ref, "start_mitigation")
            else:
                self.fire(ref, "submit_report")
        if t.trigger == "pay_advance":
            self.fire(ref, "register_invoice")
        if t.trigger == "close_rejected":
            for cost_type, amount in view.money.reserve.items():
                if amount:
                    self.fire(ref, "adjust_reserve", {"cost_type": cost_type, "amount": "0"})

    def bring_for(self, kind: str, t: TransitionSpec) -> str:
        """A claim where `t` can fire: in its state, and for collecting the deductible one settled with
        the claimant paid in full (the deductible advanced for the insured)."""
        if t.trigger == "change_invoice":  # an invoice to change, registered with the melding
            return self.bring_to(kind, t.source, first=("register_invoice",))
        if t.trigger != "collect_deductible":
            return self.bring_to(kind, t.source)
        ref = self.bring_to(kind, "regeling")
        payee = self.payee(ref)
        self.fire(
            ref,
            "settle",
            {"damages": "20000", "payee": payee, "deductible_in_full": "true", "terms": "finaal"},
            actor=self.world.manager,
        )
        return ref

    def bring_to(self, kind: str, state: str, first: tuple[str, ...] = (), **overrides: Any) -> str:
        spec = self.rt.catalog.spec(kind)
        ref = self.open(kind, **overrides).reference
        for trigger in first:
            self.fire(ref, trigger)
        for t in path_to(spec, state):
            self.prepare(ref, t)
            self.fire(ref, t.trigger)
        return ref
