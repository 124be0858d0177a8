"""deadlines: the running terms by due moment with their claim, for the claims list's "overdue only"

Revision ID: c3e9a7d1f4b8
Revises: b7d4f2a9c610
Create Date: 2026-12-02 22:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'c3e9a7d1f4b8'
down_revision: str | None = 'b7d4f2a9c610'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_WHERE = "met_at IS NULL AND cancelled_at IS NULL AND paused_at IS NULL"


def upgrade() -> None:
    # the list's filter reads claim ids from the index alone, not each overdue term's row
    op.create_index(
        'ix_deadlines_running_due_claim',
        'deadlines',
        # the NULL-only columns too: SQLite reads an index as covering only when it holds them all
        ['due_at', 'claim_id', 'met_at', 'cancelled_at', 'paused_at'],
        unique=False,
        sqlite_where=sa.text(_WHERE),
        postgresql_where=sa.text(_WHERE),
    )


def downgrade() -> None:
    op.drop_index('ix_deadlines_running_due_claim', table_name='deadlines')
