"""deadlines: what a term counts from, the rule that made its due moment, pauses (opschorting)

Revision ID: a8c3e1f5d902
Revises: a8c3e5f7b9d1
Create Date: 2026-12-02 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import claims.storage.coltypes


revision: str = 'a8c3e1f5d902'
down_revision: str | None = 'a8c3e5f7b9d1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('counted_from', claims.storage.coltypes.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('due_rule', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('paused_at', claims.storage.coltypes.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('pauses', sa.Integer(), nullable=False, server_default='0'))
    # a term opened before this revision counted from when it was started: say so rather than nothing
    op.execute("UPDATE deadlines SET counted_from = started_at WHERE counted_from IS NULL")


def downgrade() -> None:
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_column('pauses')
        batch_op.drop_column('paused_at')
        batch_op.drop_column('due_rule')
        batch_op.drop_column('counted_from')
