"""dashboard_snapshots: the dashboard's figures computed by the scheduler, with their moment

Revision ID: b7d4f2a9c610
Revises: b4d7f2a9c6e1
Create Date: 2026-12-02 21:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import claims.storage.coltypes


revision: str = 'b7d4f2a9c610'
down_revision: str | None = 'b4d7f2a9c6e1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'dashboard_snapshots',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('computed_at', claims.storage.coltypes.UTCDateTime(timezone=True), nullable=False),
        sa.Column('took_ms', sa.Integer(), nullable=False),
        sa.Column('figures', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        op.f('ix_dashboard_snapshots_computed_at'), 'dashboard_snapshots', ['computed_at'], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_dashboard_snapshots_computed_at'), table_name='dashboard_snapshots')
    op.drop_table('dashboard_snapshots')
