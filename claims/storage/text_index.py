"""The claim list's text index, as the database keeps it: the DDL that builds it on each dialect.

Free text is matched as a substring, case-insensitively, through trigrams, so a rare term is found
without reading the claims:
- SQLite: an FTS5 table `search_texts` (trigram tokenizer) holding each searched text once, filled and
  kept current by triggers on claims, policies and parties, in the transaction of the write itself.
- PostgreSQL: pg_trgm GIN indexes on the searched columns themselves (an index is always current) and a
  view `search_texts` of the same shape over them, so the claim list's query is the same on both.

Searched as text: a claim's claimant, a policy's insured, a claim party's name, contact (t.a.v.) and
e-mail address. Identifiers (kenmerk, polis-, factuurnummer) stay exact lookups by their own indexes.

Case is folded the same way on both: SQLite's trigram tokenizer folds Unicode case; PostgreSQL folds
with `claim_search_fold` (lower() under ICU's root collation, so É is é whatever the database's locale;
a server built without ICU falls back to the locale's lower()). Diacritics are kept: "Jose" does not
find "José", as before.

Anything that rebuilds claims, policies or parties on SQLite (a batch migration copies the table and
drops the old one, and its triggers with it) must run SQLITE_TRIGGERS again; on PostgreSQL a migration
that alters a searched column drops and recreates the view (VIEW_SQL).
"""

from __future__ import annotations

from sqlalchemy import Connection

TABLE = "search_texts"

# SQLite: one row per searched text; its rowid says where the text comes from (id * 5 + slot), so a
# trigger finds the row to change without a lookup.
CLAIM, POLICY, PARTY_NAME, PARTY_CONTACT, PARTY_EMAIL = range(5)
SLOTS = 5

# SQLite: how many texts hold each trigram, for the search to look a term up by its rarest ones
# (claims.storage.text_counts); a planner's statistics, filled by the scheduler, not by the triggers.
TRIGRAMS = f"{TABLE}_trigrams"
SQLITE_TRIGRAMS_TABLE = (
    f"CREATE TABLE {TRIGRAMS} (trigram TEXT PRIMARY KEY, texts INTEGER NOT NULL) WITHOUT ROWID"
)

