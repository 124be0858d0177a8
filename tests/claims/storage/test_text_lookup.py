"""The claim list's lookup of free text on SQLite (claims.storage.text_lookup): by a term's rarest part,
by the whole term, or walking the claims, each way finds exactly what the text index finds for the
whole term, and folds case exactly as the index does."""

from __future__ import annotations

import random
import sqlite3

import pytest
from sqlalchemy import Connection, Engine, text
from sqlmodel import Session

from claims.reads.claim_list import ClaimFilter, search_claims
from claims.runtime import Runtime
from claims.service import open_claim
from claims.service.parties import add_party
from claims.storage import text_counts, text_lookup
from claims.storage.repositories import exports
from claims.storage.repositories.claim_list import ClaimCriteria, where
from claims.storage.repositories.claim_list import _listed as listed_query
from claims.storage.tables import CLAIMS
from claims.storage.text_fold import contains, fold
from claims.storage.text_lookup import Listed, Walked
from tests.factories import World, melding

sqlite_only = pytest.mark.parametrize("engine", ["sqlite"], indirect=True)

# characters whose case FTS5 folds otherwise than Python's str.lower(), and some it folds alike
SPECIAL = "µſςϐϑϕϖϰϱϵͅϿԨԪᏀᎠꭰİıẞßǅǄǆΣΆΌﬀＡÅÉéŒœĲĳ"
RANGES = [(0x80, 0x250), (0x370, 0x530), (0x1E00, 0x2000), (0x13A0, 0x1400), (0xFF21, 0xFF5B)]


def test_the_fold_is_the_index_folding() -> None:
    chars = sorted({chr(c) for a, b in RANGES for c in range(a, b)} | set(SPECIAL))
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize = 'trigram')")
    db.executemany("INSERT INTO t (rowid, x) VALUES (?, ?)", [(i, f"x{ch}y") for i, ch in enumerate(chars)])
    wrong = []
    for i, ch in enumerate(chars):
        folded = fold(f"X{ch}Y")
        assert len(folded) == 3 and folded[0] == "x" and folded[2] == "y"
        # the index finds the row by the folded form, and the folded form folds to itself
        found = {r for (r,) in db.execute("SELECT rowid FROM t WHERE t MATCH ?", (f'"{folded}"',))}
        if i not in found or fold(folded) != folded:
            wrong.append(ch)
    assert wrong == []
    assert fold("ΜΑΣ µ ſ") == "μασ μ s"  # not Python's "μας µ ſ"
    assert contains("Café ÉMILE", fold("émile")) and not contains(None, "x") and not contains("Emile", "émi")


def test_a_lone_surrogate_folds_to_itself_and_the_next_fold_still_works() -> None:
    # a surrogate cannot be sent to SQLite: it once failed the probe halfway and left its rows behind,
    # so every later fold of a new character failed
    assert fold("a\udc80Ж") == "a\udc80ж"
    assert fold("Ǆ\ud800") == "ǆ\ud800"
    assert fold("ПРОБА Ђ") == "проба ђ"


NAMES = [
    "Opdrachtgever {n} B.V.",
    "Bakkerij {n} Pietersen",
    "Café Émile {n}",
    "ΣΟΦΙΑ Ltd {n}",
    "Web_Shop {n} Noord",
    "Korting 50% {n}",
]
TERMS = [
    "opdrachtgever",
    "Opdrachtgever 17",
    "Opdrachtgever 171",
    "ever 1",
    "bakkerij 2",
    "pietersen",
    "ÉMILE 3",
    "émile",
    "σοφια ltd",
    "ΣΟΦΙΑ LTD 2",
    "web_shop 4",
    "ting 50% 5",
    "advocaten",
    "Kwikstaart",
    "ict b",
    "1 B.V.",
    "mr. de boer 7",
    "zzz",
]


