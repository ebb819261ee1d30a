"""The schema exists only through the migrations: from an empty database to head, down to nothing and up
again, and what they build is exactly what mcu.models describes (so models and migrations cannot drift).

Runs on a fresh SQLite file, and on PostgreSQL (MCU_TEST_DB=postgresql) in a throwaway schema of the test
database, so the session's own tables are never touched."""
import re
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from mcu import create_app
from mcu.extensions import db

ROOT = Path(__file__).resolve().parent.parent


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
    assert tables(empty_app) == set(db.metadata.tables) | {"alembic_version"}
    assert drift(empty_app) == []


def test_downgrade_to_base_and_upgrade_again(empty_app):
    migrate(empty_app, upgrade)
    migrate(empty_app, downgrade, "base")
    assert tables(empty_app) <= {"alembic_version"}
    migrate(empty_app, upgrade)
    assert tables(empty_app) == set(db.metadata.tables) | {"alembic_version"}
    assert drift(empty_app) == []


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
