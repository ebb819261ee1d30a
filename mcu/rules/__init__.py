"""Keyword routing rules, edited by admins on a page and with `flask rules ...`."""


def init_app(app):
    """Register the rules page and the `rules` command group."""
    # app factory: the views load when the app is made, never when a module imports this area
    from . import cli, views

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.rules_cli)
