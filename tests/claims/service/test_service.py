"""claims.service: refusals change nothing, stale versions are caught, money and deadlines obey the rules."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from claims.errors import ClaimNotFound, StaleClaim
from claims.people.users import add_user
from claims.runtime import Runtime
from claims.service import advance, open_claim
from claims.storage.models import Claim, Deadline, TimelineEvent, User
from tests.claims.driver import Driver
from tests.conftest import snapshot
from tests.factories import Clock, World, melding
from workflow.errors import Forbidden, InvalidInput, TransitionNotAllowed


@pytest.fixture
def driver(engine: Engine, rt: Runtime, world: World) -> Driver:
    return Driver(engine, rt, world)


def _claim(engine: Engine, ref: str) -> Claim:
    with Session(engine) as s:
        return s.exec(select(Claim).where(Claim.reference == ref)).one()


def test_open_claim_numbers_per_year_and_starts_deadlines(driver: Driver, engine: Engine) -> None:
    first = driver.open("contract_breach")
    second = driver.open("data_loss")
    assert (first.reference, second.reference) == ("CF-2026-000001", "CF-2026-000002")
    assert (first.state, first.version) == ("melding", 1)
    with Session(engine) as s:
        names = {d.name for d in s.exec(select(Deadline).where(Deadline.claim_id == second.claim_id))}
    # data loss with personal data (the insured the controller): the 72-hour AVG clock runs beside the
    # acknowledgement; no limitation term before the insurer's position
    assert names == {"ontvangstbevestiging", "melding_ap"}


def test_avg_clock_is_72_hours_from_awareness(driver: Driver, engine: Engine) -> None:
    opened = driver.open("data_loss", awareness_at="2026-11-14T22:15")
    with Session(engine) as s:
        ap = s.exec(
            select(Deadline).where(Deadline.claim_id == opened.claim_id, Deadline.name == "melding_ap")
        ).one()
    assert ap.due_at == datetime(2026, 11, 17, 21, 15, tzinfo=UTC)
    assert ap.scope == "claim"


def test_acknowledgement_due_in_two_working_days_end_of_day(
    driver: Driver, engine: Engine, clock: Clock
) -> None:
    clock.now = datetime(2026, 4, 30, 9, 0, tzinfo=UTC)  # Thursday; Fri 1 May works, 4 May Mon, 5 May holiday
    opened = driver.open(
        "contract_breach", date_error="2026-04-20", date_known="2026-04-22", date_reported="2026-04-30"
    )
    with Session(engine) as s:
        ack = s.exec(
            select(Deadline).where(
                Deadline.claim_id == opened.claim_id, Deadline.name == "ontvangstbevestiging"
            )
        ).one()
    assert ack.due_at == datetime(2026, 5, 4, 21, 59, 59, tzinfo=UTC)  # 23:59:59 CEST on Monday 4 May


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"policy_number": "NOPE"}, "policy_number"),
        ({"kind": "bodily_injury"}, "kind"),
        ({"date_known": "2026-09-01"}, "date_known"),
        ({"date_reported": "2027-01-01"}, "date_reported"),
        ({"amount_claimed": "-5"}, "amount_claimed"),
        ({"amount_claimed": 12.5}, "amount_claimed"),
        ({"claimant": "  "}, "claimant"),
        ({"handler": "e@test.nl"}, "handler"),
        ({"kind": "data_loss", "personal_data": "true", "awareness_at": None}, "awareness_at"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_melding_names_the_field_and_stores_nothing(
    engine: Engine, rt: Runtime, world: World, overrides: dict[str, object], field: str
) -> None:
    before = snapshot(engine)
    data = {k: v for k, v in (melding() | overrides).items() if v is not None}
    with Session(engine) as s, pytest.raises(InvalidInput) as err:
        open_claim(s, rt, data, world.handler)
    assert field in err.value.errors
    assert snapshot(engine) == before


def test_expert_cannot_open_a_claim(engine: Engine, rt: Runtime, world: World) -> None:
    with Session(engine) as s, pytest.raises(Forbidden):
        open_claim(s, rt, melding(), world.expert)


def _refusals(
    driver: Driver, world: World, ref: str
) -> list[tuple[str, dict[str, object], object, int | None, type[Exception]]]:
    payee = driver.payee(ref)
    settle = {"damages": "1000", "terms": "x", "payee": payee}
    return [
        # another handler's claim
        ("settle", settle, world.other_handler, None, Forbidden),
        # the expert has no settlement transition
        ("settle", settle, world.expert, None, Forbidden),
        # an admin manages users, not claims
        ("settle", settle, world.admin, None, Forbidden),
        # bad money
        ("settle", settle | {"damages": "veel"}, world.handler, None, InvalidInput),
        # float money is refused, never rounded
        ("settle", settle | {"damages": 1000.5}, world.handler, None, InvalidInput),
        # missing required field
        ("settle", {"damages": "1000", "payee": payee}, world.handler, None, InvalidInput),
        # a payee that is no party of this claim
        ("settle", settle | {"payee": payee + 1000}, world.handler, None, InvalidInput),
        # the approval route of version 2 is gone: one mechanism for every payment
        ("submit_for_approval", settle, world.handler, None, TransitionNotAllowed),
        # not a trigger of this state
        ("confirm_cover", {}, world.handler, None, TransitionNotAllowed),
        ("no_such_trigger", {}, world.handler, None, TransitionNotAllowed),
        # stale version
        ("settle", settle, world.handler, 2, StaleClaim),
    ]


def test_refused_transitions_leave_the_database_unchanged(
    driver: Driver, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = driver.bring_to("contract_breach", "regeling")
    version = _claim(engine, ref).version
    refusals = _refusals(driver, world, ref)
    for trigger, inputs, actor, stale_version, error in refusals:
        before = snapshot(engine)
        with Session(engine) as s, pytest.raises(error):
            advance(s, rt, ref, trigger, inputs, actor, version if stale_version is None else stale_version)  # type: ignore[arg-type]
        assert snapshot(engine) == before, f"{trigger} by {actor} changed the database"


def test_refusal_after_a_staged_write_rolls_it_back(
    driver: Driver, engine: Engine, rt: Runtime, world: World
) -> None:
    """appoint_expert runs after guards: an unknown expert must not leave half a transition behind."""
    ref = driver.bring_to("contract_breach", "dekkingsonderzoek")
    before = snapshot(engine)
    with Session(engine) as s, pytest.raises(InvalidInput) as err:
        advance(
            s,
            rt,
            ref,
            "confirm_cover",
            {"expert": "nobody@test.nl", "reserve_damages": "5000"},
            world.handler,
            _claim(engine, ref).version,
        )
    assert "expert" in err.value.errors
    assert snapshot(engine) == before


def test_unknown_claim(engine: Engine, rt: Runtime, world: World) -> None:
    with Session(engine) as s, pytest.raises(ClaimNotFound):
        advance(s, rt, "CF-2026-999999", "withdraw", {}, world.handler, 1)


def test_stale_error_tells_the_current_state(
    driver: Driver, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = driver.bring_to("contract_breach", "dekkingsonderzoek")
    with Session(engine) as s, pytest.raises(StaleClaim) as err:
        advance(s, rt, ref, "withdraw", {"reason": "x"}, world.handler, 1)
    assert err.value.current_state == "dekkingsonderzoek" and err.value.current_version == 2
    assert "Dekkingsonderzoek" in str(err.value)
    assert "gewijzigd door iemand anders" in str(err.value)


@pytest.mark.parametrize(
    ("given", "told"), [(12, "versie 12 bestaat nog niet"), (0, "versie 0 bestaat niet")]
)
def test_a_version_the_claim_never_had_is_stale_and_says_so(
    driver: Driver, engine: Engine, rt: Runtime, world: World, given: int, told: str
) -> None:
    ref = driver.bring_to("contract_breach", "dekkingsonderzoek")
    before = snapshot(engine)
    with Session(engine) as s, pytest.raises(StaleClaim) as err:
        advance(s, rt, ref, "withdraw", {"reason": "x"}, world.handler, given)
    assert f"{told}; de claim is op versie 2" in str(err.value)
    assert "iemand anders" not in str(err.value)
    assert err.value.current_state == "dekkingsonderzoek" and err.value.current_version == 2
    assert snapshot(engine) == before


RACE = [  # two people act on the same claim version at the same moment
    ("h@test.nl", "withdraw", {"reason": "ingetrokken"}),
    ("m@test.nl", "reject", {"ground": "overig", "reasons": "x" * 40}),
]


def _race(engine: Engine, rt: Runtime, ref: str, version: int, *, read_first: bool) -> list[object]:
    """Run the RACE attempts in two threads; with `read_first`, each looks its user up in the same
    Session first (as the CLI does), so the Session holds a read transaction when it advances."""
    barrier = threading.Barrier(len(RACE))
    results: list[object] = []

    def attempt(email: str, trigger: str, inputs: dict[str, str]) -> None:
        with Session(engine, expire_on_commit=False) as s:
            if read_first:
                actor = s.exec(select(User).where(User.email == email)).one()
            else:
                with Session(engine, expire_on_commit=False) as lookup:
                    actor = lookup.exec(select(User).where(User.email == email)).one()
            barrier.wait()
            try:
                results.append(advance(s, rt, ref, trigger, inputs, actor, version))
            except StaleClaim as exc:
                results.append(exc)

    threads = [threading.Thread(target=attempt, args=args) for args in RACE]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.parametrize("read_first", [False, True], ids=["fresh-session", "session-read-first"])
def test_two_people_advancing_at_once_one_wins(
    driver: Driver, engine: Engine, rt: Runtime, world: World, read_first: bool
) -> None:
    ref = driver.bring_to("contract_breach", "dekkingsonderzoek")
    version = _claim(engine, ref).version
    results = _race(engine, rt, ref, version, read_first=read_first)
    # a stale claim, never a locked database or a lost update
    assert sorted(type(r).__name__ for r in results) == ["Outcome", "StaleClaim"]
    claim = _claim(engine, ref)
    assert claim.version == version + 1
    with Session(engine) as s:
        events = s.exec(select(TimelineEvent).where(TimelineEvent.claim_id == claim.id)).all()
    assert len(events) == claim.version


def test_invoice_interest_is_computed_on_each_unpaid_invoice(
    driver: Driver, engine: Engine, rt: Runtime, world: World, clock: Clock
) -> None:
    ref = driver.bring_to("unpaid_fee", "schadebeperking")
    driver.fire(ref, "register_invoice", {"number": "F1", "amount": "10000", "due_date": "2025-12-31"})
    clock.now = datetime(2026, 7, 1, 10, tzinfo=UTC)
    driver.fire(ref, "to_expertise")
    driver.fire(ref, "submit_report")
    driver.fire(ref, "to_settlement")
    interest = _claim(engine, ref).case_data["invoice_interest"]
    # 10,000 at 10.15% (2026, marked 'check' in the rates table) over 1 Jan - 1 Jul 2026 = 182 days
    assert interest["invoices"][0]["interest"] == str(
        (Decimal("10000") * Decimal("10.15") / 100 * 182 / 365).quantize(Decimal("0.01"))
    )


def test_deadlines_met_cancelled_and_opened(driver: Driver, engine: Engine) -> None:
    ref = driver.bring_to("contract_breach", "expertise")
    driver.fire(ref, "withdraw", {"reason": "benadeelde ziet af"})
    claim = _claim(engine, ref)
    with Session(engine) as s:
        rows = {d.name: d for d in s.exec(select(Deadline).where(Deadline.claim_id == claim.id))}
    assert rows["ontvangstbevestiging"].met_trigger == "start_coverage_check"
    assert rows["standpunt_dekking"].met_trigger == "confirm_cover"
    assert rows["expertiserapport"].met_at is None and rows["expertiserapport"].cancelled_at is not None
    assert claim.outcome == "withdrawn"


def test_fast_track_only_for_small_claims(driver: Driver, engine: Engine, rt: Runtime, world: World) -> None:
    ref = driver.bring_to("contract_breach", "dekkingsonderzoek", amount_claimed="40000")
    driver.refuse(
        ref,
        "fast_track",
        {"reserve_damages": "40000"},
        world.handler,
        TransitionNotAllowed,
        match="snelle route",
    )
    small = driver.bring_to("contract_breach", "dekkingsonderzoek", amount_claimed="15000")
    driver.fire(small, "fast_track", {"reserve_damages": "15000"})
    assert _claim(engine, small).state == "regeling"


def test_rejection_needs_reasons_and_closing_needs_no_open_reserve(
    driver: Driver, engine: Engine, rt: Runtime, world: World
) -> None:
    ref = driver.bring_to("contract_breach", "expertise")
    driver.refuse(
        ref,
        "reject",
        {"ground": "overig", "reasons": "nee"},
        world.handler,
        TransitionNotAllowed,
        match="gemotiveerd",
    )
    driver.fire(
        ref,
        "reject",
        {
            "ground": "geen_aansprakelijkheid",
            "reasons": "Verzekerde is niet aansprakelijk: de fout ligt bij de opdrachtgever zelf.",
        },
    )
    driver.refuse(ref, "close_rejected", {}, world.handler, TransitionNotAllowed, match="reserve")
    driver.fire(ref, "object", {"objection": "De opdrachtgever betwist dit."})
    assert _claim(engine, ref).state == "dekkingsonderzoek"


def test_a_worker_connection_commits_each_transition_and_rolls_back_refusals(
    engine: Engine, rt: Runtime, world: World
) -> None:
    """The same service on a Connection a worker keeps (raw driver transactions, see claims.storage.db)."""
    with engine.connect() as conn:
        opened = open_claim(conn, rt, melding(), world.handler)
        moved = advance(conn, rt, opened.reference, "start_coverage_check", {}, world.handler, 1)
        before = snapshot(engine)  # another connection sees both commits
        assert _claim(engine, moved.reference).version == 2
        with pytest.raises(InvalidInput):
            advance(
                conn,
                rt,
                opened.reference,
                "confirm_cover",
                {"expert": "nobody@test.nl", "reserve_damages": "5000"},
                world.handler,
                2,
            )
        with pytest.raises(StaleClaim):
            advance(conn, rt, opened.reference, "withdraw", {"reason": "x"}, world.handler, 1)
        assert snapshot(engine) == before
        # the connection is usable again after a refusal
        advance(conn, rt, opened.reference, "withdraw", {"reason": "ingetrokken"}, world.handler, 2)
    assert _claim(engine, opened.reference).state == "gesloten"


@pytest.mark.parametrize(
    ("email", "name"),
    [
        ("a@b.nl, x@evil.test", "Jan"),  # a second recipient in the header
        ("jörg@bedrijf.nl", "Jörg"),  # not plain ASCII: no SMTPUTF8 assumed
        ("jan @bedrijf.nl", "Jan"),
        ("jan@bedrijf.nl", "Jan\r\nBcc: x@evil.test"),  # a header break in the name
    ],
)
def test_an_address_or_name_that_would_break_an_e_mail_is_refused(
    engine: Engine, email: str, name: str
) -> None:
    with Session(engine) as s, pytest.raises(InvalidInput) as refused:
        add_user(s, email=email, name=name, role="handler", password="wachtwoord-1", now=datetime.now(UTC))
    assert set(refused.value.errors) & {"email", "name"}
