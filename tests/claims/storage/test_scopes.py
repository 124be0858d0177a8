"""A reader's scope on the claims: decided as plain data by claims.people.permissions, turned into the
WHERE clause by storage; both halves, and that they meet."""

from __future__ import annotations

from sqlalchemy import Engine, update
from sqlmodel import Session

from claims.people.permissions import visible_claims
from claims.runtime import Runtime
from claims.service import open_claim
from claims.storage.models import User
from claims.storage.repositories import claim_list
from claims.storage.repositories.claim_list import ClaimCriteria
from claims.storage.scopes import EVERYTHING, NOTHING, ClaimScope
from claims.storage.tables import CLAIMS, USERS
from tests.factories import World, make_user, melding


def test_each_role_sees_its_scope(world: World) -> None:
    assert visible_claims(world.manager) == EVERYTHING
    assert visible_claims(world.handler) == ClaimScope(handler_team=world.handler.team)
    assert visible_claims(world.expert) == ClaimScope(expert_id=world.expert.id)
    assert visible_claims(world.admin) == NOTHING
    assert visible_claims(world.manager.model_copy(update={"active": False})) == NOTHING


def test_a_scope_selects_its_claims_and_a_team_counts_only_its_handlers(
    engine: Engine, rt: Runtime, world: World
) -> None:
    with Session(engine, expire_on_commit=False) as s:

        def handler(email: str, team: str) -> User:
            return make_user(s, email, now=rt.clock(), name=email, team=team)

        elsewhere, promoted = handler("x@test.nl", "Elders"), handler("p@test.nl", world.handler.team)
        s.commit()
        refs = {
            who: open_claim(s, rt, melding(), user).reference
            for who, user in (
                ("handler", world.handler),
                ("colleague", world.other_handler),
                ("elsewhere", elsewhere),
                ("promoted", promoted),
            )
        }
        conn = s.connection()
        conn.execute(
            update(CLAIMS).where(CLAIMS.c.reference == refs["handler"]).values(expert_id=world.expert.id)
        )
        # in the team still, but a manager now: the team's handlers no longer read the claims left with them
        conn.execute(update(USERS).where(USERS.c.id == promoted.id).values(role="manager"))

        def seen(scope: ClaimScope) -> set[str]:
            rows = claim_list.page(
                s.connection(),
                ClaimCriteria(scope=scope),
                sort_column=None,
                descending=False,
                after=None,
                limit=10,
            )
            return {refs_by_reference[r.reference] for r in rows}

        refs_by_reference = {ref: who for who, ref in refs.items()}
        assert seen(EVERYTHING) == set(refs)
        assert seen(ClaimScope(handler_team=world.handler.team)) == {"handler", "colleague"}
        assert seen(ClaimScope(handler_team="Elders")) == {"elsewhere"}
        assert seen(ClaimScope(expert_id=world.expert.id)) == {"handler"}
        assert seen(NOTHING) == set()
