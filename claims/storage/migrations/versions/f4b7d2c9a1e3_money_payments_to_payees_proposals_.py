"""money: payments to payees, proposals, policy caps and period, claim series, invoice changes

Revision ID: f4b7d2c9a1e3
Revises: e3a9c4f1b2d6
Create Date: 2026-12-06 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import claims.storage.coltypes


revision: str = 'f4b7d2c9a1e3'
down_revision: str | None = 'e3a9c4f1b2d6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('trigger', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('weighed', sa.JSON(), nullable=False),
    sa.Column('amount', claims.storage.coltypes.Money(), nullable=False),
    sa.Column('reasons', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('proposed_by', sa.Integer(), nullable=False),
    sa.Column('proposed_at', claims.storage.coltypes.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', claims.storage.coltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('comment', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], ),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['proposed_by'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposals_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index('ix_proposals_open', ['status', 'claim_id'], unique=False)

    op.create_table('payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('claim_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('payee_party_id', sa.Integer(), nullable=False),
    sa.Column('payee_name', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('iban', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('account_holder', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('amount', claims.storage.coltypes.Money(), nullable=False),
    sa.Column('parts', sa.JSON(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('proposed_by', sa.Integer(), nullable=False),
    sa.Column('approved_by', sa.Integer(), nullable=True),
    sa.Column('approved_at', claims.storage.coltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('paid_marked_by', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', claims.storage.coltypes.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sqlmodel.sql.sqltypes.AutoString(), nullable=False),
    sa.Column('created_at', claims.storage.coltypes.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['approved_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], ),
    sa.ForeignKeyConstraint(['event_id'], ['timeline_events.id'], ),
    sa.ForeignKeyConstraint(['paid_marked_by'], ['users.id'], ),
    sa.ForeignKeyConstraint(['payee_party_id'], ['parties.id'], ),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], ),
    sa.ForeignKeyConstraint(['proposed_by'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('reference')
    )
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payments_claim_id'), ['claim_id'], unique=False)
        batch_op.create_index('ix_payments_status', ['status', 'id'], unique=False)

    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('series_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_claims_series_id'), ['series_id'], unique=False)

    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paid_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('note', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default=''))

    with op.batch_alter_table('policies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('end_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('reporting_until', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('cap_mitigation', claims.storage.coltypes.Money(), nullable=True))
        batch_op.add_column(sa.Column('cap_expert', claims.storage.coltypes.Money(), nullable=True))
        batch_op.add_column(sa.Column('cap_defence', claims.storage.coltypes.Money(), nullable=True))
        batch_op.add_column(sa.Column('cap_sgoa', claims.storage.coltypes.Money(), nullable=True))
        batch_op.add_column(sa.Column('cap_interest', claims.storage.coltypes.Money(), nullable=True))



def downgrade() -> None:
    # plain ALTER TABLE ... DROP COLUMN: a batch copy of policies or claims would drop a table that other
    # tables' foreign keys point at
    for column in ('cap_interest', 'cap_sgoa', 'cap_defence', 'cap_expert', 'cap_mitigation',
                   'reporting_until', 'end_date'):
        op.drop_column('policies', column)
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_column('note')
        batch_op.drop_column('paid_on')
    op.drop_index(op.f('ix_claims_series_id'), table_name='claims')
    op.drop_column('claims', 'series_id')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_status')
        batch_op.drop_index(batch_op.f('ix_payments_claim_id'))
    op.drop_table('payments')
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index('ix_proposals_open')
        batch_op.drop_index(batch_op.f('ix_proposals_claim_id'))
    op.drop_table('proposals')
