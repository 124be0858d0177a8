"""parties: the register of a claim's (and a policy's) parties; every policy's holder as its insured party,
and every claim's insured, claimant and counsel copied from what the claim already says

Revision ID: a3f1c9d2e4b6
Revises: 7c41d2e8a9b0
Create Date: 2026-12-02 02:15:00.000000
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

from claims.storage.coltypes import UTCDateTime

revision: str = 'a3f1c9d2e4b6'
down_revision: str | None = '7c41d2e8a9b0'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = ('name', 'kvk', 'attention', 'street', 'postcode', 'city', 'country', 'email', 'phone', 'reference',
         'channel', 'iban', 'account_holder', 'note')


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString()
    op.create_table(
        'parties',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('claim_id', sa.Integer(), nullable=True),
        sa.Column('policy_id', sa.Integer(), nullable=True),
        sa.Column('role', text, nullable=False),
        *[sa.Column(name, text, nullable=False) for name in _TEXT],
        sa.Column('copy_insured', sa.Boolean(), nullable=False),
        sa.Column('invented', sa.Boolean(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['claim_id'], ['claims.id']),
        sa.ForeignKeyConstraint(['policy_id'], ['policies.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_parties_claim', 'parties', ['claim_id', 'role'])
    op.create_index('ix_parties_policy', 'parties', ['policy_id'])
    # what the database already knows of each party: names and the insured's reference, nothing invented
    conn = op.get_bind()
    now = datetime.now(UTC)
    blank = {name: '' for name in _TEXT} | {'channel': 'post', 'copy_insured': False, 'invented': False,
                                            'created_at': now, 'updated_at': now}
    columns = [sa.column(c) for c in ('claim_id', 'policy_id', 'role', *_TEXT, 'copy_insured', 'invented')]
    parties = sa.table('parties', *columns, sa.column('created_at', UTCDateTime()), sa.column('updated_at', UTCDateTime()))
    rows = []
    for policy_id, insured in conn.execute(sa.text('SELECT id, insured FROM policies')):
        rows.append(blank | {'policy_id': policy_id, 'claim_id': None, 'role': 'insured', 'name': insured})
    claims = conn.execute(sa.text(
        'SELECT c.id, p.insured, c.insured_reference, c.claimant, c.claimant_counsel '
        'FROM claims c JOIN policies p ON p.id = c.policy_id'
    ))
    for claim_id, insured, reference, claimant, counsel in claims:
        base = blank | {'claim_id': claim_id, 'policy_id': None}
        rows.append(base | {'role': 'insured', 'name': insured, 'reference': reference or ''})
        rows.append(base | {'role': 'claimant', 'name': claimant})
        if counsel:
            rows.append(base | {'role': 'counsel', 'name': counsel})
    if rows:
        op.bulk_insert(parties, rows)


def downgrade() -> None:
    op.drop_index('ix_parties_policy', table_name='parties')
    op.drop_index('ix_parties_claim', table_name='parties')
    op.drop_table('parties')
