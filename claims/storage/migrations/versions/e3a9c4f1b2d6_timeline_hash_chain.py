"""timeline_events: a hash chain per claim, append-only in the database

Revision ID: e3a9c4f1b2d6
Revises: d0c5a1e7f3b2
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
import sqlmodel
from alembic import op

from claims.storage import chain
from claims.storage.coltypes import UTCDateTime
from claims.storage.schema import APPEND_ONLY_SQL, DROP_APPEND_ONLY_SQL


revision: str = 'e3a9c4f1b2d6'
down_revision: str | None = 'd0c5a1e7f3b2'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAGE = 5000  # events per backfill step: memory stays that of one page

_events = sa.table(
    'timeline_events',
    sa.column('id', sa.Integer()),
    sa.column('claim_id', sa.Integer()),
    sa.column('claim_version', sa.Integer()),
    sa.column('at', UTCDateTime()),
    sa.column('actor_id', sa.Integer()),
    sa.column('kind', sa.String()),
    sa.column('trigger', sa.String()),
    sa.column('from_state', sa.String()),
    sa.column('to_state', sa.String()),
    sa.column('data', sa.JSON()),
    sa.column('note', sa.String()),
    sa.column('prev_sha256', sa.String()),
    sa.column('sha256', sa.String()),
)
_letters = sa.table(
    'letters',
    sa.column('id', sa.Integer()),
    sa.column('claim_id', sa.Integer()),
    sa.column('event_id', sa.Integer()),
    sa.column('template', sa.String()),
    sa.column('sha256', sa.String()),
)


def upgrade() -> None:
    # '' until the backfill below links every existing event; the writer always sets both
    with op.batch_alter_table('timeline_events', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('prev_sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default='')
        )
        batch_op.add_column(
            sa.Column('sha256', sqlmodel.sql.sqltypes.AutoString(), nullable=False, server_default='')
        )
    # (claim_id, id) instead of (claim_id): a claim's head is then one seek on PostgreSQL too
    op.create_index('ix_timeline_events_claim_id_id', 'timeline_events', ['claim_id', 'id'], unique=False)
    op.drop_index('ix_timeline_events_claim_id', table_name='timeline_events')
    _backfill(op.get_bind())
    op.create_index(
        'uq_timeline_events_claim_prev', 'timeline_events', ['claim_id', 'prev_sha256'], unique=True
    )
    for statement in APPEND_ONLY_SQL[op.get_bind().dialect.name]:
        op.execute(statement)


def _backfill(conn: sa.Connection) -> None:
    """Link the existing events in id order per claim, as the writer would have: each event lists the
    letters already stored with it (template and sha256, in the order written), then is sealed after the
    claim's previous one. Page by page in chain order (claim, id)."""
    order = sa.tuple_(_events.c.claim_id, _events.c.id)
    query = sa.select(_events).order_by(_events.c.claim_id, _events.c.id).limit(PAGE)
    set_hashes = (
        _events.update()
        .where(_events.c.id == sa.bindparam('_id'))
        .values(prev_sha256=sa.bindparam('prev'), sha256=sa.bindparam('sha'))
    )
    set_letters = _events.update().where(_events.c.id == sa.bindparam('_id')).values(data=sa.bindparam('data'))
    after: tuple[int, int] | None = None
    claim, head = None, chain.GENESIS
    while True:
        rows = conn.execute(query if after is None else query.where(order > after)).all()
        if not rows:
            return
        written: dict[int, list[tuple[str, str]]] = {}
        for letter in conn.execute(
            sa.select(_letters.c.event_id, _letters.c.template, _letters.c.sha256)
            .where(_letters.c.claim_id.between(rows[0].claim_id, rows[-1].claim_id))
            .order_by(_letters.c.id)
        ):
            written.setdefault(letter.event_id, []).append((letter.template, letter.sha256))
        hashes: list[dict[str, Any]] = []
        listed: list[dict[str, Any]] = []
        for row in rows:
            event = dict(row._mapping)
            if event['id'] in written and 'letters' not in event['data']:
                event['data'] = {**event['data'], 'letters': chain.letter_entries(written[event['id']])}
                listed.append({'_id': event['id'], 'data': event['data']})
            if row.claim_id != claim:
                claim, head = row.claim_id, chain.GENESIS
            prev, head = head, chain.seal(event, head)
            hashes.append({'_id': event['id'], 'prev': prev, 'sha': head})
        conn.execute(set_hashes, hashes)
        if listed:
            conn.execute(set_letters, listed)
        if len(rows) < PAGE:
            return
        after = (rows[-1].claim_id, rows[-1].id)


def downgrade() -> None:
    for statement in DROP_APPEND_ONLY_SQL[op.get_bind().dialect.name]:
        op.execute(statement)
    op.drop_index('uq_timeline_events_claim_prev', table_name='timeline_events')
    op.create_index('ix_timeline_events_claim_id', 'timeline_events', ['claim_id'], unique=False)
    op.drop_index('ix_timeline_events_claim_id_id', table_name='timeline_events')
    # the letters each event lists stay in its data: the letters table holds them all the same.
    # Not batch mode: rebuilding the table on SQLite drops the old one, which the rows of letters, money
    # lines and notifications refer to; SQLite (3.35+) drops a column in place.
    op.drop_column('timeline_events', 'sha256')
    op.drop_column('timeline_events', 'prev_sha256')
