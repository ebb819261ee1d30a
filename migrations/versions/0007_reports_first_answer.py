"""reports: each message's first public answer, stamped once with its working minutes since receipt

Revision ID: 0005_reports_first_answer
Revises: 0004_cell_index
Create Date: 2026-12-01 20:00:00

The backfill takes the first answer from the history (the earliest «interim» or «answer» line) or, for
imported messages without such a line, `answered_at`, and counts its working minutes by the city's calendar as
configured now (docs/reports.md).
"""
from datetime import UTC
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op
from flask import current_app

from mcu.work_calendar import from_settings

revision = '0005_reports_first_answer'
down_revision = '0005_deadlines2_urgency'
branch_labels = None
depends_on = None

BATCH = 5000
REPORT_COLUMNS = ['received_at', 'channel_id', 'topic_id', 'department_id', 'duplicate_of_id', 'status',
                  'first_answered_at', 'first_answer_due', 'resolve_due', 'first_answer_work_minutes']
incident = sa.table('incident', sa.column('id', sa.Integer), sa.column('received_at', sa.DateTime),
                    sa.column('answered_at', sa.DateTime), sa.column('first_answered_at', sa.DateTime),
                    sa.column('first_answer_work_minutes', sa.Integer))
event = sa.table('event', sa.column('incident_id', sa.Integer), sa.column('kind', sa.String),
                 sa.column('created_at', sa.DateTime))


def upgrade():
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_answered_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('first_answer_work_minutes', sa.Integer(), nullable=True))
    backfill()
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index('ix_incident_report', REPORT_COLUMNS, unique=False)
        batch_op.create_index('ix_incident_first_answer', ['first_answered_at', 'department_id', 'duplicate_of_id'],
                              unique=False, sqlite_where=sa.text('first_answered_at IS NOT NULL'),
                              postgresql_where=sa.text('first_answered_at IS NOT NULL'))
        batch_op.drop_index('ix_incident_received_at')  # the report index begins with received_at
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index('ix_event_returned', ['incident_id'], unique=False,
                              sqlite_where=sa.text("kind = 'status' AND to_value = 'returned'"),
                              postgresql_where=sa.text("kind = 'status' AND to_value = 'returned'"))


def backfill():
    """Stamp the messages answered before this revision, a batch of ids at a time."""
    cfg = current_app.config
    between = from_settings(cfg, ZoneInfo(cfg['TIMEZONE'])).working_time
    conn = op.get_bind()
    first_line = (sa.select(sa.func.min(event.c.created_at))
                  .where(event.c.incident_id == incident.c.id, event.c.kind.in_(('interim', 'answer')))
                  .scalar_subquery())
    last_id = 0
    while True:
        rows = conn.execute(sa.select(incident.c.id, incident.c.received_at, incident.c.answered_at, first_line)
                            .where(incident.c.id > last_id).order_by(incident.c.id).limit(BATCH)).all()
        if not rows:
            return
        last_id = rows[-1][0]
        stamps = []
        for ident, received, answered, first in rows:
            moments = [moment for moment in (answered, first) if moment is not None]
            if moments:
                at = min(moments)
                minutes = between(received.replace(tzinfo=UTC), at.replace(tzinfo=UTC)).total_seconds() // 60
                stamps.append({'_id': ident, 'at': at, 'minutes': int(minutes)})
        if stamps:
            conn.execute(incident.update().where(incident.c.id == sa.bindparam('_id')).values(
                first_answered_at=sa.bindparam('at'), first_answer_work_minutes=sa.bindparam('minutes')), stamps)


def downgrade():
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index('ix_event_returned')
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index('ix_incident_received_at', ['received_at'], unique=False)
        batch_op.drop_index('ix_incident_first_answer')
        batch_op.drop_index('ix_incident_report')
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_column('first_answer_work_minutes')
        batch_op.drop_column('first_answered_at')
