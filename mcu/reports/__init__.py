"""Reports: a period's figures as the seed report writes them, with charts, exports and the report paragraph."""


def init_app(app):
    """Register the reports page, its charts and its exports."""
    # app factory: the views load when the app is made, never when a module imports this area
    from . import views

    app.register_blueprint(views.bp)