@pytest.fixture
def desk(engine: Engine, rt: Runtime, world: World) -> None:
    """Some 120 claims with names alike and apart, half with a counsel."""
    rnd = random.Random(4)
    with Session(engine, expire_on_commit=False) as s:
        for n in range(120):
            claimant = rnd.choice(NAMES).format(n=rnd.randint(1, 400))
            ref = open_claim(s, rt, melding("contract_breach", claimant=claimant), world.handler).reference
            if n % 2:
                counsel = {
                    "role": "counsel",
                    "name": f"Advocaten {rnd.randint(1, 60)}",
                    "attention": f"mr. de Boer {rnd.randint(1, 90)}",
                }
                add_party(s, rt, ref, counsel, world.handler)


def _index_finds(engine: Engine, term: str) -> list[str]:
    """What the text index finds for the whole term: the list's query with no lookup before it."""
    query = where(listed_query(), ClaimCriteria(text=term)).order_by(CLAIMS.c.id)
    with engine.connect() as conn:
        return sorted(row.reference for row in conn.execute(query))


def _list_finds(engine: Engine, world: World, rt: Runtime, term: str) -> list[str]:
    with Session(engine) as s:
        page = search_claims(s.connection(), world.manager, ClaimFilter(q=term), rt.clock(), limit=200)
    return sorted(item.reference for item in page.items)


def _looked_up(engine: Engine, term: str) -> text_lookup.Found:
    with engine.connect() as conn:
        return text_lookup.lookup(conn, term)


