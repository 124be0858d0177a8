"""Benchmark: GET of the claim page, the claims list and the dashboard through the real app (FastAPI's
TestClient over claims.web.app.create_app) on a database of a desk with 1,000,000 claims.

Run: `make bench` (or `.venv/bin/python -m bench.pages --claims 1000000 [--db FILE]`). The database is
built with bulk inserts (this measures the pages, not the service): claims of the four kinds over all
states with their deadlines, a timeline of several events each, reserves and payments as money lines;
the first DETAILED claims live their whole course (bench.exports.ClaimPlan: letters, notes, the sweep's
flags), with parties and payments, and a few hold a long timeline (timed as a manager, once with all
its events shown, and the one in the handler's team as that handler). `--db` keeps the file for later
runs, which skip the build (and apply any newer migration). Prints how long the dashboard's figures take to
compute (the scheduler's refresh, claims.reads.dashboard_cache), then p50, p95 and the slowest GET in
milliseconds beside the targets, as a manager and as a handler, the dashboard showing that snapshot;
asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select

from bench.bulk import claim_row, finish, policy_row, user_row
from bench.exports import ClaimPlan, Rows, _link, insured_name
from claims.config import Settings
from claims.kinds.catalog import Catalog, load_catalog
from claims.people.users import hash_password
from claims.reads import dashboard_cache
from claims.runtime import build_runtime
from claims.storage.db import make_engine
from claims.storage.schema import upgrade
from claims.storage.tables import (
    CLAIMS,
    DEADLINES,
    EVENTS,
    LETTERS,
    MONEY,
    PARTIES,
    PAYMENTS,
    POLICIES,
    USERS,
)
from claims.web.app import create_app

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
PASSWORD = "bench-wachtwoord-1"
KINDS = ("contract_breach", "data_loss", "late_delivery", "unpaid_fee")
TEAMS = ("T0", "T1", "T2", "T3")
HANDLERS = range(1, 41)  # ids; bench.exports.ClaimPlan picks its handlers and experts from the same
EXPERTS = range(41, 51)
MANAGER = 51
POLICY_COUNT = 20_000
DETAILED = 20_000  # claims that live their whole course, with letters, parties and payments
LONG = (7, 11, 13)  # claims given a long timeline (LONG_NOTES notes more)
LONG_NOTES = 300
BATCH = 20_000
TARGETS = {"claim": 50.0, "list": 50.0, "dashboard": 500.0}  # p95 in ms

# the main path of every kind's spec: the trigger that leaves each state, and where it goes
PATH = (
    ("melding", "start_coverage_check", "dekkingsonderzoek"),
    ("dekkingsonderzoek", "confirm_cover", "expertise"),
    ("expertise", "to_settlement", "regeling"),
    ("regeling", "settle", "gesloten"),
)
# where the claims are now: most of a desk's files are closed
STATES = ("melding", "dekkingsonderzoek", "expertise", "schadebeperking", "regeling", "gesloten")
STATE_WEIGHTS = (3, 10, 17, 5, 10, 55)


def build(path: Path, claims: int) -> None:
    """Build the database in a side file and move it into place once complete, so an interrupted build
    never leaves a half-filled database for the next run to reuse."""
    part = path.with_name(path.name + ".building")
    for leftover in (part, Path(f"{part}-wal"), Path(f"{part}-shm")):
        leftover.unlink(missing_ok=True)
    start = time.perf_counter()
    engine = make_engine(f"sqlite:///{part}")
    upgrade(engine)
    catalog = load_catalog()
    rnd = random.Random(23)
    password = hash_password(PASSWORD)
    users = [user_row(f"h{i}@bench.nl", f"Behandelaar {i}", "handler", TEAMS[i % 4], NOW) for i in HANDLERS]
    users += [user_row(f"e{i}@bench.nl", f"Expert {i}", "expert", "EXP", NOW) for i in EXPERTS]
    users += [user_row("m@bench.nl", "Manager", "manager", "T0", NOW)]
    with engine.begin() as conn:
        conn.execute(insert(USERS), [u | {"password_hash": password} for u in users])
        conn.execute(
            insert(POLICIES),
            [policy_row(f"BAV-{i:06d}", insured_name(i)) for i in range(1, POLICY_COUNT + 1)],
        )
    next_event, next_party, n = 1, 1, 0
    while n < claims:
        rows = Rows()
        parties: list[dict[str, Any]] = []
        payments: list[dict[str, Any]] = []
        last = min(n + BATCH, claims)
        while n < last:
            n += 1
            if n <= DETAILED:
                money_before = len(rows.money)
                plan = ClaimPlan(n, rnd, catalog, rows, next_event, cap=10_000)
                plan.run()
                next_event = plan.next_event
                if n in LONG:
                    next_event = _long_timeline(rows, n, plan.state, plan.handler, next_event, rnd)
                next_party = _parties_and_payments(rows, parties, payments, n, next_party, money_before)
            else:
                next_event = _quick_claim(rows, catalog, n, claims, next_event, rnd)
        for d in rows.deadlines:
            d.pop("spec", None)
        _link(rows)
        with engine.begin() as conn:
            conn.execute(insert(CLAIMS), rows.claims)
            conn.execute(insert(EVENTS), rows.events)
            conn.execute(insert(DEADLINES), rows.deadlines)
            for table, batch in ((LETTERS, rows.letters), (MONEY, rows.money), (PARTIES, parties)):
                if batch:
                    conn.execute(insert(table), batch)
            if payments:
                conn.execute(insert(PAYMENTS), payments)
        print(f"  {n:,} claims, {next_event - 1:,} events ({time.perf_counter() - start:.0f} s)", flush=True)
    finish(engine)
    engine.dispose()
    part.rename(path)
    print(f"built {claims:,} claims holding {next_event - 1:,} events in {time.perf_counter() - start:.0f} s")


def _quick_claim(rows: Rows, catalog: Catalog, n: int, claims: int, event: int, rnd: random.Random) -> int:
    """A claim that went along the main path to its present state, one event per move, with the open
    state's first deadline, its reserve from cover on and its payment when settled; the next event id."""
    kind = rnd.choice(KINDS)
    spec = catalog.spec(kind, 1)
    created = NOW - timedelta(minutes=claims - n)
    state = rnd.choices(STATES, STATE_WEIGHTS)[0]
    goal = "dekkingsonderzoek" if state == "schadebeperking" else state
    handler = rnd.choice(HANDLERS)
    # most claims are small; one in a hundred between 50,000 and 1,000,000 euros (log-uniform), so that
    # the dashboard's large losses are a list a manager reads, as on a real desk
    low, high = (50_000, 1_000_000) if rnd.random() < 0.01 else (1_000, 50_000)
    claimed = Decimal(round(low * (high / low) ** rnd.random())).quantize(Decimal("0.01"))
    reserve = (claimed * Decimal("0.6")).quantize(Decimal("0.01"))
    t, version, current = created, 1, "melding"

    def add(kind_: str, trigger: str | None, from_: str | None, to: str) -> int:
        nonlocal event
        rows.events.append(
            {
                "id": event,
                "claim_id": n,
                "claim_version": version,
                "at": t,
                "actor_id": handler,
                "kind": kind_,
                "trigger": trigger,
                "from_state": from_,
                "to_state": to,
                "data": {"inputs": {}},
                "note": "",
            }
        )
        event += 1
        return event - 1

    add("opened", None, None, "melding")
    for from_, trigger, to in PATH:
        if current == goal:
            break
        t, version = t + timedelta(hours=rnd.randint(2, 400)), version + 1
        moved = add("transition", trigger, from_, to)
        if trigger == "confirm_cover":
            rows.money.append(_money(n, moved, t, "reserve", reserve))
        if trigger == "settle":
            rows.money.append(_money(n, moved, t, "payment", reserve))
            rows.money.append(_money(n, moved, t, "reserve", -reserve))
        current = to
    if state == "schadebeperking":
        t, version = t + timedelta(hours=rnd.randint(2, 200)), version + 1
        add("transition", "start_mitigation", current, state)
        current = state
    if t > NOW:
        t = NOW
    if current != "gesloten":
        own = spec.states[current].deadlines if current in spec.states else []
        due = NOW - timedelta(days=1) if rnd.random() < 0.02 else NOW + timedelta(days=rnd.randint(1, 90))
        rows.deadlines.append(
            {
                "claim_id": n,
                "name": own[0].name if own else "behandeling",
                "label": own[0].label if own else "Behandeling",
                "state": current,
                "scope": "state",
                "responsible": "handler",
                "met_by": "",
                "started_at": t,
                "due_at": due,
            }
        )
    rows.claims.append(
        claim_row(
            n,
            created=created,
            kind=kind,
            state=current,
            version=version,
            outcome="settled" if current == "gesloten" else None,
            policy_id=rnd.randint(1, POLICY_COUNT),
            handler_id=handler,
            claimant=f"Opdrachtgever {rnd.randint(1, 200_000)} B.V.",
            amount_claimed=claimed,
            state_entered_at=t,
            closed_at=t if current == "gesloten" else None,
        )
    )
    return event


