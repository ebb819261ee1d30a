"""Upload pages: choose a file → preview with row errors → confirm → result; a big file is read and stored by a
job whose progress the page polls, with «Отменить». Operators and admins. HTTP only: the steps are service.py."""
import logging

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from ..errors import page as error_page
from ..files import FULL_DISK
from ..roles import can
from ..web import is_htmx
from . import mapping, service
from .matching import FIELD_TITLES, Reference
from .table import FIELD_NAMES, TableError, number
from .uploads import NoSpace, TooBig

bp = Blueprint("imports", __name__, url_prefix="/import")

log = logging.getLogger(__name__)

ALLOWED = (".csv", ".xlsx")
RETRY_AFTER_FULL_DISK = 300  # seconds a client is asked to wait when the disk is full
RETRY_AFTER_QUEUE_DOWN = 60


def _allowed():
    """Only roles granted «import» may use these pages."""
    if not can(current_user.role, "import"):
        abort(403)


def _limit_mb() -> str:
    return number(current_app.config["IMPORT_MAX_BYTES"] // (1024 * 1024))


def _page(**context) -> str:
    """The upload form, with the limits it states."""
    cfg = current_app.config
    return render_template("imports/upload.html", limit_mb=_limit_mb(), max_rows=number(cfg["IMPORT_MAX_ROWS"]),
                           background_mb=number(max(cfg["IMPORT_BACKGROUND_BYTES"] // (1024 * 1024), 1)), **context)


@bp.url_value_preprocessor
def _cap_body(endpoint, values):
    """Cap the request body before anything reads it (the CSRF check parses the form first): 413 past it."""
    request.max_content_length = current_app.config["IMPORT_MAX_BYTES"] + 64 * 1024


def _form(error: str, status: int = 400, retry_after: int | None = None):
    """The upload form again, saying why the file was not taken."""
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    return _page(error=error), status, headers


def _full_disk():
    log.error("import: no space left in %s", current_app.config["IMPORT_UPLOAD_DIR"])
    return _form(_("На сервере закончилось место для файлов: файл не сохранён. Попробуйте позже; если не "
                   "получится, сообщите администратору."), 503, RETRY_AFTER_FULL_DISK)


@bp.errorhandler(OSError)
def _os_error(exc):
    """A full disk anywhere on these pages (werkzeug spooling the upload included) is a 503, not a 500."""
    if exc.errno in FULL_DISK:
        return _full_disk()
    log.exception("unhandled error on %s %s", request.method, request.path)
    return error_page(500)


@bp.get("/")
@login_required
def upload():
    """The upload form."""
    _allowed()
    return _page()


@bp.post("/")
@login_required
def receive():
    """Keep the uploaded file, check it, and read it (a big one in a job); then its page. A refused file is said
    why, in words, and nothing of it is kept."""
    _allowed()
    file = request.files.get("file")
    if file is None or not file.filename:
        return _form(_("Выберите файл CSV или XLSX."))
    if not file.filename.lower().endswith(ALLOWED):
        return _form(_("Поддерживаются только файлы CSV и XLSX."))
    folder, limits = service.settings()
    try:
        upload = service.accept(file.stream, file.filename, current_user.id, folder, limits)
        service.start(folder, upload, limits)
    except TooBig:
        return _form(_("Файл больше %(n)s МБ.", n=_limit_mb()))
    except TableError as exc:
        return _form(str(exc))
    except service.QueueDown as exc:
        return _form(str(exc), 503, RETRY_AFTER_QUEUE_DOWN)
    except NoSpace:
        return _full_disk()
    return redirect(url_for("imports.show", token=upload.token), 303)


def _upload(token: str):
    """The upload, if it exists and belongs to this user (an admin may see anyone's)."""
    found = service.settings()[0].load(token)
    if found is None or (found.user_id != current_user.id and current_user.role != "admin"):
        abort(404, _("Загруженный файл не найден: загрузите его снова."))
    return found


def _progress(folder, upload) -> dict:
    """What the progress block shows: the job's state, rows read or records stored against the total, a percent."""
    state = service.job_state(folder, upload)
    if upload.step == "parsing":
        total = upload.rows_declared or (round(upload.rows_read / upload.fraction) if upload.fraction > 0.05 else None)
        done, estimated = upload.rows_read, upload.rows_declared is None
    else:
        done, total, estimated = upload.stored, upload.records, False
    percent = min(100, round(100 * done / total)) if total else round(100 * upload.fraction)
    return {"state": state, "done": number(done), "total": number(total) if total else None,
            "estimated": estimated, "percent": percent, "cancelling": folder.cancel_asked(upload.token)}


@bp.get("/<token>")
@login_required
def show(token: str):
    """An upload's page: a job's progress (polled every second), the preview, the result, or why it stopped."""
    _allowed()
    folder = service.settings()[0]
    upload = _upload(token)
    if upload.step in service.RUNNING:
        progress = _progress(folder, upload)
        if progress["state"] != "dead":
            context = {"upload": upload, "progress": progress}
            if is_htmx():
                return render_block("imports/progress.html", "progress", **context), {"Vary": "HX-Request"}
            return render_template("imports/progress.html", **context), {"Vary": "HX-Request"}
        upload.step = "failed"  # shown, not stored: a GET changes nothing
        upload.message = _("Обработка файла прервалась (остановился обработчик очереди). Загрузите файл снова.")
    if is_htmx():  # the job has ended: its page takes over
        return "", 200, {"HX-Redirect": url_for("imports.show", token=token), "Vary": "HX-Request"}
    if upload.step == "parsed":
        return _preview(upload)
    if upload.step == "done":
        return render_template("imports/result.html", upload=upload, made=mapping.created_lines(upload.made))
    return render_template("imports/stopped.html", upload=upload,
                           can_store=service.can_store_again(folder, upload))


def _preview(upload, errors=(), chosen=None) -> str:
    """The preview: columns, first rows, row errors, and a select for each name the reference does not know."""
    reference = Reference.load() if upload.unmatched else None
    return render_template("imports/preview.html", upload=upload, first=service.first_records(upload),
                           field_names=FIELD_NAMES, field_titles=FIELD_TITLES, reference=reference,
                           creatable=mapping.CREATABLE, form_name=mapping.form_name, mapping_errors=errors,
                           chosen=chosen or {})


@bp.post("/<token>")
@login_required
def confirm(token: str):
    """Store every good record (a big file by a job, in chunks, with progress) and show what happened."""
    _allowed()
    upload = _upload(token)
    folder, limits = service.settings()
    if not service.can_store_again(folder, upload):
        flash(_("Этот файл уже импортируется или импортирован."), "info")
        return redirect(url_for("imports.show", token=token), 303)
    if upload.step == "parsed":  # the names the reference does not know: as the operator chose, checked here
        choices, errors = mapping.read_form(upload.unmatched, request.form, Reference.load())
        if errors:
            return _preview(upload, errors=errors, chosen=request.form), 400
        upload.mapping = choices
        folder.save(upload)
    try:
        if upload.background:
            service.enqueue(folder, upload, "store")
        else:
            service.store(folder, upload, limits)
    except service.QueueDown as exc:
        flash(str(exc), "error")
        return _preview(upload, chosen=request.form), 503, {"Retry-After": str(RETRY_AFTER_QUEUE_DOWN)}
    except NoSpace:
        return _full_disk()
    return redirect(url_for("imports.show", token=token), 303)


@bp.post("/<token>/cancel")
@login_required
def cancel(token: str):
    """«Отменить»: stop a running import (what is stored stays) or drop a file waiting for confirmation."""
    _allowed()
    upload = _upload(token)
    folder = service.settings()[0]
    if upload.step in service.RUNNING:
        service.cancel(folder, upload)
        return redirect(url_for("imports.show", token=token), 303)
    if service.can_store_again(folder, upload):
        service.cancel(folder, upload)
        if upload.step == "parsed":
            flash(_("Файл «%(name)s» отброшен, ничего не импортировано.", name=upload.filename), "info")
        else:
            flash(_("Файл «%(name)s» отброшен.", name=upload.filename), "info")
        return redirect(url_for("imports.upload"), 303)
    return redirect(url_for("imports.show", token=token), 303)