@sqlite_only
def test_each_way_of_looking_up_finds_what_the_index_finds(
    engine: Engine, rt: Runtime, world: World, desk: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = {term: _index_finds(engine, term) for term in TERMS}
    assert expected["opdrachtgever"] and expected["émile"] and expected["σοφια ltd"] and not expected["zzz"]

    # no counts yet: every trigram counts as rare, the whole term is looked up
    assert {t: _list_finds(engine, world, rt, t) for t in TERMS} == expected

    # counted: a term is looked up by its rarest part, and what that finds is checked
    text_counts.refresh(engine)
    monkeypatch.setattr(text_lookup, "PART_BUDGET", 1)
    assert isinstance(_looked_up(engine, "Opdrachtgever 171"), Listed)
    assert {t: _list_finds(engine, world, rt, t) for t in TERMS} == expected

    # too many found by part to check, or by the whole term to list: walked, claim by claim
    monkeypatch.setattr(text_lookup, "CHECKED_MAX", 0)
    monkeypatch.setattr(text_lookup, "LISTED_MAX", 0)
    assert isinstance(_looked_up(engine, "opdrachtgever"), Walked)
    assert {t: _list_finds(engine, world, rt, t) for t in TERMS} == expected

    # a first sample of the whole term spread thin: counted on to the end, and listed
    monkeypatch.setattr(text_lookup, "LISTED_MAX", 10_000)
    monkeypatch.setattr(text_lookup, "SAMPLE", 2)
    assert isinstance(_looked_up(engine, "opdrachtgever"), Listed)
    assert {t: _list_finds(engine, world, rt, t) for t in TERMS} == expected


@sqlite_only
def test_a_rare_part_is_looked_up_and_the_rest_checked(
    engine: Engine, rt: Runtime, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(engine, expire_on_commit=False) as s:
        refs = [
            open_claim(s, rt, melding("contract_breach", claimant=name), world.handler).reference
            for name in ("Opdrachtgever 199999 B.V.", "Opdrachtgever 1999 B.V.", "Bouwer 199999")
        ]
    text_counts.refresh(engine)
    with engine.connect() as conn:
        counts = text_counts.counted(conn, ["opd", "199", "zzz"])
        assert counts == {"opd": _texts_with(conn, "opd"), "199": _texts_with(conn, "199")}
    assert counts["199"] > counts["opd"] > 0

    monkeypatch.setattr(text_lookup, "PART_BUDGET", 2)  # one trigram: the rarest
    folded = fold("Opdrachtgever 199999")
    grams = [folded[i : i + 3] for i in range(len(folded) - 2)]
    with engine.connect() as conn:
        runs = text_lookup._rarest_runs(grams, text_counts.counted(conn, grams))
    assert runs != [(0, len(grams) - 1)]  # a part, not the whole
    found = _looked_up(engine, "Opdrachtgever 199999")
    assert isinstance(found, Listed) and len(found.claim_ids) == 1
    assert [r.reference for r in _page(engine, world, rt, "Opdrachtgever 199999")] == [refs[0]]
    assert sorted(r.reference for r in _page(engine, world, rt, "199999")) == sorted([refs[0], refs[2]])


@sqlite_only
def test_a_term_only_in_old_claims_is_listed_not_walked(
    engine: Engine, rt: Runtime, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the first texts found lie close together, as for a term in every claim; the last ones found do
    # not: the term is counted on and listed, and the list does not walk every newer claim to reach them
    with Session(engine, expire_on_commit=False) as s:
        old = [
            open_claim(s, rt, melding("contract_breach", claimant=f"Kwikstaart Oud {n}"), world.handler)
            for n in range(5)
        ]
        for n in range(60):
            open_claim(s, rt, melding("contract_breach", claimant=f"Bouwer {n}"), world.handler)
    monkeypatch.setattr(text_lookup, "SAMPLE", 2)
    monkeypatch.setattr(text_lookup, "LISTED_MAX", 10)
    found = _looked_up(engine, "kwikstaart oud")
    assert isinstance(found, Listed) and len(found.claim_ids) == 5
    assert sorted(r.reference for r in _page(engine, world, rt, "kwikstaart oud")) == sorted(
        c.reference for c in old
    )
    # spread over all the claims, the same sample size still says walk
    monkeypatch.setattr(text_lookup, "LISTED_MAX", 1)
    assert isinstance(_looked_up(engine, "bouwer"), Walked)


def _page(engine: Engine, world: World, rt: Runtime, term: str) -> list[object]:
    with Session(engine) as s:
        return list(search_claims(s.connection(), world.manager, ClaimFilter(q=term), rt.clock()).items)


@sqlite_only
def test_counts_follow_the_texts_when_counted_again(engine: Engine, rt: Runtime, world: World) -> None:
    with Session(engine, expire_on_commit=False) as s:
        ref = open_claim(s, rt, melding("contract_breach", claimant="Qwzx Advies"), world.handler).reference
    text_counts.refresh(engine)
    with engine.connect() as conn:
        before = _texts_with(conn, "qwz")
        assert before > 0 and text_counts.counted(conn, ["qwz", "ndr"]) == {"qwz": before}
    with engine.begin() as conn:
        conn.execute(CLAIMS.update().where(CLAIMS.c.reference == ref).values(claimant="Andriessen B.V."))
    with engine.connect() as conn:
        assert text_counts.counted(conn, ["qwz", "ndr"]) == {"qwz": before}  # until counted again
    text_counts.refresh(engine)
    with engine.connect() as conn:
        after = {"ndr": _texts_with(conn, "ndr")}
        if _texts_with(conn, "qwz"):
            after["qwz"] = _texts_with(conn, "qwz")
        assert after["ndr"] == 1 and after.get("qwz", 0) == before - 1
        assert text_counts.counted(conn, ["qwz", "ndr"]) == after


def _texts_with(conn: Connection, gram: str) -> int:
    return int(
        conn.execute(
            text("SELECT count(*) FROM search_texts WHERE search_texts MATCH :q"), {"q": f'"{gram}"'}
        ).scalar_one()
    )


@sqlite_only
def test_an_export_finds_by_its_text_what_the_index_finds(
    engine: Engine, desk: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def exported(term: str) -> tuple[list[str], int]:
        with engine.connect() as conn:
            rows, after = [], 0
            while chunk := exports.facts_after(conn, ClaimCriteria(text=term), after, 7):
                rows.extend(r.reference for r in chunk)
                after = chunk[-1].id
            return sorted(rows), exports.counts(conn, ClaimCriteria(text=term)).claims

    expected = {term: _index_finds(engine, term) for term in TERMS}
    text_counts.refresh(engine)
    for limits in ({}, {"LISTED_MAX": 0, "CHECKED_MAX": 0}, {"PART_BUDGET": 1}):
        for name, value in limits.items():
            monkeypatch.setattr(text_lookup, name, value)
        found = {term: exported(term) for term in TERMS}
        assert found == {term: (refs, len(refs)) for term, refs in expected.items()}, limits
