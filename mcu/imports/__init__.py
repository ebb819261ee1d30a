"""Import of CSV/XLSX exports: an upload page for operators (upload → preview → confirm, big files in a job with
progress) and a CLI command."""
from flask import Blueprint

from .table import number

bp = Blueprint("imports", __name__, url_prefix="/import")


def init_app(app):
    """Register the upload pages, `flask import FILE` and the `thousands` filter («100 000»)."""
    from . import cli, views  # noqa: F401 -- here, not above: views register their routes on `bp`, defined above

    app.register_blueprint(bp)
    app.cli.add_command(cli.import_command)
    app.add_template_filter(number, "thousands")
