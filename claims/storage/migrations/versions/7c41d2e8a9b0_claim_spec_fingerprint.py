"""claims: the fingerprint of the spec version a claim started under

Revision ID: 7c41d2e8a9b0
Revises: 5b0c2e9f7a13
Create Date: 2026-12-02 00:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '7c41d2e8a9b0'
down_revision: str | None = '5b0c2e9f7a13'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # claims opened before fingerprints existed keep '' (their version was not locked yet)
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('spec_fingerprint', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default='')
        )


def downgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_column('spec_fingerprint')
