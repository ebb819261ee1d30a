"""The board: lanes by department, columns by status."""


def init_app(app):
    """Register the board pages."""
    # app factory: the views load when the app is made, never when a module imports this area
    from . import idle, views

    app.register_blueprint(views.bp)
    app.wsgi_app = idle.IdlePolls(app.wsgi_app, app)
