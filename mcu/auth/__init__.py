"""Signing in and out."""


def init_app(app):
    """Register the sign-in pages."""
    # app factory: the views load when the app is made, never when a module imports this area
    from . import views

    app.register_blueprint(views.bp)
