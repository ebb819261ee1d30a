"""`flask --app mcu import FILE`: import a CSV or XLSX export from the command line."""
from pathlib import Path

import click
from flask.cli import with_appcontext

from .service import SOURCE, import_data, preview
from .table import FIELD_NAMES, TableError


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", default=SOURCE, show_default=True, help="Source name the IDs belong to.")
@click.option("--channel", default="im", show_default=True, help="Channel code for rows without «Канал».")
@click.option("--dry-run", is_flag=True, help="Only check the file and show what would be imported.")
@with_appcontext
def import_command(file, source, channel, dry_run):
    """Import incidents from a CSV or XLSX export (columns found by their Russian headers)."""
    data = file.read_bytes()
    try:
        if dry_run:
            found = preview(data, file.name)
            errors, summary = found.errors, f"к импорту: {len(found.records)}"
            table = found.table
        else:
            result, found = import_data(data, file.name, source=source, default_channel=channel)
            errors, table = result.errors, found.table
            summary = f"создано: {result.created}, обновлено: {result.updated}, без изменений: {result.unchanged}"
    except TableError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo("Столбцы: " + ", ".join(f"{FIELD_NAMES[f]} ← «{table.headers[i]}»" for f, i in table.columns.items()))
    if table.unknown:
        click.echo("Сохранены как есть: " + ", ".join(f"«{h}»" for h in table.unknown))
    click.echo(f"{summary}, строк с ошибками: {len(errors)}")
    for error in errors:
        click.echo(f"  строка {error.row}: {error.message}")
