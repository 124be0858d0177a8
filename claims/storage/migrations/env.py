"""Alembic environment: the connection is handed in by claims.storage.schema (or built from the URL)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import claims.storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from claims.storage import text_index
from claims.storage.db import make_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds the table
        compare_type=True,
        # the text index is built per dialect by its revision; the models do not describe it
        include_name=text_index.is_searched_by_models,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
