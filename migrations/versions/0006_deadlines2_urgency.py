"""urgency first in a cell, the escalation ladder's steps, notifications and their attempts, people's settings

Revision ID: 0005_deadlines2_urgency
Revises: 0004_cell_index
Create Date: 2026-12-01 16:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0005_deadlines2_urgency'
down_revision = '0005_form_use'
branch_labels = None
depends_on = None

OPEN = "('new', 'in_progress', 'interim', 'returned', 'answered')"


def upgrade():
    with op.batch_alter_table('incident') as batch:
        batch.add_column(sa.Column('urgency', sa.SmallInteger(), server_default=sa.text('2'), nullable=False))
        batch.add_column(sa.Column('urgency_next_at', sa.DateTime(),
                                   server_default=sa.text("'1970-01-01 00:00:00'"), nullable=True))
        batch.add_column(sa.Column('escalated_due', sa.DateTime(), nullable=True))
    # open cards are assessed by the first sweep; closed ones never change urgency
    op.execute(f"UPDATE incident SET urgency_next_at = NULL WHERE status NOT IN {OPEN}")
    op.drop_index('ix_incident_cell', table_name='incident')
    op.create_index('ix_incident_cell', 'incident',
                    ['status', 'department_id', 'urgency', 'position', sa.text('received_at DESC'), sa.text('id DESC'),
                     'version', 'first_answer_due', 'resolve_due', 'escalated_due'])
    op.drop_index('ix_incident_status_resolved_at', table_name='incident')
    op.create_index('ix_incident_status_resolved_at', 'incident',
                    ['status', 'resolved_at', 'department_id', 'position', 'received_at', 'version',
                     'first_answer_due', 'resolve_due', 'urgency', 'escalated_due'])
    op.create_index('ix_incident_urgency_next_at', 'incident', ['urgency_next_at'],
                    sqlite_where=sa.text('urgency_next_at IS NOT NULL'),
                    postgresql_where=sa.text('urgency_next_at IS NOT NULL'))

    op.create_table('escalation_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('deadline', sa.DateTime(), nullable=False),
    sa.Column('step', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_escalation_step_incident_id_incident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalation_step')),
    sa.UniqueConstraint('incident_id', 'deadline', 'step', name='uq_escalation_step')
    )
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=20), nullable=False),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('occasion', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('digest', sa.Boolean(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('queued_at', sa.DateTime(), nullable=True),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('read_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_notification_incident_id_incident')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('user_id', 'event', 'incident_id', 'channel', 'occasion', name='uq_notification')
    )
    op.create_index('ix_notification_user', 'notification', ['user_id', 'channel', 'read_at', 'id'])
    op.create_index('ix_notification_state', 'notification', ['state', 'due_at'])
    op.create_table('notification_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('error', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['notification_id'], ['notification.id'],
                            name=op.f('fk_notification_attempt_notification_id_notification')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_attempt'))
    )
    op.create_index('ix_notification_attempt', 'notification_attempt', ['notification_id', 'id'])
    op.create_table('sweep_cursor',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_sweep_cursor'))
    )
    op.create_table('notification_settings',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('telegram_chat_id', sa.String(length=40), nullable=False),
    sa.Column('telegram_code', sa.String(length=16), nullable=False),
    sa.Column('telegram_code_at', sa.DateTime(), nullable=True),
    sa.Column('quiet_hours', sa.Boolean(), nullable=False),
    sa.Column('digest', sa.Boolean(), nullable=False),
    sa.Column('channels', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_settings_user_id_user')),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_settings'))
    )


def downgrade():
    op.drop_table('notification_settings')
    op.drop_table('sweep_cursor')
    op.drop_index('ix_notification_attempt', table_name='notification_attempt')
    op.drop_table('notification_attempt')
    op.drop_index('ix_notification_state', table_name='notification')
    op.drop_index('ix_notification_user', table_name='notification')
    op.drop_table('notification')
    op.drop_table('escalation_step')
    op.drop_index('ix_incident_urgency_next_at', table_name='incident')
    op.drop_index('ix_incident_status_resolved_at', table_name='incident')
    op.create_index('ix_incident_status_resolved_at', 'incident',
                    ['status', 'resolved_at', 'department_id', 'position', 'received_at', 'version',
                     'first_answer_due', 'resolve_due'])
    op.drop_index('ix_incident_cell', table_name='incident')
    op.create_index('ix_incident_cell', 'incident',
                    ['status', 'department_id', 'position', sa.text('received_at DESC'), sa.text('id DESC'),
                     'version', 'first_answer_due', 'resolve_due'])
    with op.batch_alter_table('incident') as batch:
        batch.drop_column('escalated_due')
        batch.drop_column('urgency_next_at')
        batch.drop_column('urgency')
