"""Who may see and act on which claim. Enforced in the service and the queries, so no interface can
skip it: a handler acts on the claims assigned to them and reads their team's; an expert sees and acts
only where appointed; a manager sees and acts on all; an admin manages users and sees no claims."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from claims.storage.models import Role, User
from claims.storage.scopes import EVERYTHING, NOTHING, ClaimScope
from workflow.engine import Available, Engine, available
from workflow.errors import Forbidden
from workflow.spec import TransitionSpec, WorkflowSpec

C = TypeVar("C")


def _relation_refusal(actor: User, claim: Any) -> str | None:
    if not actor.active:
        return "Dit account is niet actief."
    if actor.role == Role.handler and claim.handler_id != actor.id:
        return "Deze claim is niet aan u toegewezen."
    if actor.role == Role.expert and claim.expert_id != actor.id:
        return "U bent niet als expert op deze claim aangesteld."
    if actor.role == Role.admin:
        return "Een beheerder beheert gebruikers en behandelt geen claims."
    return None


def may_act(actor: User, claim: Any) -> bool:
    """Whether the actor is on this claim (assigned handler, appointed expert, or a manager)."""
    return _relation_refusal(actor, claim) is None


def check_may_fire(actor: User, claim: Any, transition: TransitionSpec) -> None:
    """Raise Forbidden unless the actor's role may fire it and the actor is on this claim."""
    if actor.role not in transition.roles:
        raise Forbidden(f"Uw rol ({actor.role}) mag '{transition.label}' niet uitvoeren.")
    refusal = _relation_refusal(actor, claim)
    if refusal:
        raise Forbidden(refusal)


def check_may_act(actor: User, claim: Any) -> None:
    """Raise Forbidden unless the actor is on this claim (to add a note, for instance)."""
    refusal = _relation_refusal(actor, claim)
    if refusal:
        raise Forbidden(refusal)


def check_may_view(actor: User, claim: Any, handler_team: str) -> None:
    """Raise Forbidden unless the actor may read this claim: the team's handlers read each other's."""
    if actor.active and actor.role == Role.handler and handler_team == actor.team:
        return
    refusal = _relation_refusal(actor, claim)
    if refusal:
        raise Forbidden(refusal if actor.role != Role.handler else "Deze claim hoort niet bij uw team.")


def visible_claims(actor: User) -> ClaimScope:
    """The claims this actor may see (what lists and counts filter on)."""
    if not actor.active:
        return NOTHING
    if actor.role == Role.manager:
        return EVERYTHING
    if actor.role == Role.expert:
        return ClaimScope(expert_id=actor.id)
    if actor.role == Role.handler:
        return ClaimScope(handler_team=actor.team)
    return NOTHING


def allowed_transitions(
    spec: WorkflowSpec,
    claim: Any,
    actor: User,
    engine: Engine[C] | None = None,
    context: Callable[[TransitionSpec], C] | None = None,
) -> list[Available]:
    """What this actor may do on this claim now: the list every interface draws its actions from.
    With the engine and a read-only `context` for the guards, each carries the reason a guard would
    refuse it now (firing checks everything again, in the transaction)."""
    if _relation_refusal(actor, claim):
        return []
    if engine is None or context is None:
        return available(spec, claim.state, actor.role)
    return engine.available(spec, claim.state, actor.role, context)


def check_may_open(actor: User) -> None:
    if not actor.active or actor.role not in (Role.handler, Role.manager):
        raise Forbidden("Alleen behandelaars en managers registreren een melding.")


def check_may_manage_users(actor: User) -> None:
    if not actor.active or actor.role != Role.admin:
        raise Forbidden("Alleen een beheerder beheert gebruikers.")


def check_is_manager(actor: User) -> None:
    if not actor.active or actor.role != Role.manager:
        raise Forbidden("Alleen voor managers.")
