"""field work: the card's progress step, and photos as proof (stored name, thumbnail, tag, shot time and point)

Revision ID: 0006_field_work
Revises: 0005_form_use
Create Date: 2026-12-02 10:00:00

The photo table of the initial schema was never written to (no code stored a photo), so it is made anew.
"""
import sqlalchemy as sa
from alembic import op

revision = '0006_field_work'
down_revision = '0005_reports_first_answer'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('incident', sa.Column('field_step', sa.String(length=20), nullable=False, server_default=''))
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photo_incident_id'))
    op.drop_table('photo')
    op.create_table('photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('tag', sa.String(length=10), nullable=False),
    sa.Column('stored_name', sa.String(length=100), nullable=False),
    sa.Column('thumb_name', sa.String(length=100), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('taken_at', sa.DateTime(), nullable=True),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('in_answer', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_photo_incident_id_incident')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_photo_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photo'))
    )
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photo_incident_id'), ['incident_id'], unique=False)


def downgrade():
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_photo_incident_id'))
    op.drop_table('photo')
    op.create_table('photo',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=300), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incident.id'], name=op.f('fk_photo_incident_id_incident')),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_photo_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_photo'))
    )
    with op.batch_alter_table('photo', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_photo_incident_id'), ['incident_id'], unique=False)
    op.drop_column('incident', 'field_step')
