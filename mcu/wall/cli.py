"""`flask --app mcu display-token create|list|revoke`: the walls' tokens from the command line (the same verbs as
the admins' page)."""
import click
from flask import current_app
from flask.cli import AppGroup

from ..extensions import db
from ..models import Department
from ..timefmt import local
from . import tokens

display_token_cli = AppGroup("display-token", help="Display tokens of control-room walls.")


@display_token_cli.command("create")
@click.argument("name")
@click.option("--department", default=None, help="Department short name: the wall shows this department only.")
def create(name, department):
    """Make a token and print the wall's address with it (shown once; only its hash is kept)."""
    department_id = None
    if department:
        department_id = db.session.scalar(db.select(Department.id).filter_by(short_name=department))
        if department_id is None:
            raise click.ClickException(f"no department with short name {department!r}")
    try:
        _token, secret = tokens.create(name, department_id)
    except tokens.TokenError as exc:
        raise click.ClickException(str(exc)) from None
    base = current_app.config["BASE_URL"].rstrip("/")
    click.echo(f"{base}/wall?token={secret}")


@display_token_cli.command("list")
def list_tokens():
    """Every token: name, department, created, last seen, revoked."""
    for token in tokens.listed():
        state = f"revoked {local(token.revoked_at)}" if token.revoked_at else "active"
        click.echo("\t".join([token.name, token.department.short_name if token.department else "(город)",
                              f"created {local(token.created_at)}",
                              f"seen {local(token.last_seen_at) or '-'}", state]))


@display_token_cli.command("revoke")
@click.argument("name")
def revoke(name):
    """Revoke a token by name: its wall says «Доступ отозван» at its next request."""
    token = tokens.by_name(name)
    if token is None:
        raise click.ClickException(f"no display token named {name!r}")
    click.echo(f"revoked {token.name}" if tokens.revoke(token) else f"{token.name} was revoked already")
