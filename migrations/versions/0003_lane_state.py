"""lane versions instead of one board version: a change costs in proportion to who can see it

Revision ID: 0003_lane_state
Revises: 0002_unrouted
Create Date: 2026-12-01 17:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0003_lane_state'
down_revision = '0002_unrouted'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('lane_state',
    sa.Column('lane', sa.String(length=20), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('lane', name=op.f('pk_lane_state'))
    )
    op.drop_table('board_state')


def downgrade():
    op.create_table('board_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_board_state'))
    )
    op.execute("INSERT INTO board_state (id, version) VALUES (1, 0)")
    op.drop_table('lane_state')
