"""parties, invoices: indexes for the claim list's search by a party's kenmerk and by an invoice number

Revision ID: d5e8b2a41c07
Revises: c5e2a8f0b7d1
Create Date: 2026-12-02 03:00:00.000000
"""

from collections.abc import Sequence

from alembic import op


revision: str = 'd5e8b2a41c07'
down_revision: str | None = 'c5e2a8f0b7d1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # the search matches both exactly, so an index finds them without reading the tables
    op.create_index('ix_parties_reference', 'parties', ['reference'], unique=False)
    op.create_index('ix_invoices_number', 'invoices', ['number'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_invoices_number', table_name='invoices')
    op.drop_index('ix_parties_reference', table_name='parties')
