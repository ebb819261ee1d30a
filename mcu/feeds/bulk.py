"""The fast path of ingestion: many rows in a few statements on the DB-API connection of the current
transaction, without building a SQLAlchemy parameter set per row (measured in bench/ingest.py).

Values must already be in the database's own form: `db_time()` for datetimes (SQLAlchemy's SQLite text
format, naive UTC on PostgreSQL), JSON as text, booleans as bool.
"""
from datetime import UTC, datetime

from ..extensions import db

INCIDENT_COLUMNS = (
    ("source", "text"), ("external_id", "text"), ("raw", "json"), ("content_hash", "text"),
    ("source_updated_at", "timestamp"), ("feed_source_id", "integer"), ("channel_id", "integer"),
    ("platform", "text"), ("author", "text"), ("text", "text"), ("url", "text"), ("address", "text"),
    ("lat", "float8"), ("lon", "float8"), ("search_text", "text"), ("topic_id", "integer"),
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


def read_time(value) -> datetime | None:
    """A raw stored datetime (text on SQLite, naive on PostgreSQL) as aware UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


def _raw_connection():
    return db.session.connection().connection.driver_connection


def insert_many(table: str, columns, rows: list[tuple], returning: str = "", conflict: str = "") -> list[tuple]:
    """INSERT rows (tuples in `columns` order); with `returning`, the returned rows. PostgreSQL: one
    statement over unnest() of one array per column; SQLite: multi-row VALUES in chunks under its limit."""
    if not rows:
        return []
    names = ", ".join(f'"{name}"' for name, _type in columns)
    tail = (f" ON CONFLICT ({conflict}) DO NOTHING" if conflict else "") + (f" RETURNING {returning}" if returning else "")
    cursor = _raw_connection().cursor()
    found = []
    if is_postgres():
        # binary COPY into a temporary table, then one INSERT ... SELECT (measured faster than unnest of arrays)
        staging = f"{table}_incoming"
        cursor.execute(f"CREATE TEMP TABLE {staging} (" + ", ".join(
            f'"{name}" {"text" if kind == "json" else kind}' for name, kind in columns) + ") ON COMMIT DROP")
        with cursor.copy(f"COPY {staging} FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types([PG_TYPES[kind] for _name, kind in columns])
            for row in rows:
                copy.write_row(row)
        picks = ", ".join(f'"{name}"::json' if kind == "json" else f'"{name}"' for name, kind in columns)
        cursor.execute(f"INSERT INTO {table} ({names}) SELECT {picks} FROM {staging}{tail}")
        if returning:
            found = cursor.fetchall()
        cursor.execute(f"DROP TABLE {staging}")
        return found
    width = len(columns)
    per_statement = max(1, SQLITE_MAX_PARAMS // width)
    one = "(" + ", ".join("?" * width) + ")"
    for start in range(0, len(rows), per_statement):
        chunk = rows[start:start + per_statement]
        sql = f"INSERT INTO {table} ({names}) VALUES {', '.join([one] * len(chunk))}{tail}"
        cursor.execute(sql, [value for row in chunk for value in row])
        if returning:
            found.extend(cursor.fetchall())
    return found


def existing(source: str, keys: list[str], chunk: int = 5000) -> dict:
    """external id -> (incident id, content hash, raw source_updated_at) for the keys already stored."""
    cursor = _raw_connection().cursor()
    found = {}
    postgres = is_postgres()
    for start in range(0, len(keys), chunk):
        part = keys[start:start + chunk]
        if postgres:
            cursor.execute("SELECT external_id, id, content_hash, source_updated_at FROM incident "
                           "WHERE source = %s AND external_id = ANY(%b::text[])", (source, part))
        else:
            cursor.execute("SELECT external_id, id, content_hash, source_updated_at FROM incident "
                           f"WHERE source = ? AND external_id IN ({', '.join('?' * len(part))})", (source, *part))
        for external_id, ident, digest, updated in cursor.fetchall():
            found[external_id] = (ident, digest, updated)
    return found
