"""The feed sources page (admins): list with health, create, edit, enable, disable, poll now; the board badge."""
import json

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from redis.exceptions import RedisError

from .. import queue as mcu_queue
from ..extensions import db
from ..feeds import KIND_NAMES
from ..models import FeedSource
from ..roles import can
from . import health, service
from .forms import SourceForm

bp = Blueprint("sources", __name__, url_prefix="/sources")


def kind_names() -> dict:
    """Adapter kinds and their names, from the adapters' own table."""
    return dict(KIND_NAMES)


def require_admin():
    """Only those who manage feeds see or change them."""
    if not can(current_user.role, "manage_feeds"):
        abort(403)


def masked(credentials: str) -> str:
    """Stored credentials in words: never the secret itself."""
    if not credentials:
        return _("не задан")
    if len(credentials) >= 12:
        return _("задан (…%(tail)s)", tail=credentials[-2:])
    return _("задан")


@bp.get("/")
@login_required
def index():
    """Every feed source with its health: last success, last error in words, failures in a row, lag."""
    require_admin()
    sources = db.session.scalars(db.select(FeedSource).order_by(FeedSource.name)).all()
    rows = [(s, health.of(s), masked(s.credentials)) for s in sources]
    return render_template("sources/index.html", rows=rows, kinds=kind_names(),
                           queue=mcu_queue.status(current_app))


def _form(source: FeedSource | None = None) -> SourceForm:
    form = SourceForm(obj=source)
    form.kind.choices = list(kind_names().items())
    if source is not None and not form.is_submitted():
        form.field_mapping.data = _mapping_text(source.field_mapping)
        form.credentials.data = ""
    return form


def _mapping_text(mapping) -> str:
    return json.dumps(mapping, ensure_ascii=False, indent=2) if mapping else ""


def _refused(form: SourceForm, exc: service.SourceError) -> None:
    """Show the service's reason under its field."""
    field = getattr(form, exc.field)
    field.errors = list(field.errors) + [str(exc)]


@bp.get("/new")
@login_required
def new():
    """The empty source form."""
    require_admin()
    return render_template("sources/form.html", form=_form(), source=None, stored_credentials=None)


@bp.post("/new")
@login_required
def create():
    """Store a new source; it is polled on the scheduler's next tick."""
    require_admin()
    form = _form()
    if form.validate_on_submit():
        try:
            source = service.add(form.name.data, form.kind.data, form.url.data, form.interval_seconds.data,
                                 form.credentials.data or "", form.enabled.data, form.mapping())
        except service.SourceError as exc:
            db.session.rollback()
            _refused(form, exc)
        else:
            flash(_("Источник «%(name)s» добавлен.", name=source.name), "ok")
            return redirect(url_for("sources.index"))
    return render_template("sources/form.html", form=form, source=None, stored_credentials=None), 400


def source_or_404(source_id: int) -> FeedSource:
    return db.get_or_404(FeedSource, source_id)


@bp.get("/<int:source_id>/edit")
@login_required
def edit(source_id):
    """The source's form, credentials left blank (blank keeps them)."""
    require_admin()
    source = source_or_404(source_id)
    return render_template("sources/form.html", form=_form(source), source=source,
                           stored_credentials=masked(source.credentials))


@bp.post("/<int:source_id>/edit")
@login_required
def update(source_id):
    """Save the source; a new URL or kind starts reading it from the beginning."""
    require_admin()
    source = source_or_404(source_id)
    form = _form(source)
    if form.validate_on_submit():
        credentials = "" if form.clear_credentials.data else (form.credentials.data or None)
        try:
            service.change(source, form.name.data, form.kind.data, form.url.data, form.interval_seconds.data,
                           form.enabled.data, form.mapping(), credentials)
        except service.SourceError as exc:
            _refused(form, exc)
        else:
            flash(_("Источник «%(name)s» сохранён.", name=source.name), "ok")
            return redirect(url_for("sources.index"))
    db.session.rollback()
    return render_template("sources/form.html", form=form, source=source,
                           stored_credentials=masked(source.credentials)), 400


@bp.post("/<int:source_id>/enable")
@login_required
def enable(source_id):
    """Start polling the source again, its failure count cleared."""
    require_admin()
    source = source_or_404(source_id)
    service.enable(source)
    flash(_("Источник «%(name)s» включён.", name=source.name), "ok")
    return redirect(url_for("sources.index"))


@bp.post("/<int:source_id>/disable")
@login_required
def disable(source_id):
    """Stop polling the source; what it brought stays."""
    require_admin()
    source = source_or_404(source_id)
    service.disable(source)
    flash(_("Источник «%(name)s» выключен.", name=source.name), "ok")
    return redirect(url_for("sources.index"))


@bp.post("/<int:source_id>/poll")
@login_required
def poll_now(source_id):
    """Put a poll of the source on the queue now (unless one is already waiting or running)."""
    require_admin()
    source = source_or_404(source_id)
    try:
        job_id = service.poll_soon(mcu_queue.connect(current_app, mcu_queue.PROBE_TIMEOUT * 10), source,
                                   current_app.config["POLL_JOB_TIMEOUT_SECONDS"])
    except (RedisError, OSError):
        flash(_("Очередь недоступна: опрос не поставлен. Проверьте Redis и обработчик очереди."), "error")
        return redirect(url_for("sources.index"))
    if job_id:
        flash(_("Опрос «%(name)s» поставлен в очередь.", name=source.name), "ok")
    else:
        flash(_("Опрос «%(name)s» уже в очереди или идёт.", name=source.name), "info")
    return redirect(url_for("sources.index"))


@bp.get("/badge")
@login_required
def badge():
    """The board header's feed badge alone, for its periodic refresh."""
    return render_template("sources/_badge.html")
