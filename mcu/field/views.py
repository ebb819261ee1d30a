"""Field work over HTTP: «Мои задачи», one task, a send (a progress step, a comment, photos), and the photos.

A send carries the form's one-time token; static/js/field.js keeps what was typed and the photos chosen in the
browser until the server confirms, and sends the same token again after a failure, so a send is applied once.
"""
import logging
import os

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from ..access import may, reaches
from ..extensions import db
from ..incidents import verbs
from ..incidents.store import used_once
from ..models import Incident, Topic, utcnow
from ..roles import can
from ..timefmt import city_tz
from ..web import is_htmx, whole_number
from ..workflow import AFTER, CANNOT, FIELD_STEPS, PHOTO_TAGS, STATUS_NAMES
from . import photos, queries
from .tasks import present

log = logging.getLogger(__name__)

bp = Blueprint("field", __name__, url_prefix="/field")

BUTTONS = {**FIELD_STEPS, CANNOT: _l("Не могу выполнить")}  # the card says «Не может выполнить»
PHOTO_CACHE = "private, max-age=86400"  # a photo never changes under its id; only this person's browser keeps it
RETRY_AFTER_FULL_DISK = 300
REFUSED_HEADER = "X-MCU-Refused-Files"  # which chosen photos (0-based, in the order sent) were refused


@bp.url_value_preprocessor
def _cap_body(endpoint, values):
    """Cap a send's body before anything reads it (the CSRF check parses the form first): 413 past it."""
    cfg = current_app.config
    request.max_content_length = cfg["PHOTO_MAX_BYTES"] * cfg["PHOTO_MAX_PER_SEND"] + 1024 * 1024


