"""An Open311 source's services and the topic each one brings its requests into (admins).

The page reads the server's services list live (a short timeout: a person is waiting) and shows, per
service, the topic chosen for it, or the topic its name already matches; saving writes the choices into
the source's field mapping (`services` by code, `topics` by name), where ingestion reads them.
"""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from ..extensions import db
from ..feeds import open311
from ..feeds.records import FeedError
from ..feeds.routing import fold
from ..models import FeedSource, Topic
from .polling import http_session
from .views import bp, require_admin, source_or_404

PAGE_TIMEOUT = (3, 10)  # connect, read: the admin is waiting for the page
PAGE_DEADLINE = 15  # seconds for the whole list


def _open311_source(source_id: int) -> FeedSource:
    source = source_or_404(source_id)
    if source.kind != "open311":
        abort(404)
    return source


def _server_services(source: FeedSource) -> tuple[list[dict], str]:
    """The services the server lists, and the reason in words when it could not be read."""
    try:
        with http_session(PAGE_DEADLINE, PAGE_TIMEOUT) as http:
            return open311.parse_services(open311.fetch_services(source, http, timeout=PAGE_TIMEOUT)), ""
    except FeedError as exc:
        return [], str(exc)


def _rows(source: FeedSource, services: list[dict], topics: list[Topic]) -> list[dict]:
    """One row per service: the server's ones, then those the mapping names that the server no longer lists."""
    m = open311.mapping(source)
    by_name = {topic.name: topic for topic in topics}
    by_fold = {fold(topic.name): topic for topic in topics}
    rows, seen = [], set()
    for service in services:
        key = open311.service_key(service)
        if key in seen:
            continue
        seen.add(key)
        chosen = open311.chosen_topic(service, m)
        matched = None if chosen else by_fold.get(fold(service["name"]))
        rows.append({"key": key, **service, "chosen": chosen, "matched": matched,
                     "selected": by_name[chosen].id if chosen in by_name else None, "listed": True})
    for kind, table in (("c", m["services"]), ("n", m["topics"])):
        for value, chosen in table.items():
            key = f"{kind}:{value}"
            if key not in seen:
                seen.add(key)
                rows.append({"key": key, "code": value if kind == "c" else "", "name": value if kind == "n" else "",
                             "group": "", "keywords": "", "chosen": chosen, "matched": None,
                             "selected": by_name[chosen].id if chosen in by_name else None, "listed": False})
    return rows


@bp.get("/<int:source_id>/services")
@login_required
def services(source_id):
    """The source's services with the topic each one brings its requests into."""
    require_admin()
    source = _open311_source(source_id)
    topics = db.session.scalars(db.select(Topic).order_by(Topic.name)).all()
    listed, problem = _server_services(source)
    return render_template("sources/services.html", source=source, topics=topics, problem=problem,
                           rows=_rows(source, listed, topics))


@bp.post("/<int:source_id>/services")
@login_required
def save_services(source_id):
    """Store the topic chosen per service in the source's mapping; an empty choice removes it."""
    require_admin()
    source = _open311_source(source_id)
    keys, chosen = request.form.getlist("key"), request.form.getlist("topic")
    names = dict(db.session.execute(db.select(Topic.id, Topic.name)).all())
    if len(keys) != len(chosen) or any(not k.startswith(("c:", "n:")) or len(k) > 400 for k in keys) or any(
            c and (not c.isdigit() or int(c) not in names) for c in chosen):
        topics = db.session.scalars(db.select(Topic).order_by(Topic.name)).all()
        listed, problem = _server_services(source)
        rows = _rows(source, listed, topics)
        submitted = dict(zip(keys, chosen, strict=False))
        for row in rows:  # keep what the person chose where it still makes sense
            value = submitted.get(row["key"], "")
            if value.isdigit() and int(value) in names:
                row["selected"] = int(value)
        flash(_("Сопоставление не сохранено: тематика удалена или список услуг изменился. "
                "Проверьте выбор и сохраните ещё раз."), "error")
        return render_template("sources/services.html", source=source, topics=topics, problem=problem,
                               rows=rows), 400
    choices = {key: names[int(c)] if c else None for key, c in zip(keys, chosen, strict=True)}
    source.field_mapping = open311.with_service_topics(source.field_mapping, choices)
    db.session.commit()
    set_count = sum(1 for c in choices.values() if c)
    flash(_("Тематики услуг «%(name)s» сохранены: задано %(n)d из %(total)d.", name=source.name, n=set_count,
            total=len(choices)), "ok")
    return redirect(url_for("sources.services", source_id=source.id))
