"""Free text found through the text index (claims.storage.text_index): the ids of the claims whose
claimant, insured or parties (name, contact, e-mail) contain a term, without reading the claims."""

from __future__ import annotations

import json
import re
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    bindparam,
    exists,
    func,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from claims.storage.like import ESCAPE, containing
from claims.storage.tables import CLAIMS, PARTIES, POLICIES
from claims.storage.text_index import PG_FOLD, TABLE
from claims.storage.text_lookup import Listed

# Not in SQLModel's metadata: the models do not describe it, the migration builds it per dialect.
SEARCH_TEXTS = Table(
    TABLE, MetaData(), Column("text", String), Column("claim_id", Integer), Column("policy_id", Integer)
)

# A trigram index finds a term by its runs of three letters or digits: PostgreSQL's pg_trgm makes
# trigrams of those alone (of ASCII ones, under the C locale), so a term without one would read the
# whole index. Such a term is not searched as text, on either database alike.
_TRIGRAM = re.compile(r"[0-9A-Za-z]{3}")


def searchable(term: str) -> bool:
    """Whether `term` can be looked up in the text index (it has three ASCII letters or digits in a
    row); a shorter one is only matched exactly against the identifiers."""
    return _TRIGRAM.search(term) is not None


class _Contains(ColumnElement[bool]):
    """SEARCH_TEXTS.text contains the term, case-insensitively, found by the dialect's trigram index.
    It carries the term as each dialect binds it; each dialect renders its own."""

    type = Boolean()
    inherit_cache = True
    _is_implicitly_boolean = True  # a condition of its own, not a value to compare with true
    _traverse_internals = [  # noqa: RUF012  (SQLAlchemy reads it as declared on its classes)
        ("phrase", InternalTraversal.dp_clauseelement),
        ("pattern", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, term: str) -> None:
        # a phrase of FTS5's trigram tokenizer matches as a substring; quotes are doubled inside it and
        # nothing else (%, _, *, -) is special there
        self.phrase = bindparam(None, '"' + term.replace('"', '""') + '"', type_=String, unique=True)
        self.pattern = bindparam(None, containing(term), type_=String, unique=True)


@compiles(_Contains, "sqlite")
def _fts5_match(element: _Contains, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.preparer.quote(TABLE)} MATCH {compiler.process(element.phrase, **kw)}"


@compiles(_Contains)
def _trigram_like(element: _Contains, compiler: SQLCompiler, **kw: Any) -> str:
    column = compiler.process(SEARCH_TEXTS.c.text, **kw)
    escape = compiler.render_literal_value(ESCAPE, String())
    pattern = compiler.process(element.pattern, **kw)
    return f"{PG_FOLD}({column}) LIKE {PG_FOLD}({pattern}) ESCAPE {escape}"


def claims_containing(term: str) -> tuple[Select[Any], ...]:
    """Selects of the ids of the claims whose claimant, insured or one of whose parties (name, contact,
    e-mail) contains `term` (which must be searchable), for a union with other lookups."""
    contains = _Contains(term)
    # The claims' leg needs no filter on claim_id: a row of a policy answers NULL, which IN never
    # matches, and a filter would offer PostgreSQL a walk of the claims' primary key. The policies'
    # leg does: on PostgreSQL it leaves the view's policies alone, so the planner expects the few
    # policies there are rather than a NULL for every claim and party (and reads all claims to join).
    insured = select(SEARCH_TEXTS.c.policy_id).where(contains, SEARCH_TEXTS.c.policy_id.is_not(None))
    return (
        select(SEARCH_TEXTS.c.claim_id).where(contains),
        select(CLAIMS.c.id).where(CLAIMS.c.policy_id.in_(insured)),
    )


def claims_found(found: Listed) -> tuple[Select[Any], ...]:
    """Selects of the ids of the claims claims.storage.text_lookup listed, for a union with other
    lookups (SQLite: the ids travel as one JSON array)."""
    claim_ids = _json_ids(found.claim_ids)
    party_ids = _json_ids(found.party_ids)
    policy_ids = _json_ids(found.policy_ids)
    return (
        select(claim_ids.c.value),
        select(PARTIES.c.claim_id).where(PARTIES.c.id.in_(select(party_ids.c.value))),
        select(CLAIMS.c.id).where(CLAIMS.c.policy_id.in_(select(policy_ids.c.value))),
    )


def _json_ids(ids: tuple[int, ...]) -> Any:
    return func.json_each(bindparam(None, json.dumps(ids), type_=String)).table_valued("value")


def walked(folded: str) -> ColumnElement[bool]:
    """A claim (of the query's CLAIMS) whose claimant, insured or one of whose parties (name, contact,
    e-mail) contains the term, tested on the claim's own rows with the index's folding (SQLite's
    function claim_search_contains, claims.storage.text_fold): for a term in too many texts to list."""
    policy = POLICIES.alias("searched_policy")
    party = PARTIES.alias("searched_party")

    def contains(column: Any) -> ColumnElement[bool]:
        return func.claim_search_contains(column, bindparam(None, folded, type_=String), type_=Boolean)

    return or_(
        contains(CLAIMS.c.claimant),
        exists().where(policy.c.id == CLAIMS.c.policy_id, contains(policy.c.insured)),
        exists().where(
            party.c.claim_id == CLAIMS.c.id,
            or_(contains(party.c.name), contains(party.c.attention), contains(party.c.email)),
        ),
    )