SQLITE_TABLE = (
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5("
    "text, claim_id UNINDEXED, policy_id UNINDEXED, tokenize = 'trigram')"
)


def _party_rows(row: str) -> str:
    """INSERT statements for a party's searched texts (`row`: new), only for a party of a claim."""
    rows = []
    for slot, column in ((PARTY_NAME, "name"), (PARTY_CONTACT, "attention"), (PARTY_EMAIL, "email")):
        rows.append(
            f"INSERT INTO {TABLE} (rowid, text, claim_id, policy_id) "
            f"SELECT {row}.id * {SLOTS} + {slot}, {row}.{column}, {row}.claim_id, NULL "
            f"WHERE {row}.claim_id IS NOT NULL AND {row}.{column} <> ''; "
        )
    return "".join(rows)


_PARTY_ROWIDS = ", ".join(f"old.id * {SLOTS} + {slot}" for slot in (PARTY_NAME, PARTY_CONTACT, PARTY_EMAIL))

SQLITE_TRIGGERS: tuple[str, ...] = (
    f"CREATE TRIGGER claims_search_insert AFTER INSERT ON claims BEGIN "
    f"INSERT INTO {TABLE} (rowid, text, claim_id, policy_id) "
    f"VALUES (new.id * {SLOTS} + {CLAIM}, new.claimant, new.id, NULL); END",
    f"CREATE TRIGGER claims_search_update AFTER UPDATE OF claimant ON claims BEGIN "
    f"UPDATE {TABLE} SET text = new.claimant WHERE rowid = new.id * {SLOTS} + {CLAIM}; END",
    f"CREATE TRIGGER claims_search_delete AFTER DELETE ON claims BEGIN "
    f"DELETE FROM {TABLE} WHERE rowid = old.id * {SLOTS} + {CLAIM}; END",
    f"CREATE TRIGGER policies_search_insert AFTER INSERT ON policies BEGIN "
    f"INSERT INTO {TABLE} (rowid, text, claim_id, policy_id) "
    f"VALUES (new.id * {SLOTS} + {POLICY}, new.insured, NULL, new.id); END",
    f"CREATE TRIGGER policies_search_update AFTER UPDATE OF insured ON policies BEGIN "
    f"UPDATE {TABLE} SET text = new.insured WHERE rowid = new.id * {SLOTS} + {POLICY}; END",
    f"CREATE TRIGGER policies_search_delete AFTER DELETE ON policies BEGIN "
    f"DELETE FROM {TABLE} WHERE rowid = old.id * {SLOTS} + {POLICY}; END",
    f"CREATE TRIGGER parties_search_insert AFTER INSERT ON parties BEGIN {_party_rows('new')}END",
    f"CREATE TRIGGER parties_search_update AFTER UPDATE OF name, attention, email, claim_id ON parties "
    f"BEGIN DELETE FROM {TABLE} WHERE rowid IN ({_PARTY_ROWIDS}); {_party_rows('new')}END",
    f"CREATE TRIGGER parties_search_delete AFTER DELETE ON parties BEGIN "
    f"DELETE FROM {TABLE} WHERE rowid IN ({_PARTY_ROWIDS}); END",
)
SQLITE_TRIGGER_NAMES = tuple(sql.split()[2] for sql in SQLITE_TRIGGERS)

SQLITE_FILL: tuple[str, ...] = (
    f"INSERT INTO {TABLE} (rowid, text, claim_id, policy_id) "
    f"SELECT id * {SLOTS} + {CLAIM}, claimant, id, NULL FROM claims",
    f"INSERT INTO {TABLE} (rowid, text, claim_id, policy_id) "
    f"SELECT id * {SLOTS} + {POLICY}, insured, NULL, id FROM policies",
    *(
        f"INSERT INTO {TABLE} (rowid, text, claim_id, policy_id) "
        f"SELECT id * {SLOTS} + {slot}, {column}, claim_id, NULL FROM parties "
        f"WHERE claim_id IS NOT NULL AND {column} <> ''"
        for slot, column in ((PARTY_NAME, "name"), (PARTY_CONTACT, "attention"), (PARTY_EMAIL, "email"))
    ),
)

# PostgreSQL: (index, table, column). A policy's own parties are in the view too, with no claim: the
# search asks for claim ids, and a NULL among them finds nothing, so no filter on claim_id is needed
# (one would offer the planner a walk of the claims' primary key instead of the trigram index).
PG_INDEXES: tuple[tuple[str, str, str], ...] = (
    ("ix_claims_claimant_trgm", "claims", "claimant"),
    ("ix_policies_insured_trgm", "policies", "insured"),
    ("ix_parties_name_trgm", "parties", "name"),
    ("ix_parties_attention_trgm", "parties", "attention"),
    ("ix_parties_email_trgm", "parties", "email"),
)
PG_FOLD = "claim_search_fold"

VIEW_SQL = (
    f"CREATE VIEW {TABLE} AS "
    "SELECT claimant AS text, id AS claim_id, NULL::integer AS policy_id FROM claims "
    "UNION ALL SELECT insured, NULL::integer, id FROM policies "
    "UNION ALL SELECT name, claim_id, NULL::integer FROM parties "
    "UNION ALL SELECT attention, claim_id, NULL::integer FROM parties "
    "UNION ALL SELECT email, claim_id, NULL::integer FROM parties"
)


def _pg_fold_sql(conn: Connection) -> str:
    icu = conn.exec_driver_sql("SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'").first()
    # IMMUTABLE, so an index may hold its results; a simple SQL body, so the planner inlines it alike
    # in the index and in the query
    folded = 'lower($1 COLLATE "und-x-icu")' if icu else "lower($1)"
    return (
        f"CREATE FUNCTION {PG_FOLD}(text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE "
        f"AS $$ SELECT {folded} $$"
    )


def create(conn: Connection) -> None:
    """Build the index over the rows there are, and what keeps it current."""
    if conn.dialect.name == "sqlite":
        for sql in (SQLITE_TABLE, *SQLITE_FILL, *SQLITE_TRIGGERS):
            conn.exec_driver_sql(sql)
        return
    conn.exec_driver_sql("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    conn.exec_driver_sql(_pg_fold_sql(conn))
    for name, table, column in PG_INDEXES:
        conn.exec_driver_sql(f"CREATE INDEX {name} ON {table} USING gin ({PG_FOLD}({column}) gin_trgm_ops)")
    conn.exec_driver_sql(VIEW_SQL)


def drop(conn: Connection) -> None:
    """Remove the index and its triggers (the pg_trgm extension stays: others may use it)."""
    if conn.dialect.name == "sqlite":
        for name in SQLITE_TRIGGER_NAMES:
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name}")
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")
        return
    conn.exec_driver_sql(f"DROP VIEW IF EXISTS {TABLE}")
    for name, _table, _column in PG_INDEXES:
        conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {PG_FOLD}(text)")


def create_trigram_counts(conn: Connection) -> None:
    """The table of trigram counts (SQLite; PostgreSQL's planner keeps its own statistics)."""
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(SQLITE_TRIGRAMS_TABLE)


def drop_trigram_counts(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {TRIGRAMS}")


def is_searched_by_models(name: str | None, type_: str, parent_names: object = None) -> bool:
    """Alembic's include_name hook: every schema object but the text index's, which the models do not
    describe (the FTS5 table and its shadow tables, the trigram indexes), so autogenerate and the
    comparison with the models leave them alone."""
    if name is None:
        return True
    if type_ == "table":
        return not (name == TABLE or name.startswith(TABLE + "_"))
    if type_ == "index":
        return name not in {index for index, _table, _column in PG_INDEXES}
    return True
