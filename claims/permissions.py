"""Who may act on which claim. Enforced in the service, so no interface can skip it."""

from __future__ import annotations

from typing import Any

from claims.models import Role, User
from workflow.engine import Available, available
from workflow.errors import Forbidden
from workflow.spec import TransitionSpec, WorkflowSpec


def _relation_refusal(actor: User, claim: Any) -> str | None:
    if not actor.active:
        return "Dit account is niet actief."
    if actor.role == Role.handler and claim.handler_id != actor.id:
        return "Deze claim is niet aan u toegewezen."
    if actor.role == Role.expert and claim.expert_id != actor.id:
        return "U bent niet als expert op deze claim aangesteld."
    return None


def check_may_fire(actor: User, claim: Any, transition: TransitionSpec) -> None:
    """Raise Forbidden unless the actor's role may fire it and the actor is on this claim."""
    if actor.role not in transition.roles:
        raise Forbidden(f"Uw rol ({actor.role}) mag '{transition.label}' niet uitvoeren.")
    refusal = _relation_refusal(actor, claim)
    if refusal:
        raise Forbidden(refusal)


def allowed_transitions(spec: WorkflowSpec, claim: Any, actor: User) -> list[Available]:
    """What this actor may do on this claim now: the list every interface draws its actions from."""
    if _relation_refusal(actor, claim):
        return []
    return available(spec, claim.state, actor.role)


def check_may_open(actor: User) -> None:
    if not actor.active or actor.role not in (Role.handler, Role.manager):
        raise Forbidden("Alleen behandelaars en managers registreren een melding.")
