"""Command line: `flask --app mcu setup`, `users create`, `demo load`, `deadlines recompute`."""
import os

import click
from flask import current_app
from flask.cli import AppGroup
from flask_babel import gettext as _
from flask_migrate import upgrade
from rq import Retry

from . import deadlines, demo, processes, reference
from . import queue as mcu_queue
from .extensions import db
from .models import Department
from .roles import ROLE_NAMES, ROLES
from .sources.demo_feed import ensure_source
from .timefmt import city_tz
from .users import service as users_service

users_cli = AppGroup("users", help="Manage the people who sign in.")
demo_cli = AppGroup("demo", help="Demo data.")
deadlines_cli = AppGroup("deadlines", help="Deadlines of open cards.")
# a failed recompute keeps the batches it committed, and running it again finishes the rest
RECOMPUTE_RETRY = Retry(max=2, interval=[60, 600])
RECOMPUTE_TIMEOUT = 1800  # seconds; a city's open cards take well under one


@users_cli.command("create")
@click.argument("login")
@click.option("--name", required=True, help="Full name shown on cards.")
@click.option("--role", type=click.Choice(sorted(ROLES)), required=True)
@click.option("--department", default=None, help="Department short name (for heads and field staff).")
@click.password_option(help="Asked for when not given.")
def create_user(login, name, role, department, password):
    """Create a user who can sign in (the same checks as the users page)."""
    dep_id = None
    if department:
        dep_id = db.session.scalar(db.select(Department.id).filter_by(short_name=department))
        if dep_id is None:
            raise click.ClickException(f"no department with short name {department!r}")
    try:
        user = users_service.create(login, name, role, dep_id, password)
    except users_service.UserError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"created {user.login} ({user.role})")


@demo_cli.command("load")
@click.option("--incidents", default=420, show_default=True)
def demo_load(incidents):
    """Load demo users, and demo incidents when the database has none."""
    for login, role in demo.load(incidents):
        click.echo(f"{login} / {demo.DEMO_PASSWORD} ({role})")


@deadlines_cli.command("recompute")
@click.option("--enqueue", is_flag=True, help="Run it on the queue's worker instead of here.")
def recompute_deadlines(enqueue):
    """Bring open cards' deadlines in line with the calendar and the settings (run after changing either)."""
    if enqueue:
        job = mcu_queue.queue(current_app, mcu_queue.connect(current_app, 5)).enqueue(
            "mcu.jobs.recompute_deadlines", retry=RECOMPUTE_RETRY, job_timeout=RECOMPUTE_TIMEOUT,
            description="recompute open deadlines")
        click.echo(_("В очереди: %(id)s", id=job.id))
        return
    moved = deadlines.recompute_open(current_app.config, city_tz())
    click.echo(_("Сроки пересчитаны по производственному календарю; изменилось: %(n)d", n=moved))


def register(app):
    """Attach the command groups and `setup`."""
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(deadlines_cli)
    app.cli.add_command(processes.jobs_cli)

    @app.cli.command("setup")
    def setup():
        """Create or upgrade the database; in demo mode load demo data on the first start and print the logins."""
        upgrade(directory=current_app.extensions["migrate"].directory)
        reference.ensure()
        if current_app.config["DEMO"]:
            users = demo.load()
            click.echo("")
            click.echo("Демо-доступ (пароль у всех: demo):")
            for login, role in users:
                click.echo(f"  {login:<10} {ROLE_NAMES[role]}")
            click.echo(f"Демо-лента ЦУР: {ensure_source(os.environ.get('PORT', '5000'))}")
            click.echo("")
        click.echo(f"База данных: {current_app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")
        # settings and the `holidays` package only change with a restart, which runs this
        moved = deadlines.recompute_open(current_app.config, city_tz())
        click.echo(_("Сроки пересчитаны по производственному календарю; изменилось: %(n)d", n=moved))
