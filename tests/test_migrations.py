"""The schema exists only through the migrations: from an empty database to head, down to nothing and up
again, and what they build is exactly what mcu.models describes (so models and migrations cannot drift).

Runs on a fresh SQLite file, and on PostgreSQL (MCU_TEST_DB=postgresql) in a throwaway schema of the test
database, so the session's own tables are never touched."""
import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from conftest import ON_POSTGRES
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, select, text

from mcu import create_app
from mcu.extensions import db
from mcu.models import Incident
from mcu.search import condition, not_search_index, parse

ROOT = Path(__file__).resolve().parent.parent
# SQLite's FTS5 index of the search stems (migration 0006): a virtual table and the shadow tables FTS5 keeps for
# it, which no model describes; written out here so that a missing index fails too
SEARCH_TABLES = set() if ON_POSTGRES else {"incident_search", "incident_search_data", "incident_search_idx",
                                           "incident_search_docsize", "incident_search_config"}


def tables(app) -> set[str]:
    with app.app_context():
        return set(inspect(db.engine).get_table_names())


def drift(app) -> list:
    """What alembic's autogenerate would write to make the database match the models: nothing, we expect."""
    with app.app_context(), db.engine.connect() as connection:
        options = dict(app.extensions["migrate"].configure_args)
        context = MigrationContext.configure(connection, opts=options)
        return compare_metadata(context, db.metadata)


def migrate(app, verb, revision="head"):
    with app.app_context():
        verb(directory=app.extensions["migrate"].directory, revision=revision)


def test_empty_database_upgrades_to_head_matching_the_models(empty_app):
    assert tables(empty_app) == set()
    migrate(empty_app, upgrade)
    assert tables(empty_app) == set(db.metadata.tables) | {"alembic_version"} | SEARCH_TABLES
    assert drift(empty_app) == []


def test_downgrade_to_base_and_upgrade_again(empty_app):
    migrate(empty_app, upgrade)
    migrate(empty_app, downgrade, "base")
    assert tables(empty_app) <= {"alembic_version"}
    migrate(empty_app, upgrade)
    assert tables(empty_app) == set(db.metadata.tables) | {"alembic_version"} | SEARCH_TABLES
    assert drift(empty_app) == []


def test_the_search_migration_fills_the_stems_of_messages_already_there(empty_app):
    migrate(empty_app, upgrade, "0006_field_work")
    with empty_app.app_context():
        for n, words in enumerate(("Светофоры не горят", "Яма во дворе"), 1):
            db.session.execute(text(
                "INSERT INTO incident (source, external_id, content_hash, platform, author, text, url, address, "
                "search_text, status, received_at, answer_text, reason, version, position, urgent, created_at, "
                "updated_at) VALUES ('old', :key, '', '', '', :text, '', '', :folded, 'new', :now, '', '', 1, 0, "
                ":no, :now, :now)"), {"key": str(n), "text": words, "folded": words.lower(), "now": "2026-11-30 10:00:00",
                                     "no": False})
        db.session.commit()
    migrate(empty_app, upgrade)
    with empty_app.app_context():
        assert db.session.scalars(select(Incident.search_stems).order_by(Incident.id)).all() == [
            "светофор не гор", "ям во двор"]
        assert db.session.scalars(select(Incident.external_id).where(condition(parse("светофор")))).all() == ["1"]
        assert db.session.scalars(select(Incident.external_id).where(condition(parse("ямой")))).all() == ["2"]


def test_the_importmap_migration_gives_answered_messages_their_moment(empty_app):
    """«Ответ дан» stored without its moment gets its last change; other rows and known moments are left alone."""
    migrate(empty_app, upgrade, "0011_monday")
    with empty_app.app_context():
        for key, status, answered in (("1", "answered", None), ("2", "answered", "2026-11-29 08:00:00"),
                                      ("3", "new", None)):
            db.session.execute(text(
                "INSERT INTO incident (source, external_id, content_hash, platform, author, text, url, address, "
                "search_text, status, received_at, answered_at, answer_text, reason, version, position, urgent, "
                "created_at, updated_at) VALUES ('old', :key, '', '', '', 'Яма', '', '', 'яма', :status, :received, "
                ":answered, '', '', 1, 0, :no, :received, :updated)"),
                {"key": key, "status": status, "answered": answered, "received": "2026-11-28 10:00:00",
                 "updated": "2026-11-30 10:00:00", "no": False})
        db.session.commit()
    migrate(empty_app, upgrade)
    with empty_app.app_context():
        moments = db.session.execute(select(Incident.external_id, Incident.answered_at).order_by(Incident.id)).all()
    assert [(key, at and at.strftime("%d.%m %H:%M")) for key, at in moments] == [
        ("1", "30.11 10:00"), ("2", "29.11 08:00"), ("3", None)]


def test_the_comparison_leaves_out_only_the_search_index():
    """The drift check skips the FTS5 tables and the functional GIN index, which no model can describe, and
    nothing else: a table or index of the models missing from the database is still drift."""
    for name in SEARCH_TABLES | {"incident_search"}:
        assert not not_search_index(None, name, "table", True, None), name
    assert not not_search_index(None, "ix_incident_search_vector", "index", True, None)
    assert not not_search_index(None, "search_vector", "column", True, None)
    for name, kind in (("incident", "table"), ("incident_searches", "table"), ("ix_incident_cell", "index"),
                       ("ix_incident_search", "index"), ("search_stems", "column")):
        assert not_search_index(None, name, kind, True, None), name


def test_migrations_form_one_line_of_revisions():
    """One head: parallel revisions would leave `flask db upgrade` not knowing where to go."""
    from alembic.script import ScriptDirectory
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": "sqlite://"})
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config(app.extensions["migrate"].directory)
        assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_no_code_makes_tables_outside_the_migrations():
    for path in list((ROOT / "mcu").rglob("*.py")) + list((ROOT / "tests").rglob("*.py")):
        assert not re.search(r"\bcreate_all\(", path.read_text()), f"{path} creates tables without a migration"
