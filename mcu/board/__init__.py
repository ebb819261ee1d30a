"""The board: lanes by department, columns by status."""
from flask import Blueprint

bp = Blueprint("board", __name__)

from . import views  # noqa: F401
