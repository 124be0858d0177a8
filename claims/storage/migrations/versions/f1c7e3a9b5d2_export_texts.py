"""export_texts: each claim's portfolio CSV rows as text, under the digest of what they were built from

Revision ID: f1c7e3a9b5d2
Revises: e6f1a3c8b2d4
Create Date: 2026-12-04 01:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import claims.storage.coltypes


revision: str = 'f1c7e3a9b5d2'
down_revision: str | None = 'e6f1a3c8b2d4'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # empty: the scheduler's refresh fills it (claims.exports.row_texts); until then exports build rows
    op.create_table(
        'export_texts',
        sa.Column('claim_id', sa.Integer(), nullable=False),
        sa.Column('digest', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('context', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('head_event_id', sa.Integer(), nullable=False),
        sa.Column('users', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('text', sa.LargeBinary(), nullable=False),
        sa.Column('built_at', claims.storage.coltypes.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['claim_id'], ['claims.id']),
        sa.PrimaryKeyConstraint('claim_id'),
    )


def downgrade() -> None:
    op.drop_table('export_texts')
