"""Who may act on which claim. Enforced in the service, so no interface can skip it."""

from __future__ import annotations

from typing import Any

from claims.models import Role, User
from workflow.errors import Forbidden
from workflow.spec import TransitionSpec


def check_may_fire(actor: User, claim: Any, transition: TransitionSpec) -> None:
    """Raise Forbidden unless the actor's role may fire it and the actor is on this claim."""
    if not actor.active:
        raise Forbidden("Dit account is niet actief.")
    if actor.role not in transition.roles:
        raise Forbidden(f"Uw rol ({actor.role}) mag '{transition.label}' niet uitvoeren.")
    if actor.role == Role.handler and claim.handler_id != actor.id:
        raise Forbidden("Deze claim is niet aan u toegewezen.")
    if actor.role == Role.expert and claim.expert_id != actor.id:
        raise Forbidden("U bent niet als expert op deze claim aangesteld.")


def check_may_open(actor: User) -> None:
    if not actor.active or actor.role not in (Role.handler, Role.manager):
        raise Forbidden("Alleen behandelaars en managers registreren een melding.")
