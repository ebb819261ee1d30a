"""`flask --app mcu import FILE`: import a CSV or XLSX export from the command line, with the upload page's
limits and verbs (read once, row by row; stored in chunks), printing progress as it goes."""
from pathlib import Path

import click
from flask.cli import with_appcontext

from ..timefmt import city_tz
from . import service
from .mapping import NEW_VALUE, created_lines, read_option
from .matching import FIELD_TITLES, Reference, normal
from .table import FIELD_NAMES, TableError, number
from .uploads import NoSpace, TooBig

CREATED_BY_DEFAULT = ("channel", "topic")  # an unknown department or status is never guessed: its rows are refused


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
@click.option("--map-channel", "map_channel", multiple=True, metavar="'ИМЯ=ЗНАЧЕНИЕ'",
              help="An unknown channel: an existing channel's name or code, new, or skip (its rows). Default: new.")
@click.option("--map-topic", "map_topic", multiple=True, metavar="'ИМЯ=ЗНАЧЕНИЕ'",
              help="An unknown topic: an existing topic, new (unrouted until an admin maps it), or skip. Default: new.")
@click.option("--map-department", "map_department", multiple=True, metavar="'ИМЯ=ЗНАЧЕНИЕ'",
              help="An unknown department: an existing one, new, or skip. Default: its rows are refused.")
@click.option("--map-status", "map_status", multiple=True, metavar="'ИМЯ=ЗНАЧЕНИЕ'",
              help="An unknown status: an existing status (name or code) or skip. Default: its rows are refused.")
@with_appcontext
def import_command(file, source, channel, dry_run, map_channel, map_topic, map_department, map_status):
    """Import incidents from a CSV or XLSX export (columns found by their Russian headers)."""
    folder, limits = service.settings()
    options = {"channel": map_channel, "topic": map_topic, "department": map_department, "status": map_status}
    try:
        reference = Reference.load()
        given = {f: dict(read_option(f, option, reference) for option in opts) for f, opts in options.items() if opts}
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    upload = None
    try:
        with open(file, "rb") as stream:
            upload = service.accept(stream, file.name, None, folder, limits)
        service.parse(folder, upload, limits, city_tz(), _progress)
        click.echo("Столбцы: " + ", ".join(f"{FIELD_NAMES[f]} ← «{upload.headers[i]}»"
                                           for f, i in upload.columns.items()))
        if upload.unknown:
            click.echo("Сохранены как есть: " + ", ".join(f"«{h}»" for h in upload.unknown))
        upload.mapping = _choices(upload.unmatched, given, reference)
        if dry_run:
            summary = f"к импорту: {number(upload.records)}"
        else:
            service.store(folder, upload, limits, _progress, source=source, default_channel=channel)
            for line in created_lines(upload.made):
                click.echo(f"Создано: {line}")
            summary = (f"создано: {number(upload.created)}, обновлено: {number(upload.updated)}, "
                       f"без изменений: {number(upload.unchanged)}, пропущено по выбору: {number(upload.skipped)}")
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


def _choices(unmatched: dict, given: dict, reference) -> dict:
    """The options' choices, and for each unknown name without one the command's default, said aloud: a channel or
    a topic is created, a department's or a status's rows are refused (nothing is ever replaced silently)."""
    choices = {f: dict(picked) for f, picked in given.items()}
    for field, names in unmatched.items():
        for name, rows in names:
            choice = choices.get(field, {}).get(normal(name))
            if choice is None and field in CREATED_BY_DEFAULT:
                choice = choices.setdefault(field, {})[normal(name)] = NEW_VALUE
            if choice is None:
                what = f"строки не импортируются (нужен --map-{field})"
            elif choice in ("new", "skip"):
                what = "создать" if choice == "new" else "пропустить строки"
            else:
                what = f"→ «{reference.target(field, choice[3:])}»"
            click.echo(f"Нет в справочнике — {FIELD_TITLES[field]} «{name}»: строк {number(rows)}; {what}")
    return choices
