"""Keyword routing rules, edited by admins on a page and with `flask rules ...`."""
from flask import Blueprint

bp = Blueprint("rules", __name__, url_prefix="/rules")


def init_app(app):
    """Register the rules page and the `rules` command group."""
    from . import cli, views  # noqa: F401

    app.register_blueprint(bp)
    app.cli.add_command(cli.rules_cli)
