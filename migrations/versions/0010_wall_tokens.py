"""display tokens: the control-room wall's read-only access without a person

Revision ID: 0010_wall_tokens
Revises: 0006_search_stems
Create Date: 2026-12-01 19:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0010_wall_tokens'
down_revision = '0006_search_stems'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('display_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('last_seen_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_display_token_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_display_token')),
    sa.UniqueConstraint('name', name=op.f('uq_display_token_name')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_display_token_token_hash'))
    )


def downgrade():
    op.drop_table('display_token')
