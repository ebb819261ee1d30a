"""search that knows Russian: a message's words as Snowball stems, indexed by FTS5 (SQLite) or GIN (PostgreSQL)

Revision ID: 0006_search_stems
Revises: 0006_field_work
Create Date: 2026-12-02 10:00:00

"""
import sqlalchemy as sa
from alembic import op

from mcu.search import FTS_TABLE, PG_INDEX, PG_VECTOR, restem

revision = '0006_search_stems'
down_revision = '0006_field_work'
branch_labels = None
depends_on = None

# SQLite: an external-content FTS5 table over incident.search_stems, kept in step by triggers, so every writer
# (the ORM, Core updates, the bulk executemany of ingestion) keeps it right; an UPDATE that does not set
# search_stems (a move, an answer) does not touch it. unicode61 without diacritics removal: the stems are
# already folded in Python, and PostgreSQL's 'simple' configuration keeps diacritics too.
_ADD = f"INSERT INTO {FTS_TABLE}(rowid, search_stems) VALUES (new.id, new.search_stems);"
_REMOVE = f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_stems) VALUES ('delete', old.id, old.search_stems);"
SQLITE_UP = [
    (f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(search_stems, content='incident', content_rowid='id', "
     "tokenize='unicode61 remove_diacritics 0')"),
    f"CREATE TRIGGER {FTS_TABLE}_insert AFTER INSERT ON incident BEGIN {_ADD} END",
    f"CREATE TRIGGER {FTS_TABLE}_delete AFTER DELETE ON incident BEGIN {_REMOVE} END",
    (f"CREATE TRIGGER {FTS_TABLE}_update AFTER UPDATE OF search_stems ON incident "
     f"WHEN old.search_stems IS NOT new.search_stems BEGIN {_REMOVE} {_ADD} END"),
]


def upgrade():
    with op.batch_alter_table('incident', schema=None) as batch_op:
        # the server default fills the rows already there (SQLite adds such a column without copying the table)
        batch_op.add_column(sa.Column('search_stems', sa.Text(), nullable=False, server_default=''))
    connection = op.get_bind()
    restem(connection)  # before the index: one build at the end instead of an update per row
    if connection.dialect.name == 'postgresql':
        # the vector stored, not recomputed: a phrase's recheck and ts_rank read it for every matching row
        op.execute(f"ALTER TABLE incident ADD COLUMN {PG_VECTOR} tsvector GENERATED ALWAYS AS "
                   "(to_tsvector('simple'::regconfig, search_stems)) STORED")
        op.execute(f"CREATE INDEX {PG_INDEX} ON incident USING gin ({PG_VECTOR})")
    else:
        for statement in SQLITE_UP:
            op.execute(statement)
        op.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(f"DROP INDEX {PG_INDEX}")
        op.execute(f"ALTER TABLE incident DROP COLUMN {PG_VECTOR}")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER {FTS_TABLE}_{name}")
        op.execute(f"DROP TABLE {FTS_TABLE}")
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_column('search_stems')
