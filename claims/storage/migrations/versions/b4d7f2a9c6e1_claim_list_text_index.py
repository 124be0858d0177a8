"""search_texts: the claim list's free text through a trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL)

Revision ID: b4d7f2a9c6e1
Revises: a8c3e1f5d902
Create Date: 2026-12-02 21:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

from claims.storage import text_index


revision: str = 'b4d7f2a9c6e1'
down_revision: str | None = 'a8c3e1f5d902'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # filled from the rows there are, then kept current by the database in each write's transaction
    text_index.create(op.get_bind())


def downgrade() -> None:
    text_index.drop(op.get_bind())
