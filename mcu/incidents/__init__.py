"""Incidents: the list of all messages and one message's detail."""
from flask import Blueprint

bp = Blueprint("incidents", __name__, url_prefix="/incidents")

from . import views  # noqa: E402,F401
