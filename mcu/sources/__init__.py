"""Feed sources: the admin page, their health badge on the board, the `flask feeds` commands, the demo feed."""


def init_app(app):
    """Register the blueprints, the badge's template global and the command group."""
    # app factory: the views load when the app is made, never when a module imports this area
    from ..roles import can
    from . import cli, demo_feed, health, open311_services, views  # noqa: F401

    app.register_blueprint(views.bp)
    app.register_blueprint(demo_feed.bp)
    app.jinja_env.globals["feed_badge"] = health.badge
    app.jinja_env.globals.setdefault("can", can)
    app.cli.add_command(cli.feeds_cli)
