"""Import of CSV/XLSX exports: an upload page for operators (upload → preview → confirm) and a CLI command."""
from flask import Blueprint

bp = Blueprint("imports", __name__, url_prefix="/import")


def init_app(app):
    """Register the upload pages and `flask import FILE`."""
    from . import cli, views  # noqa: F401

    app.register_blueprint(bp)
    app.cli.add_command(cli.import_command)
