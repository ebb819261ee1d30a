"""one-time form tokens: a repeated submission is carried out once

Revision ID: 0005_form_use
Revises: 0004_cell_index
Create Date: 2026-12-01 19:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0005_form_use'
down_revision = '0004_cell_index'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('form_use',
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_form_use_user_id_user')),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_form_use'))
    )
    with op.batch_alter_table('form_use', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_form_use_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('form_use', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_form_use_created_at'))
    op.drop_table('form_use')
