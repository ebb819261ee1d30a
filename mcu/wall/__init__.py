"""The control-room wall: a read-only screen opened with a display token, and the tokens' admin page and commands."""


def init_app(app):
    """Register the wall's blueprint and the `flask display-token` commands."""
    # app factory: the views load when the app is made, never when a module imports this area
    from . import cli, screen, views

    app.register_blueprint(views.bp)
    app.jinja_env.globals.update(wall_due=screen.due_words, wall_span=screen.short_span)
    app.cli.add_command(cli.display_token_cli)