def _money(claim: int, event: int, at: datetime, kind: str, amount: Decimal) -> dict[str, Any]:
    return {
        "claim_id": claim,
        "event_id": event,
        "at": at,
        "kind": kind,
        "cost_type": "damages",
        "amount": amount,
        "note": "",
    }


def _long_timeline(rows: Rows, n: int, state: str, handler: int, event: int, rnd: random.Random) -> int:
    """LONG_NOTES notes more on claim `n`, after its last event, a few hours apart."""
    own = [e for e in rows.events if e["claim_id"] == n]
    t, version = own[-1]["at"], own[-1]["claim_version"]
    for i in range(LONG_NOTES):
        t += timedelta(minutes=rnd.randint(10, 600))
        rows.events.append(
            {
                "id": event,
                "claim_id": n,
                "claim_version": version,
                "at": min(t, NOW),
                "actor_id": handler,
                "kind": "note",
                "trigger": None,
                "from_state": state,
                "to_state": state,
                "data": {},
                "note": f"Notitie {i + 1}: verzekerde gebeld, stukken volgen.",
            }
        )
        event += 1
    return event


def _parties_and_payments(
    rows: Rows,
    parties: list[dict[str, Any]],
    payments: list[dict[str, Any]],
    n: int,
    party: int,
    money_from: int,
) -> int:
    """The claim's insured and claimant as parties, and a payment to the claimant for each payment
    money line of the claim (rows.money from `money_from` on); the next party id."""
    claim = rows.claims[-1]
    insured, claimant = party, party + 1
    for pid, role, name in (
        (insured, "insured", insured_name(claim["policy_id"])),
        (claimant, "claimant", claim["claimant"]),
    ):
        parties.append(
            {
                "id": pid,
                "claim_id": n,
                "role": role,
                "name": name,
                "street": "Stationsplein 1",
                "postcode": "3511 ED",
                "city": "Utrecht",
                "iban": "NL91ABNA0417164300",
                "account_holder": name,
                "created_at": claim["created_at"],
                "updated_at": claim["created_at"],
            }
        )
    paid = [m for m in rows.money[money_from:] if m["kind"] == "payment"]
    for i, line in enumerate(paid, start=1):
        payments.append(
            {
                "claim_id": n,
                "event_id": line["event_id"],
                "reference": f"{claim['reference']}-B{i:02d}",
                "payee_party_id": claimant,
                "payee_name": claim["claimant"],
                "iban": "NL91ABNA0417164300",
                "account_holder": claim["claimant"],
                "amount": line["amount"],
                "parts": {line["cost_type"]: str(line["amount"])},
                "description": f"Schadenummer {claim['reference']}",
                "status": "paid",
                "proposed_by": claim["handler_id"],
                "approved_by": claim["handler_id"],
                "approved_at": line["at"],
                "paid_on": line["at"].date(),
                "created_at": line["at"],
            }
        )
    return party + 2


