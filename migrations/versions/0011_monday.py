"""a head's Monday: answer templates and saved board views

Revision ID: 0011_monday
Revises: 0006_search_stems
Create Date: 2026-12-01 19:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0011_monday'
down_revision = '0010_wall_tokens'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('answer_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_answer_template_department_id_department')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_answer_template_updated_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_template'))
    )
    with op.batch_alter_table('answer_template', schema=None) as batch_op:
        batch_op.create_index('ix_answer_template_department', ['department_id', 'title'], unique=False)
    op.create_table('saved_view',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('query', sa.String(length=1000), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_saved_view_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_view'))
    )
    with op.batch_alter_table('saved_view', schema=None) as batch_op:
        batch_op.create_index('ix_saved_view_user', ['user_id', 'name'], unique=True)


def downgrade():
    with op.batch_alter_table('saved_view', schema=None) as batch_op:
        batch_op.drop_index('ix_saved_view_user')
    op.drop_table('saved_view')
    with op.batch_alter_table('answer_template', schema=None) as batch_op:
        batch_op.drop_index('ix_answer_template_department')
    op.drop_table('answer_template')
