"""Feed sources: the admin page, their health badge on the board, the `flask feeds`/`flask jobs` commands, the demo feed."""
from flask import Blueprint

bp = Blueprint("sources", __name__, url_prefix="/sources")

from . import services, views  # noqa: F401


def init_app(app):
    """Register the blueprints, the badge's template global and the command groups."""
    from ..roles import can
    from . import cli, demo_feed, health
    app.register_blueprint(bp)
    app.register_blueprint(demo_feed.bp)
    app.jinja_env.globals["feed_badge"] = health.badge
    app.jinja_env.globals.setdefault("can", can)
    app.cli.add_command(cli.feeds_cli)
    app.cli.add_command(cli.jobs_cli)
