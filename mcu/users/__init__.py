"""The people who sign in: admins manage them on a page; everyone changes their own password."""


def init_app(app):
    """Register the users pages."""
    # app factory: the views load when the app is made, never when a module imports this area
    from . import views

    app.register_blueprint(views.bp)
