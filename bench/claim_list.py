"""Benchmark: the claims list (keyset pagination, filters, deadline marks) over a million claims.

Run: `make bench` (or `.venv/bin/python -m bench.claim_list --claims 1000000`). Builds a SQLite database
once in a temporary directory, or in --db to be kept and reused (bulk inserts, not the service: this
measures reading; the database's triggers fill the text index as they would for the service), then times
each query shape the list page and GET /api/claims run, as a manager (sees everything) and as a handler
(their team's claims). Each claim has a party (name, contact, e-mail, kenmerk) and an unpaid-fee claim two
invoices, so the free text crosses them. Prints the median and the slowest of several runs in
milliseconds, and the free text beside the floor (an indexed lookup) and its target; asserts nothing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert
from sqlmodel import Session

from bench.bulk import claim_row, finish, policy_row, user_row
from claims.reads.claim_list import ClaimFilter, ClaimPage, search_claims
from claims.storage import text_counts
from claims.storage.db import make_engine
from claims.storage.models import User
from claims.storage.schema import upgrade
from claims.storage.tables import CLAIMS, DEADLINES, INVOICES, PARTIES, POLICIES, USERS

KINDS = ["contract_breach", "data_loss", "late_delivery", "unpaid_fee"]
STATES = ["melding", "dekkingsonderzoek", "expertise", "schadebeperking", "regeling", "gesloten"]
NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BATCH = 20_000
TARGET_MS = 20  # free text that matches almost nothing, at a million claims
# a few parties' contacts are rare names, for the free text to find among a million others
RARE_CONTACT = "mr. drs. Quirijn Zwaluwstaart"
RARE_EVERY = 250_000


def party_row(n: int, claim_id: int, created: datetime) -> dict[str, Any]:
    firm = n % 50_000
    return {
        "claim_id": claim_id,
        "policy_id": None,
        "role": "counsel",
        "name": f"Advocatenkantoor Van Dijk {firm}",
        "kvk": "",
        "attention": RARE_CONTACT if n % RARE_EVERY == 0 else f"mr. A. de Boer {n % 90_000}",
        "street": "",
        "postcode": "",
        "city": "",
        "country": "",
        "email": f"post{firm}@advocaten.example",
        "phone": "",
        "reference": f"KM-{n:07d}",
        "channel": "post",
        "iban": "",
        "account_holder": "",
        "copy_insured": False,
        "invented": True,
        "note": "",
        "created_at": created,
        "updated_at": created,
    }


def invoice_row(claim_id: int, k: int) -> dict[str, Any]:
    return {
        "claim_id": claim_id,
        "number": f"F{claim_id:07d}-{k}",
        "amount": Decimal("1250.00"),
        "due_date": date(2026, 6, 30),
        "paid": False,
        "paid_on": None,
        "note": "",
    }


def build(path: Path, claims: int) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    rnd = random.Random(7)
    with engine.begin() as conn:
        conn.execute(
            insert(USERS),
            [user_row(f"h{i}@bench.nl", f"Behandelaar {i}", "handler", f"T{i % 4}", NOW) for i in range(40)]
            + [user_row("m@bench.nl", "Manager", "manager", "T0", NOW)],
        )
        conn.execute(
            insert(POLICIES), [policy_row(f"BAV-{i:06d}", f"ICT Bedrijf {i} B.V.") for i in range(20_000)]
        )
    start = time.perf_counter()
    for first in range(0, claims, BATCH):
        rows: list[dict[str, Any]] = []
        deadlines: list[dict[str, Any]] = []
        party_rows: list[dict[str, Any]] = []
        invoice_rows: list[dict[str, Any]] = []
        for n in range(first + 1, min(first + BATCH, claims) + 1):
            created = NOW - timedelta(minutes=claims - n)
            state = rnd.choice(STATES)
            kind = rnd.choice(KINDS)
            party_rows.append(party_row(n, n, created))
            if kind == "unpaid_fee":
                invoice_rows.extend(invoice_row(n, k) for k in (1, 2))
            rows.append(
                claim_row(
                    n,
                    created=created,
                    kind=kind,
                    state=state,
                    policy_id=rnd.randint(1, 20_000),
                    handler_id=rnd.randint(1, 40),
                    claimant=f"Opdrachtgever {rnd.randint(1, 200_000)} B.V.",
                    amount_claimed=Decimal(rnd.randint(1, 5_000) * 100),
                    closed_at=created if state == "gesloten" else None,
                )
            )
            if state != "gesloten":
                # about 2% overdue, the rest due within the coming months
                due = (
                    NOW - timedelta(days=1)
                    if rnd.random() < 0.02
                    else NOW + timedelta(days=rnd.randint(1, 90))
                )
                deadlines.append(
                    {
                        "claim_id": n,
                        "name": "d",
                        "label": "Termijn",
                        "state": state,
                        "scope": "state",
                        "responsible": "handler",
                        "met_by": "x",
                        "started_at": created,
                        "due_at": due,
                    }
                )
        with engine.begin() as conn:
            conn.execute(insert(CLAIMS), rows)
            if deadlines:
                conn.execute(insert(DEADLINES), deadlines)
            conn.execute(insert(PARTIES), party_rows)
            if invoice_rows:
                conn.execute(insert(INVOICES), invoice_rows)
    finish(engine)
    print(f"built {claims:,} claims in {time.perf_counter() - start:.0f} s")
    return engine


FLOOR = "q = schadenummer (indexed lookup, floor)"
RARE = (
    "q = rare claimant (5 claims)",
    "q = rare party contact (4 claims)",
    "q = text in no claim",
    "q = rare party contact, handler's team",
)


def timed(run: Callable[[], Any], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        run()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--db", type=Path, help="reuse (or create) this database file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "list.db"
        if path.exists():
            engine = make_engine(f"sqlite:///{path}")
            upgrade(engine)  # a database built before a newer migration
        else:
            engine = build(path, args.claims)
        # the search's statistics, as the scheduler counts them (claims.storage.text_counts)
        started = time.perf_counter()
        text_counts.refresh(engine)
        print(f"trigram counts of the text index: {time.perf_counter() - started:.1f} s")
        with Session(engine) as s:
            manager = s.get(User, 41)
            handler = s.get(User, 1)
            assert manager is not None and handler is not None
            conn = s.connection()

            def page(user: User, f: ClaimFilter, cursor: str | None = None) -> ClaimPage:
                return search_claims(conn, user, f, NOW, cursor=cursor, limit=50)

            deep_newest = _cursor_after(page, manager, ClaimFilter(), pages=200)
            deep_amount = _cursor_after(page, manager, ClaimFilter(sort="bedrag_hoog"), pages=200)
            cases: list[tuple[str, Callable[[], Any]]] = [
                ("first page, newest first (manager)", lambda: page(manager, ClaimFilter())),
                ("page 201, newest first (keyset)", lambda: page(manager, ClaimFilter(), deep_newest)),
                ("first page, highest amount", lambda: page(manager, ClaimFilter(sort="bedrag_hoog"))),
                (
                    "page 201, highest amount (keyset)",
                    lambda: page(manager, ClaimFilter(sort="bedrag_hoog"), deep_amount),
                ),
                ("kind = unpaid_fee", lambda: page(manager, ClaimFilter(kind="unpaid_fee"))),
                ("state = regeling", lambda: page(manager, ClaimFilter(state="regeling"))),
                ("handler = h7", lambda: page(manager, ClaimFilter(handler="h7@bench.nl"))),
                ("overdue only", lambda: page(manager, ClaimFilter(overdue=True))),
                (
                    "overdue + kind + state",
                    lambda: page(manager, ClaimFilter(overdue=True, kind="data_loss", state="expertise")),
                ),
                (FLOOR, lambda: page(manager, ClaimFilter(q="CF-2026-0500000"))),
                ("q = invoice number (exact)", lambda: page(manager, ClaimFilter(q="F0500001-1"))),
                ("q = party kenmerk (exact)", lambda: page(manager, ClaimFilter(q="KM-0500000"))),
                (RARE[0], lambda: page(manager, ClaimFilter(q="Opdrachtgever 199999 "))),
                (RARE[1], lambda: page(manager, ClaimFilter(q="zwaluwstaart"))),
                (RARE[2], lambda: page(manager, ClaimFilter(q="Kwikstaartje"))),
                (RARE[3], lambda: page(handler, ClaimFilter(q="zwaluwstaart"))),
                ("q = short term (identifiers only)", lambda: page(manager, ClaimFilter(q="12"))),
                ("q = insured name (common)", lambda: page(manager, ClaimFilter(q="ICT Bedrijf 12"))),
                ("q = party firm (common)", lambda: page(manager, ClaimFilter(q="van dijk 4"))),
                ("q = in every claim", lambda: page(manager, ClaimFilter(q="opdrachtgever"))),
                ("handler's team view, first page", lambda: page(handler, ClaimFilter())),
            ]
            print(f"{'query (50 rows a page)':<44} {'median ms':>10} {'max ms':>9}")
            medians = {}
            for name, run in cases:
                median, worst = timed(run, args.repeat)
                medians[name] = median
                print(f"{name:<44} {median:>10.1f} {worst:>9.1f}")
            floor = medians[FLOOR]
            print(f"\nfree text matching almost nothing, {args.claims:,} claims (target < {TARGET_MS} ms):")
            for name in RARE:
                verdict = "meets" if medians[name] < TARGET_MS else "MISSES"
                print(f"  {name:<42} {medians[name]:>8.1f} ms  {verdict} the target; floor {floor:.1f} ms")
        engine.dispose()


def _cursor_after(page: Callable[..., ClaimPage], user: User, f: ClaimFilter, pages: int) -> str:
    cursor = None
    for _ in range(pages):
        cursor = page(user, f, cursor).next_cursor
        assert cursor
    assert cursor is not None
    return cursor


if __name__ == "__main__":
    main()
