"""Feed sources: the admin page, their health badge on the board, the `flask feeds` commands, the demo feed."""
from flask import Blueprint

bp = Blueprint("sources", __name__, url_prefix="/sources")

from ..roles import can
from . import cli, demo_feed, health, open311_services, views  # noqa: F401


def init_app(app):
    """Register the blueprints, the badge's template global and the command group."""
    app.register_blueprint(bp)
    app.register_blueprint(demo_feed.bp)
    app.jinja_env.globals["feed_badge"] = health.badge
    app.jinja_env.globals.setdefault("can", can)
    app.cli.add_command(cli.feeds_cli)