@bp.errorhandler(413)
def _too_much(exc):
    """More than a send may carry: a Russian notice; the browser keeps the draft."""
    cfg = current_app.config
    notice = _("Слишком много за одну отправку: не больше %(n)d фото по %(mb)d МБ. Отправьте часть фото, потом "
               "остальные.", n=cfg["PHOTO_MAX_PER_SEND"], mb=cfg["PHOTO_MAX_BYTES"] // (1024 * 1024))
    template = "errors/_notice.html" if is_htmx() else "errors/error.html"
    return render_template(template, code=413, notice=notice), 413


def _worker() -> None:
    """«Мои задачи» is the field staff's page."""
    if not can(current_user.role, "progress"):
        abort(403, description=_("«Мои задачи» — страница исполнителей. Ваши сообщения — на доске."))


def _task(incident: Incident, topic: str | None = None, photo_list=None):
    if topic is None and incident.topic_id is not None:
        topic = db.session.get(Topic, incident.topic_id).name
    if photo_list is None:
        photo_list = queries.photos_of([incident.id]).get(incident.id, [])
    return present(incident, topic, current_user, utcnow(), current_app.config["CITY_NAME"], photo_list)


def _context(**extra) -> dict:
    return {"statuses": STATUS_NAMES, "steps": FIELD_STEPS, "buttons": BUTTONS, "tags": PHOTO_TAGS,
            "after": AFTER, "cannot": CANNOT, "notice": "", "ok": True, "typed": {}, **extra}


@bp.get("/")
@login_required
def tasks():
    """«Мои задачи»: the worker's open assignments, most urgent first, each with what, where, by when."""
    _worker()
    rows = queries.my_tasks(current_user)
    found = queries.photos_of([incident.id for incident, _topic in rows])
    now, city = utcnow(), current_app.config["CITY_NAME"]
    return render_template("field/tasks.html", **_context(
        tasks=[present(incident, topic, current_user, now, city, found.get(incident.id, ())) for incident, topic in rows],
        capped=len(rows) == queries.TASKS_SHOWN))


def _reachable(incident_id: int) -> Incident:
    """The task's incident: 404 out of the user's reach (never disclosed), 403 for a role that does no field work."""
    incident = db.session.get(Incident, incident_id, populate_existing=True)
    if incident is None or not reaches(current_user, incident):
        abort(404)
    if not may(current_user, incident, "progress"):
        abort(403, description=_("Отмечать ход работы может только исполнитель сообщения."))
    return incident


@bp.get("/tasks/<int:incident_id>")
@login_required
def task(incident_id: int):
    """One task on its own page (a link from the list; where a send without JavaScript comes back)."""
    return render_template("field/task.html", **_context(task=_task(_reachable(incident_id))))


def _answer(incident_id: int, notice: str, ok: bool, status: int = 200, headers=None):
    """The task as it is now with a notice: its block for the script's send, the page (ok: a redirect) otherwise."""
    incident = db.session.get(Incident, incident_id, populate_existing=True)
    if is_htmx() or not ok:
        typed = {} if ok else request.form
        context = _context(task=_task(incident), notice=notice, ok=ok, typed=typed)
        body = render_block("field/task.html", "task", **context) if is_htmx() else \
            render_template("field/task.html", **context)
        return make_response(body, status, headers or {})
    flash(notice, "ok")
    target = "field.task" if reaches(current_user, incident) else "field.tasks"
    return redirect(url_for(target, incident_id=incident_id) if target == "field.task" else url_for(target), 303)


def _once() -> str | None:
    return (request.form.get("form_token") or "").strip()[:64] or None


def _chosen() -> list:
    """The photos sent, with each one's tag (a tag per photo from the script, one for all from a plain form)."""
    files = [f for f in request.files.getlist("photos") if f and f.filename]
    tags = request.form.getlist("photo_tag")
    shared = request.form.get("tag", AFTER)
    if len(tags) != len(files):
        tags = [shared] * len(files)
    return list(zip(files, tags, strict=True))


def _read_photos(chosen: list):
    """Each chosen photo checked and made ready to store; (ready, refusals as (index, notice))."""
    limits, tz = photos.Limits.of(current_app.config), city_tz()
    ready, refused = [], []
    for index, (upload, tag) in enumerate(chosen):
        if tag not in PHOTO_TAGS:
            refused.append((index, _("Отметьте, что на фото: «до» или «после».")))
            continue
        try:
            ready.append((tag, photos.process(upload.stream.read(limits.max_bytes + 1), limits, tz)))
        except photos.BadPhoto as exc:
            refused.append((index, exc.notice))
    return ready, refused


@bp.post("/tasks/<int:incident_id>")
@login_required
def send(incident_id: int):
    """A send from a task: a progress step (empty: none), a comment (the reason for «Не могу выполнить») and photos;
    all of it is carried out, or nothing and the reason. The same send twice (its token) is carried out once."""
    once = _once()
    first = used_once(once, current_user)
    if first is not None:  # a resend of a send carried out (its answer was lost): the task as it is now
        if first.incident_id != incident_id:
            abort(404)
        return _answer(incident_id, verbs.Repeat(incident_id).notice, True)
    _reachable(incident_id)
    step = (request.form.get("step") or "").strip()
    chosen = _chosen()
    cfg = current_app.config
    if len(chosen) > cfg["PHOTO_MAX_PER_SEND"]:
        return _answer(incident_id, _("Не больше %(n)d фото за одну отправку.", n=cfg["PHOTO_MAX_PER_SEND"]),
                       False, 400)
    ready, refused = _read_photos(chosen)
    if refused:
        notice = " ".join(_("Фото %(n)d не принято: %(why)s", n=index + 1, why=why) for index, why in refused)
        notice += " " + _("Остальное не отправлено и сохранено: уберите это фото и отправьте ещё раз.")
        return _answer(incident_id, notice, False, 400, {REFUSED_HEADER: ",".join(str(i) for i, _w in refused)})
    folder, stored = cfg["PHOTO_DIR"], []
    try:
        for tag, photo in ready:
            stored.append((tag, photos.store(photo, folder)))
        outcome = verbs.report_progress(
            incident_id, current_user, step=step, text=request.form.get("text", ""),
            photos=[(tag, kept.columns) for tag, kept in stored], requires=cfg["FIELD_DONE_REQUIRES"],
            expected_version=whole_number(request.form.get("version")) if step else None, once=once)
    except photos.NoSpace:
        photos.discard(folder, [kept.stored_name for _tag, kept in stored])
        log.error("field: no space left in %s", folder)
        return _answer(incident_id, _("На сервере закончилось место для фото: ничего не отправлено, всё сохранено на "
                                      "телефоне. Повторите позже."), False, 503,
                       {"Retry-After": str(RETRY_AFTER_FULL_DISK)})
    except verbs.ActionError as exc:
        photos.discard(folder, [kept.stored_name for _tag, kept in stored])
        db.session.rollback()
        if isinstance(exc, verbs.Repeat) or (exc.status == 409 and used_once(once, current_user)):
            return _answer(incident_id, verbs.Repeat(incident_id).notice, True)
        if exc.status == 404:
            abort(404)
        return _answer(incident_id, exc.notice, False, exc.status)
    except BaseException:
        photos.discard(folder, [kept.stored_name for _tag, kept in stored])
        raise
    return _answer(incident_id, _sent(outcome, step, len(stored)), True)


def _sent(outcome, step: str, photo_count: int) -> str:
    """What the worker reads after a send went through."""
    if outcome.noop:
        return _("Это уже отмечено.")
    parts = []
    if step == CANNOT:
        parts.append(_("Сообщение возвращено руководителю с вашей причиной."))
    elif step:
        parts.append(_("Отмечено: «%(step)s».", step=FIELD_STEPS[step]))
    if photo_count:
        parts.append(_("Фото отправлено: %(n)d.", n=photo_count))
    return " ".join(parts) or _("Комментарий отправлен.")


def _serve(photo_id: int, thumbnail: bool):
    """A photo's file to someone who may reach its incident; 404 to anyone else, signed in or not."""
    if not current_user.is_authenticated:
        abort(404)
    photo = queries.visible_photo(photo_id, current_user)
    if photo is None:
        abort(404)
    path = photos.path_of(current_app.config["PHOTO_DIR"], photo.thumb_name if thumbnail else photo.stored_name)
    if path is None or not os.path.isfile(path):
        log.warning("photo %s: its file is missing", photo_id)
        abort(404)
    response = send_file(path, mimetype=photo.content_type, conditional=True,
                         download_name=f"photo-{photo.id}{'-small' if thumbnail else ''}.jpg")
    response.headers["Cache-Control"] = PHOTO_CACHE
    return response


@bp.get("/photos/<int:photo_id>")
def photo(photo_id: int):
    """A photo in full (upright, without metadata)."""
    return _serve(photo_id, thumbnail=False)


@bp.get("/photos/<int:photo_id>/small")
def thumbnail(photo_id: int):
    """A photo's thumbnail."""
    return _serve(photo_id, thumbnail=True)


@bp.post("/photos/<int:photo_id>/answer")
@login_required
def photo_answer(photo_id: int):
    """Put a photo into the public answer, or take it out (who answers the incident)."""
    attach = request.form.get("attach") == "1"
    once = _once()
    incident_id = None
    try:
        if used_once(once, current_user) is None:
            photo = verbs.photo_in_answer(photo_id, current_user, attach, once=once)
            incident_id = photo.incident_id
            flash(_("Фото приложено к ответу.") if attach else _("Фото убрано из ответа."), "ok")
    except verbs.ActionError as exc:
        db.session.rollback()
        if not isinstance(exc, verbs.Repeat):
            abort(exc.status, description=exc.notice)
    if incident_id is None:
        photo = queries.visible_photo(photo_id, current_user)
        if photo is None:
            abort(404)
        incident_id = photo.incident_id
    return redirect(url_for("incidents.detail", incident_id=incident_id, _anchor="photos"), 303)
