"""imports reports can trust: «Ответ дан» on the board shows the answers of the solved window only, read by the
board's window index (now «Решено» by resolved_at and «Ответ дан» by answered_at)

Revision ID: 0012_importmap
Revises: 0006_search_stems
Create Date: 2026-12-01 19:30:00

"""
from alembic import op

revision = '0012_importmap'
down_revision = '0011_monday'
branch_labels = None
depends_on = None

TAIL = ['department_id', 'position', 'received_at', 'version', 'first_answer_due', 'resolve_due', 'urgency',
        'escalated_due']


def upgrade():
    # «Ответ дан» without its moment (a feed's record that gave none): its last change, at the latest the receipt
    op.execute("UPDATE incident SET answered_at = COALESCE(updated_at, received_at) "
               "WHERE status = 'answered' AND answered_at IS NULL")
    op.create_index('ix_incident_status_resolved_answered', 'incident',
                    ['status', 'resolved_at', 'answered_at', *TAIL], unique=False)
    op.drop_index('ix_incident_status_resolved_at', table_name='incident')


def downgrade():
    op.create_index('ix_incident_status_resolved_at', 'incident', ['status', 'resolved_at', *TAIL], unique=False)
    op.drop_index('ix_incident_status_resolved_answered', table_name='incident')
