"""Rows that must exist once: an insert that does nothing when its unique key is taken, on SQLite and PostgreSQL.

The escalation ladder and the notifications write their keys with it in the transaction of what they record, so
two workers (or a job run again after a restart) cannot do the same thing twice: the second insert finds the key
taken (PostgreSQL waits for the first transaction to commit) and its caller skips what would follow.
"""
from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db


def insert_once(model, **values):
    """Insert one row of ``model`` in the caller's transaction; its primary key, or None when its key exists."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(model).values(**values).on_conflict_do_nothing().returning(*model.__table__.primary_key.columns)  # column defaults apply
    return db.session.execute(stmt).scalar_one_or_none()
