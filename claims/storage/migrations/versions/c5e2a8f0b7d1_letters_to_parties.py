"""letters: addressed to a party, how each leaves (e-mail, post, internal), its copies, printed and
returned; outbox: the letter an e-mail carries as its PDF

Revision ID: c5e2a8f0b7d1
Revises: a3f1c9d2e4b6
Create Date: 2026-12-02 02:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from claims.storage.coltypes import UTCDateTime

revision: str = 'c5e2a8f0b7d1'
down_revision: str | None = 'a3f1c9d2e4b6'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    text = sqlmodel.sql.sqltypes.AutoString()
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recipient_party_id', sa.Integer(), nullable=True))
        # letters written before went nowhere outside: they were read in claimflow
        batch_op.add_column(sa.Column('channel', text, nullable=False, server_default='internal'))
        batch_op.add_column(sa.Column('copies', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('post_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('printed_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('returned_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('returned_note', text, nullable=False, server_default=''))
        batch_op.create_foreign_key('fk_letters_recipient_party', 'parties', ['recipient_party_id'], ['id'])
    op.create_index(
        'ix_letters_to_print', 'letters', ['id'],
        sqlite_where=sa.text('post_count > 0 AND printed_at IS NULL'),
        postgresql_where=sa.text('post_count > 0 AND printed_at IS NULL'),
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('letter_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_outbox_letter', 'letters', ['letter_id'], ['id'])
        batch_op.create_index('ix_outbox_letter_id', ['letter_id'])


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_letter_id')
        batch_op.drop_constraint('fk_outbox_letter', type_='foreignkey')
        batch_op.drop_column('letter_id')
    op.drop_index('ix_letters_to_print', table_name='letters')
    with op.batch_alter_table('letters', schema=None) as batch_op:
        batch_op.drop_constraint('fk_letters_recipient_party', type_='foreignkey')
        for column in ('returned_note', 'returned_at', 'printed_at', 'post_count', 'copies', 'channel',
                       'recipient_party_id'):
            batch_op.drop_column(column)
