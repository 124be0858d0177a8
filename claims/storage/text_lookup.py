"""Which claims contain a term, looked up before the claims list asks for its page (SQLite).

FTS5 finds a phrase by reading the lists of all its trigrams side by side, so a rare term made of
common trigrams ("Opdrachtgever 199999": each of "opd", "pdr", ... is in every claim) costs a pass over
those lists. So the term is looked up by its rarest part (the trigrams counted in fewest texts,
claims.storage.text_counts, taken as the runs of the term they form: "199999"), and the few texts that
part finds are checked for the whole term. A term in too many texts to list them all ("opdrachtgever")
is not listed: the claims list then tests each claim it walks past in its own order
(claims.storage.text_search.walked), and stops at its page's last row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Connection, text

from claims.storage import text_counts
from claims.storage.text_fold import fold
from claims.storage.text_index import (
    CLAIM,
    PARTY_CONTACT,
    PARTY_EMAIL,
    PARTY_NAME,
    POLICY,
    SLOTS,
    TABLE,
)

# Texts (or claims, through their policy) listed by id at most; a term in more is walked instead.
# Listing costs about a microsecond a claim, walking some ten a claim passed: at a million claims the
# two meet at some twenty thousand.
LISTED_MAX = 20_000
# Index entries the lookup by part of a term reads at most: its trigrams are taken rarest first up to
# this (at least one), the rest of the term is checked on the texts found.
PART_BUDGET = 100_000
# Texts found by part of a term that are read to check them for the whole (a few microseconds each);
# with more, the index is asked for the whole term instead.
CHECKED_MAX = 2_000
# Texts containing a whole term counted first; if they lie close together, the rest are not counted.
SAMPLE = 1_000


@dataclass(frozen=True)
class Listed:
    """The claims containing the term: by their own texts, their parties', their policy's insured."""

    claim_ids: tuple[int, ...]
    party_ids: tuple[int, ...]
    policy_ids: tuple[int, ...]


@dataclass(frozen=True)
class Walked:
    """The term is in too many texts to list: test each claim (its folded form, as the index folds)."""

    folded: str


Found = Listed | Walked


def lookup(conn: Connection, term: str) -> Found:
    """Where the claims containing `term` (searchable: claims.storage.text_search.searchable) are."""
    folded = fold(term)
    grams = [folded[i : i + 3] for i in range(len(folded) - 2)]
    counts = text_counts.counted(conn, grams)
    rowids = None
    if min(counts.get(g, 0) for g in grams) <= LISTED_MAX:
        runs = _rarest_runs(grams, counts)
        if runs != [(0, len(grams) - 1)]:
            rowids = _by_part(conn, term, folded, runs)
    if rowids is None:
        rowids = _by_whole_term(conn, term)
    if rowids is None:
        return Walked(folded)
    listed = _listed(rowids)
    return Walked(folded) if _too_many_claims(conn, listed) else listed


def _phrase(part: str) -> str:
    # a phrase of FTS5's trigram tokenizer matches as a substring; quotes are doubled inside it
    return '"' + part.replace('"', '""') + '"'


def _rarest_runs(grams: list[str], counts: dict[str, int]) -> list[tuple[int, int]]:
    """The runs of positions (first, last) of the trigrams taken, rarest first, within PART_BUDGET."""
    taken: set[str] = set()
    spent = 0
    for gram in sorted(set(grams), key=lambda g: (counts.get(g, 0), g)):
        n = counts.get(gram, 0)
        if taken and spent + n > PART_BUDGET:
            break
        taken.add(gram)
        spent += n
    runs: list[tuple[int, int]] = []
    for i, gram in enumerate(grams):
        if gram not in taken:
            continue
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs


def _first(conn: Connection, query: str, most: int) -> list[int]:
    """The rowids of the first `most` + 1 texts matching `query`, in rowid order. Rowids alone: FTS5
    then reads its index and not the texts."""
    return list(
        conn.execute(
            text(f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH :q LIMIT :n"), {"q": query, "n": most + 1}
        ).scalars()
    )


def _matching(conn: Connection, query: str, most: int) -> list[int] | None:
    """The rowids of the texts matching `query`, or None if more than `most` do."""
    rowids = _first(conn, query, most)
    return None if len(rowids) > most else rowids


def _by_whole_term(conn: Connection, term: str) -> list[int] | None:
    """The texts containing `term`, or None if more than LISTED_MAX do. Most terms in that many are
    in far more ("opdrachtgever": in every claim), and the index finds them in rowid order: a first
    SAMPLE and a last that each span a small part of the rowids say so without counting on to
    LISTED_MAX. Both ends: texts that are all old (a former insured's name) are dense at the low end
    only, and walking the claims newest first would pass almost every claim before finding them."""
    phrase = _phrase(term)
    sample = _first(conn, phrase, SAMPLE)
    if len(sample) <= SAMPLE:
        return sample
    last = conn.execute(text(f"SELECT max(rowid) FROM {TABLE}")).scalar_one()
    if SAMPLE * last / sample[-1] > 4 * LISTED_MAX:
        newest = conn.execute(
            text(f"SELECT rowid FROM {TABLE} WHERE {TABLE} MATCH :q ORDER BY rowid DESC LIMIT 1 OFFSET :n"),
            {"q": phrase, "n": SAMPLE},
        ).scalar_one()
        if SAMPLE * last / max(last - newest, 1) > 4 * LISTED_MAX:
            return None
    return _matching(conn, phrase, LISTED_MAX)


def _by_part(conn: Connection, term: str, folded: str, runs: list[tuple[int, int]]) -> list[int] | None:
    """The texts containing `term`, found by the runs of its rarest trigrams and checked for the whole
    term; None if the runs find too many to check."""
    candidates = _matching(conn, " AND ".join(_phrase(term[a : b + 3]) for a, b in runs), CHECKED_MAX)
    if candidates is None:
        return None
    texts = conn.execute(
        text(f"SELECT rowid, text FROM {TABLE} WHERE rowid IN (SELECT value FROM json_each(:ids))"),
        {"ids": json.dumps(candidates)},
    ).all()
    return [rowid for rowid, value in texts if folded in fold(value)]


def _listed(rowids: list[int]) -> Listed:
    # a text's rowid says where it comes from (claims.storage.text_index): id * SLOTS + slot
    by_slot: dict[int, set[int]] = {CLAIM: set(), POLICY: set(), PARTY_NAME: set()}
    for rowid in rowids:
        source, slot = divmod(rowid, SLOTS)
        by_slot[PARTY_NAME if slot in (PARTY_CONTACT, PARTY_EMAIL) else slot].add(source)
    return Listed(
        claim_ids=tuple(sorted(by_slot[CLAIM])),
        party_ids=tuple(sorted(by_slot[PARTY_NAME])),
        policy_ids=tuple(sorted(by_slot[POLICY])),
    )


def _too_many_claims(conn: Connection, listed: Listed) -> bool:
    """Whether the claims found, through their own texts, their parties' and their policies', are more
    than LISTED_MAX (a party is of one claim)."""
    room = LISTED_MAX - len(listed.claim_ids) - len(listed.party_ids)
    if not listed.policy_ids or room < 0:
        return room < 0
    through_policies = conn.execute(
        text(
            "SELECT count(*) FROM (SELECT 1 FROM claims WHERE policy_id IN "
            "(SELECT value FROM json_each(:ids)) LIMIT :n)"
        ),
        {"ids": json.dumps(listed.policy_ids), "n": room + 1},
    ).scalar_one()
    return bool(through_policies > room)
