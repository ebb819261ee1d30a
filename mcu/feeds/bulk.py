"""The fast path of ingestion: many rows in a few statements on the DB-API connection of the current
transaction, without building a SQLAlchemy parameter set per row (measured in bench/ingest.py).

Values must already be in the database's own form: `db_time()` for datetimes (SQLAlchemy's SQLite text
format, naive UTC on PostgreSQL), JSON as text, booleans as bool.
"""
from datetime import UTC

from ..extensions import db

INCIDENT_COLUMNS = (
    ("source", "text"), ("external_id", "text"), ("raw", "json"), ("content_hash", "text"),
    ("source_updated_at", "timestamp"), ("feed_source_id", "integer"), ("channel_id", "integer"),
    ("platform", "text"), ("author", "text"), ("text", "text"), ("url", "text"), ("address", "text"),
    ("lat", "float8"), ("lon", "float8"), ("search_text", "text"), ("search_stems", "text"),
    ("topic_id", "integer"),
    ("department_id", "integer"), ("status", "text"), ("received_at", "timestamp"),
    ("first_answer_due", "timestamp"), ("answered_at", "timestamp"), ("resolved_at", "timestamp"),
    ("answer_text", "text"), ("reason", "text"), ("version", "integer"), ("position", "bigint"),
    ("urgent", "boolean"), ("created_at", "timestamp"), ("updated_at", "timestamp"),
)
EVENT_COLUMNS = (("incident_id", "integer"), ("kind", "text"), ("from_value", "text"), ("to_value", "text"),
                 ("reason", "text"), ("created_at", "timestamp"))
SQLITE_MAX_PARAMS = 32766
PG_TYPES = {"text": "text", "json": "text", "timestamp": "timestamp", "integer": "int4", "float8": "float8",
            "bigint": "int8", "boolean": "bool"}


def is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def time_writer():
    """A function turning an aware datetime into the value the current database stores."""
    utc = UTC

    def naive_utc(d):
        if d is None:
            return None
        return (d if d.tzinfo is utc else d.astimezone(utc)).replace(tzinfo=None)

    if is_postgres():
        return naive_utc
    # SQLAlchemy's SQLite DATETIME storage format, microseconds always present, so text comparison orders;
    # the aware UTC form with its "+00:00" cut off, one C call per value
    return lambda d: None if d is None else (d if d.tzinfo is utc else d.astimezone(utc)).isoformat(
        " ", "microseconds")[:26]


def _raw_connection():
    return db.session.connection().connection.driver_connection


def insert_many(table: str, columns, rows: list[tuple], returning: str = "", conflict: str = "",
                staged: bool = False) -> list[tuple]:
    """INSERT rows (tuples in `columns` order), skipping those that hit `conflict`; with `returning` (PostgreSQL
    only), the returned rows. PostgreSQL: binary COPY into a temporary table, then one INSERT ... SELECT
    (measured faster than unnest() of arrays); SQLite: one compiled single-row statement stepped per row
    (measured faster than multi-row VALUES, whose statements of thousands of parameters compile per chunk), or,
    `staged`, stepped into a temporary table and moved by one INSERT ... SELECT, for a table whose triggers
    write FTS5 (FTS5 written by a trigger costs about five times more per statement than within one)."""
    if not rows:
        return []
    names = ", ".join(f'"{name}"' for name, _type in columns)
    on_conflict = f" ON CONFLICT ({conflict}) DO NOTHING" if conflict else ""
    cursor = _raw_connection().cursor()
    staging = f"{table}_incoming"
    if not is_postgres():
        marks = ", ".join("?" * len(columns))
        if not staged:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks}){on_conflict}", rows)
            return []
        # a temporary table outlives a rolled-back batch when SQLite's driver ran its CREATE outside the transaction
        cursor.execute(f"DROP TABLE IF EXISTS temp.{staging}")
        cursor.execute(f"CREATE TEMP TABLE {staging} ({names})")  # no types: the values move as they are
        cursor.executemany(f"INSERT INTO {staging} VALUES ({marks})", rows)
        # "WHERE true": SQLite would read ON CONFLICT after a bare SELECT ... FROM as a join's ON
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {staging} WHERE true{on_conflict}")
        cursor.execute(f"DROP TABLE {staging}")
        return []
    cursor.execute(f"CREATE TEMP TABLE {staging} (" + ", ".join(
        f'"{name}" {"text" if kind == "json" else kind}' for name, kind in columns) + ") ON COMMIT DROP")
    with cursor.copy(f"COPY {staging} FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types([PG_TYPES[kind] for _name, kind in columns])
        for row in rows:
            copy.write_row(row)
    picks = ", ".join(f'"{name}"::json' if kind == "json" else f'"{name}"' for name, kind in columns)
    cursor.execute(f"INSERT INTO {table} ({names}) SELECT {picks} FROM {staging}{on_conflict}"
                   + (f" RETURNING {returning}" if returning else ""))
    found = cursor.fetchall() if returning else []
    cursor.execute(f"DROP TABLE {staging}")
    return found


def insert_incidents(rows: list[tuple], source: str, created_at) -> list[tuple]:
    """Insert new incidents (tuples in INCIDENT_COLUMNS order, all of `source`, all created at `created_at` in
    the database's form), skipping keys stored meanwhile; returns (id, external id) of those inserted. On
    SQLite, where executemany returns no rows, they are read back by key: rows this call wrote carry its
    `created_at`, so a row another writer stored first is not taken for ours."""
    if is_postgres():
        return insert_many("incident", INCIDENT_COLUMNS, rows, returning="id, external_id",
                           conflict="source, external_id")
    insert_many("incident", INCIDENT_COLUMNS, rows, conflict="source, external_id", staged=True)
    stored = existing(source, [row[1] for row in rows], with_created=True)
    return [(ident, key) for key, (ident, _digest, _updated, created) in stored.items() if created == created_at]


def existing(source: str, keys: list[str], chunk: int = 5000, with_created: bool = False) -> dict:
    """external id -> (incident id, content hash, raw source_updated_at[, raw created_at]) for the keys
    already stored."""
    cursor = _raw_connection().cursor()
    found = {}
    postgres = is_postgres()
    columns = "external_id, id, content_hash, source_updated_at" + (", created_at" if with_created else "")
    for start in range(0, len(keys), chunk):
        part = keys[start:start + chunk]
        if postgres:
            cursor.execute(f"SELECT {columns} FROM incident WHERE source = %s AND external_id = ANY(%b::text[])",
                           (source, part))
        else:
            cursor.execute(f"SELECT {columns} FROM incident "
                           f"WHERE source = ? AND external_id IN ({', '.join('?' * len(part))})", (source, *part))
        for external_id, *values in cursor.fetchall():
            found[external_id] = tuple(values)
    return found
