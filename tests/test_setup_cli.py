"""What `make run` does on a fresh machine: `flask setup` makes the schema, demo data and prints logins."""
import os
import tempfile

import pytest

from mcu import create_app
from mcu.extensions import db
from mcu.models import Channel, Incident, Topic, User
from mcu.reference import TOPICS

pytestmark = pytest.mark.skipif(os.environ.get("MCU_TEST_DB") == "postgresql",
                                reason="setup on a fresh embedded database is a SQLite story")


@pytest.fixture
def fresh_app():
    folder = tempfile.mkdtemp(prefix="mcu-setup-")
    return create_app({"TESTING": True, "SECRET_KEY": "x", "DEMO": True,
                       "DATABASE_URL": f"sqlite:///{folder}/fresh.sqlite"})


def test_setup_creates_schema_demo_data_and_prints_logins(fresh_app):
    result = fresh_app.test_cli_runner().invoke(args=["setup"])
    assert result.exit_code == 0, result.output
    for login in ("admin", "operator", "head", "field", "viewer"):
        assert f"  {login} " in result.output
    assert "пароль у всех: demo" in result.output
    with fresh_app.app_context():
        count = db.session.scalar(db.select(db.func.count(Incident.id)))
        assert 300 <= count <= 600
        roles = set(db.session.scalars(db.select(User.role)))
        assert roles == {"admin", "operator", "head", "field", "viewer"}
        assert db.session.scalar(db.select(db.func.count(Channel.id))) >= 7
        assert db.session.scalar(db.select(db.func.count(Topic.id))) == len(TOPICS)
    again = fresh_app.test_cli_runner().invoke(args=["setup"])
    assert again.exit_code == 0, again.output
    with fresh_app.app_context():
        assert db.session.scalar(db.select(db.func.count(Incident.id))) == count


def test_demo_mix_follows_the_seed(fresh_app):
    fresh_app.test_cli_runner().invoke(args=["setup"])
    with fresh_app.app_context():
        rows = db.session.execute(db.select(Topic.name, db.func.count(Incident.id))
                                  .join(Incident, Incident.topic_id == Topic.id).group_by(Topic.name)).all()
        total = sum(n for _name, n in rows)
        share = {name: n / total for name, n in rows}
        assert share["Дороги"] == pytest.approx(0.396, abs=0.06)
        assert share["Дороги"] > share["Благоустройство"] > share["Образование"] * 0.9
        im = db.session.scalar(db.select(db.func.count(Incident.id)).join(Channel, Incident.channel_id == Channel.id)
                               .where(Channel.code == "im"))
        assert im / total == pytest.approx(8238 / 14827, abs=0.07)


def test_users_create_command(fresh_app):
    runner = fresh_app.test_cli_runner()
    runner.invoke(args=["setup"])
    result = runner.invoke(args=["users", "create", "Ivanov", "--name", "Иван Иванов", "--role", "head",
                                 "--department", "Дороги", "--password", "s3cret-pass"])
    assert result.exit_code == 0, result.output
    with fresh_app.app_context():
        user = db.session.scalar(db.select(User).filter_by(login="ivanov"))
        assert user.role == "head" and user.department.short_name == "Дороги"
        assert user.password_hash.startswith("scrypt:")
    duplicate = runner.invoke(args=["users", "create", "ivanov", "--name", "x", "--role", "viewer",
                                    "--password", "p"])
    assert duplicate.exit_code != 0