# ------------------------------------------------------------------------------------------- timing


def client_for(app: Any, email: str) -> TestClient:
    client = TestClient(app, follow_redirects=False)
    page = client.get("/login")
    nonce = re.search(r'name="nonce" value="([^"]*)"', page.text)
    assert nonce, "no nonce on the login form"
    done = client.post(
        "/login", data={"email": email, "password": PASSWORD, "nonce": nonce.group(1), "next": "/"}
    )
    assert done.status_code == 303, done.text[:500]
    return client


def timed(get: Callable[[], Any], repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        response = get()
        times.append((time.perf_counter() - t) * 1000)
        assert response.status_code == 200, (response.status_code, response.text[:300])
    return times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20, method="inclusive")[-1] if len(times) > 1 else times[0]


def cases(engine: Engine, claims: int) -> dict[str, list[tuple[str, str]]]:
    """The pages to time, per user: (label, URL)."""
    with engine.connect() as conn:
        handler_id, team = 8, TEAMS[8 % 4]
        team_ids = [i for i in HANDLERS if TEAMS[i % 4] == team]
        own = conn.execute(
            select(CLAIMS.c.reference).where(CLAIMS.c.handler_id.in_(team_ids)).order_by(CLAIMS.c.id).limit(3)
        ).scalars().all()  # fmt: skip
        # the team's claims among those with a long timeline: the handler's view of one
        team_long = conn.execute(
            select(CLAIMS.c.reference)
            .where(CLAIMS.c.id.in_(LONG), CLAIMS.c.handler_id.in_(team_ids))
            .order_by(CLAIMS.c.id)
        ).scalars().all()  # fmt: skip
        late = conn.execute(
            select(CLAIMS.c.reference)
            .where(CLAIMS.c.handler_id.in_(team_ids), CLAIMS.c.id > claims // 2)
            .order_by(CLAIMS.c.id)
            .limit(1)
        ).scalar_one()
    long_refs = [f"CF-2026-{n:07d}" for n in LONG]
    detailed = [f"CF-2026-{n:07d}" for n in (101, 5_000, min(DETAILED, claims) - 3)]
    # claims past the detailed ones, where there are any (a small database for a quick run has none)
    recent = [f"CF-2026-{n:07d}" for n in (DETAILED + 17, claims // 2, claims - 5) if n > DETAILED]
    manager_claims = [(f"claim {r} (long timeline)", f"/claims/{r}") for r in long_refs]
    # the page shows the newest events of a long timeline; all of them are one link away
    manager_claims += [(f"claim {long_refs[0]} (long, all events)", f"/claims/{long_refs[0]}?alles=1")]
    manager_claims += [(f"claim {r} (whole course)", f"/claims/{r}") for r in detailed]
    manager_claims += [(f"claim {r}", f"/claims/{r}") for r in recent]
    handler_claims = [(f"claim {r} (team)", f"/claims/{r}") for r in [*own, late]]
    handler_claims += [(f"claim {r} (team, long timeline)", f"/claims/{r}") for r in team_long]
    lists = [
        ("list, first page", "/claims"),
        ("list, kind + state", "/claims?kind=data_loss&state=expertise"),
        ("list, overdue only", "/claims?overdue=1"),
        ("list, highest amount", "/claims?sort=bedrag_hoog"),
    ]
    return {
        f"manager (m@bench.nl)|{MANAGER}": [*manager_claims, *lists, ("dashboard", "/dashboard")],
        f"handler (h{handler_id}@bench.nl)|{handler_id}": [*handler_claims, *lists],
    }


def later_page(client: TestClient, url: str, pages: int) -> str:
    """The URL of page `pages + 1` of a list, following its 'next' links (the keyset cursor)."""
    for _ in range(pages):
        found = re.search(r'href="(/claims\?[^"]*cursor=[^"]*)"', client.get(url).text)
        assert found, f"no next page after {url}"
        url = found.group(1).replace("&amp;", "&")
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--db", type=Path, help="reuse (or create) this database file")
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "pages.db"
        if not path.exists():
            build(path, args.claims)
        if args.build_only:
            return
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)  # a newer migration (an index) on a kept database
        claims = int(engine.connect().execute(select(CLAIMS.c.id).order_by(CLAIMS.c.id.desc())).scalar() or 0)
        rt = replace(build_runtime(), clock=lambda: NOW)
        settings = Settings(secret_key="bench-secret-" + "x" * 20, database_url=f"sqlite:///{path}")
        app = create_app(settings, engine, rt)
        print(f"{claims:,} claims; {args.repeat} GETs a page after one warm-up; ms")
        print(f"{'page':<52} {'p50':>8} {'p95':>8} {'max':>8} {'p95 target':>11}")
        with TestClient(app):
            # what the scheduler's job does every CLAIMFLOW_DASHBOARD_REFRESH_SECONDS: all the figures,
            # as a dashboard without a recent snapshot would compute them for its view
            started = time.perf_counter()
            with engine.connect() as conn:
                dashboard_cache.refresh(conn, rt)
            refresh_ms = (time.perf_counter() - started) * 1000
            print(f"{'dashboard figures computed (the refresh job, once)':<52} {refresh_ms:>8.0f}")
            for who, pages in cases(engine, claims).items():
                label, _ = who.split("|")
                email = re.search(r"\((.*)\)", label).group(1)  # type: ignore[union-attr]
                client = client_for(app, email)
                pages = [*pages, ("list, page 21 (keyset)", later_page(client, "/claims", 20))]
                print(label)
                for name, url in pages:
                    client.get(url)  # warm: the first GET of a page compiles its templates
                    times = timed(lambda c=client, u=url: c.get(u), args.repeat)  # type: ignore[misc]
                    target = TARGETS["dashboard" if name == "dashboard" else name.split(" ")[0].strip(",")]
                    print(
                        f"  {name:<50} {statistics.median(times):>8.1f} {p95(times):>8.1f} "
                        f"{max(times):>8.1f} {'< ' + format(target, '.0f'):>11}"
                    )
        engine.dispose()


if __name__ == "__main__":
    main()
