"""complaints: a claim's complaints (klachtbehandeling, Kifid) and the policy's turnover band

Revision ID: a8c3e5f7b9d1
Revises: f4b7d2c9a1e3
Create Date: 2026-12-08 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import claims.storage.coltypes


revision: str = 'a8c3e5f7b9d1'
down_revision: str | None = 'f4b7d2c9a1e3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('complaints',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('complainant_party_id', sa.Integer(), nullable=False),
    sa.Column('complainant_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('registered_by', sa.Integer(), nullable=False),
    sa.Column('registered_at', claims.storage.coltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('acknowledged_at', claims.storage.coltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('extended_at', claims.storage.coltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('extension_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('answered_at', claims.storage.coltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answer', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(), nullable=True),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], ),
    sa.ForeignKeyConstraint(['complainant_party_id'], ['parties.id'], ),
    sa.ForeignKeyConstraint(['registered_by'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaints_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index('ix_complaints_status', ['status', 'claim_id'], unique=False)

    with op.batch_alter_table('policies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('turnover_band', sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    # plain ALTER TABLE ... DROP COLUMN: a batch copy of policies would drop a table that other tables'
    # foreign keys point at
    op.drop_column('policies', 'turnover_band')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_complaints_status')
        batch_op.drop_index(batch_op.f('ix_complaints_claim_id'))
    op.drop_table('complaints')
