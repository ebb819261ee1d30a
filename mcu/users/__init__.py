"""The people who sign in: admins manage them on a page; everyone changes their own password."""
from flask import Blueprint

bp = Blueprint("users", __name__)


def init_app(app):
    """Register the users pages."""
    from . import views  # noqa: F401

    app.register_blueprint(bp)
