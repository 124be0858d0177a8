"""search_texts_trigrams: how many texts hold each trigram, for the search to look up the rarest (SQLite)

Revision ID: e6f1a3c8b2d4
Revises: c3e9a7d1f4b8
Create Date: 2026-12-03 12:10:00
"""

from collections.abc import Sequence

from alembic import op

from claims.storage import text_index


revision: str = 'e6f1a3c8b2d4'
down_revision: str | None = 'c3e9a7d1f4b8'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # empty: the scheduler counts (claims.storage.text_counts); until then every trigram counts as rare
    text_index.create_trigram_counts(op.get_bind())


def downgrade() -> None:
    text_index.drop_trigram_counts(op.get_bind())
