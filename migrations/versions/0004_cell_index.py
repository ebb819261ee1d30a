"""a cell's first cards are the first entries of its index range: (status, lane, position, newest first)

Revision ID: 0004_cell_index
Revises: 0003_lane_state
Create Date: 2026-12-01 18:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0004_cell_index'
down_revision = '0003_lane_state'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_incident_cell', 'incident',
                    ['status', 'department_id', 'position', sa.text('received_at DESC'), sa.text('id DESC'),
                     'version', 'first_answer_due', 'resolve_due'])
    op.drop_index('ix_incident_board', table_name='incident')


def downgrade():
    op.create_index('ix_incident_board', 'incident',
                    ['status', 'department_id', 'position', 'received_at', 'version', 'first_answer_due',
                     'resolve_due'])
    op.drop_index('ix_incident_cell', table_name='incident')
