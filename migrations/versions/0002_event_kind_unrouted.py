"""the unrouted lane's one name: history lines of a return to the operator are kind "unrouted"

Revision ID: 0002_unrouted
Revises: 0001_initial
Create Date: 2026-12-01 16:00:00

"""
from alembic import op

revision = '0002_unrouted'
down_revision = '0001_initial'
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE event SET kind = 'unrouted' WHERE kind = 'returned_to_operator'")


def downgrade():
    op.execute("UPDATE event SET kind = 'returned_to_operator' WHERE kind = 'unrouted'")
