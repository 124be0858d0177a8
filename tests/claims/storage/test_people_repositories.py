"""The repositories behind signing in, users, reference rates and policies: what they count, find, end
and add, inside the caller's transaction (they never commit)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Engine, select
from sqlmodel import Session

from claims.storage.repositories import policies, rates, sessions, users
from claims.storage.tables import LOGIN_FAILURES
from tests.factories import World

T0 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


def test_attempts_are_counted_per_address_per_client_and_both(engine: Engine) -> None:
    with engine.begin() as conn:
        ids = [
            sessions.add_attempt(conn, email, ip, T0 + timedelta(minutes=n))
            for n, (email, ip) in enumerate(
                [("a@x.nl", "1"), ("a@x.nl", "2"), ("b@x.nl", "1"), ("a@x.nl", "1")]
            )
        ]
        last = ids[-1]
        assert sessions.attempts_before(conn, last, T0 - timedelta(1), email="a@x.nl", ip="1") == (1, T0)
        assert sessions.attempts_before(conn, last, T0 - timedelta(1), email="a@x.nl") == (
            2,
            T0 + timedelta(minutes=1),
        )
        assert sessions.attempts_before(conn, last, T0 - timedelta(1), ip="1") == (
            2,
            T0 + timedelta(minutes=2),
        )
        # only those after `since` count
        assert sessions.attempts_before(conn, last, T0, ip="1") == (1, T0 + timedelta(minutes=2))
        assert sessions.attempts_before(conn, ids[0], T0 - timedelta(1), email="a@x.nl") == (0, None)


def test_attempts_are_withdrawn_forgotten_and_cleared(engine: Engine) -> None:
    old = T0 - timedelta(days=2)
    with engine.begin() as conn:
        sessions.add_attempt(conn, "a@x.nl", "9", old)  # old, of this address
        sessions.add_attempt(conn, "z@x.nl", "1", old)  # old, of this client
        sessions.add_attempt(conn, "z@x.nl", "9", old)  # old, of neither: kept
        sessions.add_attempt(conn, "a@x.nl", "2", T0)
        withdrawn = sessions.add_attempt(conn, "a@x.nl", "1", T0)
        sessions.add_attempt(conn, "a@x.nl", "1", T0)
        sessions.withdraw_attempt(conn, withdrawn)
        sessions.forget_attempts_before(conn, "a@x.nl", "1", T0 - timedelta(days=1))

        def left() -> list[tuple[str, str]]:
            rows = conn.execute(
                select(LOGIN_FAILURES.c.email, LOGIN_FAILURES.c.ip).order_by(LOGIN_FAILURES.c.id)
            )
            return [(r.email, r.ip) for r in rows]

        assert left() == [("z@x.nl", "9"), ("a@x.nl", "2"), ("a@x.nl", "1")]
        sessions.clear_attempts(conn, "a@x.nl", "1")
        assert left() == [("z@x.nl", "9"), ("a@x.nl", "2")]


def test_a_web_session_is_found_touched_and_ended_once(engine: Engine, world: World) -> None:
    assert world.handler.id is not None and world.manager.id is not None
    with engine.begin() as conn:
        sessions.add_session(conn, "hash-1", world.handler.id, T0)
        sessions.add_session(conn, "hash-2", world.handler.id, T0)
        sessions.add_session(conn, "hash-3", world.manager.id, T0)
        found = sessions.by_token_hash(conn, "hash-1")
        assert found is not None
        assert (found.user_id, found.created_at, found.last_seen_at, found.ended_at) == (
            world.handler.id,
            T0,
            T0,
            None,
        )
        assert sessions.by_token_hash(conn, "no-such-hash") is None
        sessions.touch(conn, found.id, T0 + timedelta(minutes=5))
        sessions.end(conn, found.id, T0 + timedelta(minutes=6))
        sessions.end(conn, found.id, T0 + timedelta(minutes=7))  # the first end is the one kept
        again = sessions.by_token_hash(conn, "hash-1")
        assert again is not None
        assert (again.last_seen_at, again.ended_at) == (T0 + timedelta(minutes=5), T0 + timedelta(minutes=6))
        sessions.end_all(conn, world.handler.id, T0 + timedelta(hours=1))
        ended = {
            h: s.ended_at for h in ("hash-1", "hash-2", "hash-3") if (s := sessions.by_token_hash(conn, h))
        }
    assert ended == {"hash-1": T0 + timedelta(minutes=6), "hash-2": T0 + timedelta(hours=1), "hash-3": None}


def test_user_models_are_found_listed_and_saved(engine: Engine, world: World) -> None:
    with Session(engine) as s:
        handler = users.with_email(s, "h@test.nl")
        assert handler is not None and handler.id == world.handler.id
        assert users.with_email(s, "H@test.nl") is None  # the caller normalises
        assert users.get(s, world.admin.id or 0) is not None
        handler.api_token_hash = "digest"
        handler.active = False
        users.save(s, handler)
        assert users.with_token_hash(s, "digest") is handler
        assert [u.email for u in users.all_by_role(s)] == [
            "a@test.nl",
            "e@test.nl",
            "h2@test.nl",
            "h@test.nl",
            "m2@test.nl",
            "m@test.nl",
        ]
        assert [u.name for u in users.active_by_name(s)] == ["a", "e", "h2", "m", "m2"]
        team = s.connection().execute(users.team_handler_ids("BAV")).scalars().all()
        assert sorted(team) == sorted([world.handler.id, world.other_handler.id])
        s.rollback()  # nothing was committed by the repository
        assert users.with_token_hash(s, "digest") is None


def test_reference_rates_are_known_and_added(engine: Engine) -> None:
    with engine.begin() as conn:
        assert not rates.has_rate(conn, "handels", date(1990, 1, 1))
        rates.add(
            conn,
            {
                "kind": "handels",
                "valid_from": date(1990, 1, 1),
                "rate": "9.5",
                "source": "t",
                "checked": False,
            },
        )
        assert rates.has_rate(conn, "handels", date(1990, 1, 1))
        assert not rates.has_rate(conn, "wettelijk", date(1990, 1, 1))


def test_a_policy_added_takes_the_models_defaults(engine: Engine) -> None:
    with engine.begin() as conn:
        new_id = policies.add(
            conn,
            {
                "number": "BAV-NEW-1",
                "insured": "Nieuw B.V.",
                "start_date": date(2024, 1, 1),
                "retroactive_date": date(2020, 1, 1),
                "cover_per_claim": Decimal("500000"),
                "cover_per_year": Decimal("1000000"),
                "deductible": Decimal("2500"),
            },
        )
        policy = policies.by_number(conn, "BAV-NEW-1")
        assert policy is not None
        assert (policy.id, policy.activities, policy.territory, policy.deductible) == (
            new_id,
            "",
            "wereld, excl. VS/Canada",
            Decimal("2500"),
        )
