"""Incidents: the list of all messages, one message's detail, the actions on it and manual entry."""
from flask import Blueprint

bp = Blueprint("incidents", __name__, url_prefix="/incidents")

from . import actions, manual, views  # noqa: F401
