"""Manual entry: an operator types in a message that came outside Инцидент-менеджмент."""
from datetime import UTC, datetime

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..lookups import load as load_lookups
from ..roles import can
from ..timefmt import city_tz
from . import verbs
from .forms import MANUAL_CHANNELS, ManualEntryForm
from .store import Repeat, used_once
from .views import bp


def _form(**kwargs) -> ManualEntryForm:
    lookups = load_lookups()
    channels = [lookups.channels_by_code[c] for c in MANUAL_CHANNELS if c in lookups.channels_by_code]
    return ManualEntryForm(channels=channels, topics=lookups.topics.values(),
                           departments=lookups.departments.values(),
                           now_local=datetime.now(UTC).astimezone(city_tz()), **kwargs)


def _require_enter() -> None:
    """Only roles granted «enter» type messages in by hand."""
    if not can(current_user.role, "enter"):
        abort(403, description=_("Вводить сообщения вручную может только оператор."))


@bp.get("/new")
@login_required
def new():
    """The empty manual-entry form (received time defaults to now)."""
    _require_enter()
    form = _form()
    form.received_at.data = datetime.now(UTC).astimezone(city_tz()).replace(tzinfo=None, second=0, microsecond=0)
    return render_template("incidents/manual.html", form=form)


@bp.post("/new")
@login_required
def create():
    """Store the typed message; on an error show the form again with everything as typed (400)."""
    _require_enter()
    once = (request.form.get("form_token") or "").strip()[:64] or None
    earlier = used_once(once, current_user)
    if earlier is not None:  # the same form again (a double click, a resend): the message entered the first time
        flash(Repeat(earlier.incident_id).notice, "info")
        return redirect(url_for("incidents.detail", incident_id=earlier.incident_id))
    form = _form()
    if not form.validate_on_submit():
        return render_template("incidents/manual.html", form=form), 400
    lookups = load_lookups()
    tz = city_tz()
    values = {
        "channel_id": lookups.channels_by_code[form.channel.data].id, "platform": form.platform.data,
        "author": form.author.data, "text": form.text.data, "url": form.url.data,
        "address": form.address.data, "topic_id": int(form.topic.data),
        "department_id": int(form.department.data) if form.department.data else None,
        "received_at": form.received_at.data.replace(tzinfo=tz).astimezone(UTC), "urgent": form.urgent.data,
    }
    try:
        incident = verbs.enter_manually(current_user, values, cfg=current_app.config, tz=tz, once=once)
    except Repeat:  # the same form sent twice at once: the other request stored it
        earlier = used_once(once, current_user)
        flash(Repeat(earlier.incident_id).notice, "info")
        return redirect(url_for("incidents.detail", incident_id=earlier.incident_id))
    flash(_("Сообщение №%(id)d добавлено.", id=incident.id), "ok")
    return redirect(url_for("incidents.detail", incident_id=incident.id))
