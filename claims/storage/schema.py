"""Creating and upgrading the database schema through Alembic migrations."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported where a migration runs: every command-line call asks is_initialised, few migrate

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision` (idempotent: an up-to-date database is left alone)."""
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def is_initialised(engine: Engine) -> bool:
    """Whether the database was ever brought under the migrations (`claimflow init`)."""
    with engine.connect() as conn:
        return inspect(conn).has_table("alembic_version")


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database back to `revision` (a test of a revision's upgrade starts from before it)."""
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


# The timeline is append-only, and the database says so: UPDATE and DELETE on timeline_events are refused
# by a trigger (TRUNCATE, which tests use to empty PostgreSQL, is neither). The revision that builds the
# hash chain creates them; anything that builds the schema another way must run these too.
APPEND_ONLY_SQL: dict[str, tuple[str, ...]] = {
    "sqlite": (
        "CREATE TRIGGER timeline_events_no_update BEFORE UPDATE ON timeline_events BEGIN "
        "SELECT RAISE(ABORT, 'timeline_events is append-only: an event is never updated'); END",
        "CREATE TRIGGER timeline_events_no_delete BEFORE DELETE ON timeline_events BEGIN "
        "SELECT RAISE(ABORT, 'timeline_events is append-only: an event is never deleted'); END",
    ),
    "postgresql": (
        "CREATE FUNCTION timeline_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'timeline_events is append-only: % refused', TG_OP "
        "USING ERRCODE = 'restrict_violation'; END $$",
        "CREATE TRIGGER timeline_events_append_only BEFORE UPDATE OR DELETE ON timeline_events "
        "FOR EACH ROW EXECUTE FUNCTION timeline_events_append_only()",
    ),
}
DROP_APPEND_ONLY_SQL: dict[str, tuple[str, ...]] = {
    "sqlite": (
        "DROP TRIGGER IF EXISTS timeline_events_no_update",
        "DROP TRIGGER IF EXISTS timeline_events_no_delete",
    ),
    "postgresql": (
        "DROP TRIGGER IF EXISTS timeline_events_append_only ON timeline_events",
        "DROP FUNCTION IF EXISTS timeline_events_append_only()",
    ),
}
