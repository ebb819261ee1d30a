"""Incidents: the list of all incidents, one incident's detail, the verbs on it and manual entry."""


def init_app(app):
    """Register the incident pages (the list and detail, the actions, manual entry) on one blueprint."""
    # app factory: the views load when the app is made, never when a module imports this area
    from . import actions, bulk, manual, views  # noqa: F401

    app.register_blueprint(views.bp)
