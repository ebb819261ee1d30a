"""A head's shortcuts: the department's answer templates and each person's saved board views."""


def init_app(app):
    """Register the answer templates' management page and the saved views' endpoints."""
    # app factory: the views load when the app is made, never when a module imports this area
    from . import views

    app.register_blueprint(views.bp)
