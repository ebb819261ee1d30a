"""Import of CSV/XLSX exports: an upload page for operators (upload → preview → confirm, big files in a job with
progress) and a CLI command."""


def init_app(app):
    """Register the upload pages, `flask import FILE` and the `thousands` filter («100 000»)."""
    # app factory: the views load when the app is made, never when a module imports this area
    from . import cli, views
    from .table import number  # the same: the filter is the area's, registered with it

    app.register_blueprint(views.bp)
    app.cli.add_command(cli.import_command)
    app.add_template_filter(number, "thousands")
