"""Upload pages: choose a file → preview with per-row errors → confirm → result. Operators and admins."""
from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..roles import can
from ..timefmt import city_tz
from . import bp, service
from . import table as table_module
from .table import FIELD_NAMES, TableError

ALLOWED = (".csv", ".xlsx")


def _allowed():
    """Only roles granted «import» may use these pages."""
    if not can(current_user.role, "import"):
        abort(403)


def _limit() -> int:
    return int(current_app.config.get("IMPORT_MAX_BYTES", 10 * 1024 * 1024))


@bp.url_value_preprocessor
def _cap_body(endpoint, values):
    """Cap the request body before anything reads it (the CSRF check parses the form first): 413 past it."""
    request.max_content_length = _limit() + 64 * 1024


@bp.get("/")
@login_required
def upload():
    """The upload form."""
    _allowed()
    return render_template("imports/upload.html", limit_mb=_limit() // (1024 * 1024))


@bp.post("/")
@login_required
def receive():
    """Keep the uploaded file server-side and go to its preview; a file that cannot be read is said so."""
    _allowed()
    file = request.files.get("file")
    error = None
    if file is None or not file.filename:
        error = _("Выберите файл CSV или XLSX.")
    elif not file.filename.lower().endswith(ALLOWED):
        error = _("Поддерживаются только файлы CSV и XLSX.")
    else:
        data = file.read(_limit() + 1)
        if len(data) > _limit():
            error = _("Файл больше %(n)d МБ.", n=_limit() // (1024 * 1024))
        elif not data.strip():
            error = _("Файл пуст.")
        else:
            try:
                table_module.read(data, file.filename)  # the header row is there; rows are checked on preview
            except TableError as exc:
                error = str(exc)
            else:
                token = service.keep_upload(data, file.filename, current_user.id)
                return redirect(url_for("imports.show", token=token), 303)
    return render_template("imports/upload.html", error=error, limit_mb=_limit() // (1024 * 1024)), 400


def _upload(token: str):
    """The kept file, if it exists and belongs to this user (an admin may confirm anyone's)."""
    found = service.load_upload(token)
    if found is None:
        abort(404, _("Загруженный файл не найден: загрузите его снова."))
    data, meta = found
    if meta.get("user_id") != current_user.id and current_user.role != "admin":
        abort(404, _("Загруженный файл не найден: загрузите его снова."))
    return data, meta


def _unreadable(token: str, exc: TableError):
    """A file that cannot be read as a table: drop it and show the upload form with the reason (400)."""
    service.drop_upload(token)
    return render_template("imports/upload.html", error=str(exc), limit_mb=_limit() // (1024 * 1024)), 400


@bp.get("/<token>")
@login_required
def show(token: str):
    """The preview: columns found, the first rows as they will be stored, and every row error."""
    _allowed()
    data, meta = _upload(token)
    try:
        found = service.preview(data, meta["filename"])
    except TableError as exc:
        return _unreadable(token, exc)
    return render_template("imports/preview.html", token=token, filename=meta["filename"], found=found,
                           field_names=FIELD_NAMES, tz=city_tz())


@bp.post("/<token>")
@login_required
def confirm(token: str):
    """Store every good row in one transaction and show what happened, row by row."""
    _allowed()
    data, meta = _upload(token)
    try:
        result, found = service.import_data(data, meta["filename"], user_id=current_user.id)
    except TableError as exc:
        return _unreadable(token, exc)
    service.drop_upload(token)
    return render_template("imports/result.html", filename=meta["filename"], result=result, found=found)
