"""`flask --app mcu import FILE`: import a CSV or XLSX export from the command line, with the upload page's
limits and verbs (read once, row by row; stored in chunks), printing progress as it goes."""
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..timefmt import city_tz
from . import service
from .table import FIELD_NAMES, TableError, number
from .uploads import NoSpace, TooBig


def _progress(upload) -> None:
    if upload.step == "parsing":
        click.echo(f"  прочитано строк: {number(upload.rows_read)} ({round(100 * upload.fraction)} %)")
    else:
        click.echo(f"  сохранено записей: {number(upload.stored)} из {number(upload.records)}")


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--source", default=service.SOURCE, show_default=True, help="Source name the IDs belong to.")
@click.option("--channel", default="im", show_default=True, help="Channel code for rows without «Канал».")
@click.option("--dry-run", is_flag=True, help="Only check the file and show what would be imported.")
@with_appcontext
def import_command(file, source, channel, dry_run):
    """Import incidents from a CSV or XLSX export (columns found by their Russian headers)."""
    folder, limits = service.settings()
    upload = None
    try:
        with open(file, "rb") as stream:
            upload = service.accept(stream, file.name, None, folder, limits)
        service.parse(folder, upload, limits, city_tz(), _progress)
        click.echo("Столбцы: " + ", ".join(f"{FIELD_NAMES[f]} ← «{upload.headers[i]}»"
                                           for f, i in upload.columns.items()))
        if upload.unknown:
            click.echo("Сохранены как есть: " + ", ".join(f"«{h}»" for h in upload.unknown))
        if dry_run:
            summary = f"к импорту: {number(upload.records)}"
        else:
            service.store(folder, upload, limits, _progress, source=source, default_channel=channel)
            summary = (f"создано: {number(upload.created)}, обновлено: {number(upload.updated)}, "
                       f"без изменений: {number(upload.unchanged)}")
    except TooBig:
        raise click.ClickException(f"Файл больше {number(limits.max_bytes // (1024 * 1024))} МБ.") from None
    except TableError as exc:
        raise click.ClickException(str(exc)) from None
    except NoSpace:
        raise click.ClickException(f"Нет места на диске в {folder.path}.") from None
    finally:
        if upload is not None:
            folder.drop(upload.token)
    errors = upload.errors + upload.store_errors
    total = upload.error_count + upload.store_error_count
    click.echo(f"{summary}, строк с ошибками: {number(total)}")
    for row, message in errors:
        click.echo(f"  строка {row}: {message}")
    if total > len(errors):
        click.echo(f"  … и ещё {number(total - len(errors))}")
