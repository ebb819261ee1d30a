"""The bell (a count in the top bar, polled cheaply), the «Уведомления» page (each notification and every attempt
to deliver it, live like the bell) and the «Профиль» page (channels per event, e-mail, quiet hours, digest,
Telegram link)."""
import re

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import case, func, select, update

from ..extensions import db, login_manager
from ..models import Notification, NotificationAttempt, NotificationSettings, utcnow
from ..web import whole_number
from .rules import APP, CHANNEL_NAMES, EMAIL, EVENT_NAMES, STATE_NAMES, TELEGRAM, events_for
from .service import settings_of
from .telegram import new_code

bp = Blueprint("notifications", __name__)
PAGE = 100  # notifications the page lists, newest first
EMAIL_FORMAT = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def state_of(user_id: int) -> tuple[str, int]:
    """(version, unread count) of a person's notifications in one statement: the version moves with every new row,
    attempt, delivery and reading, so an unchanged one is a 204."""
    row = db.session.execute(select(
        func.count(), func.coalesce(func.max(Notification.id), 0), func.coalesce(func.sum(Notification.attempts), 0),
        func.count(Notification.read_at), func.count(Notification.sent_at),
        func.coalesce(func.sum(case(((Notification.channel == APP) & Notification.read_at.is_(None), 1), else_=0)), 0))
        .where(Notification.user_id == user_id)).one()
    return ".".join(str(int(v)) for v in row[:5]), int(row[5])


def _session_user() -> int | None:
    """The signed-in person's id as the session says (the bell's 204 needs no user lookup)."""
    ident = str(session.get("_user_id", "")).partition(":")[0]
    return whole_number(ident)


@bp.get("/notifications/bell")
def bell():
    """The bell's poll: 204 while the person's notifications are as the bell shows them (one statement, no
    template); else the bell with its count."""
    user_id = _session_user()
    if user_id is None:
        return login_manager.unauthorized()
    version, unread = state_of(user_id)
    if request.args.get("v") == version:
        return "", 204
    return _fresh_bell(version, unread)


@login_required
def _fresh_bell(version: str, unread: int):
    return render_template("notifications/_bell.html", version=version, unread=unread,
                           poll_seconds=current_app.config["BELL_POLL_SECONDS"])


@bp.get("/notifications/")
@login_required
def index():
    """The person's notifications, newest first, each with its channel, state and every attempt to deliver it."""
    version, unread = state_of(current_user.id)
    if request.args.get("v") == version:
        return "", 204
    rows = db.session.scalars(select(Notification).where(Notification.user_id == current_user.id)
                              .order_by(Notification.id.desc()).limit(PAGE)).all()
    attempts = {}
    if rows:
        for attempt in db.session.scalars(select(NotificationAttempt).where(
                NotificationAttempt.notification_id.in_([r.id for r in rows])).order_by(NotificationAttempt.id)):
            attempts.setdefault(attempt.notification_id, []).append(attempt)
    context = {"rows": rows, "attempts": attempts, "events": EVENT_NAMES, "channels": CHANNEL_NAMES,
               "states": STATE_NAMES, "version": version, "unread": unread,
               "poll_seconds": current_app.config["BELL_POLL_SECONDS"]}
    if request.args.get("v") is not None:
        return render_template("notifications/_list.html", **context)
    return render_template("notifications/index.html", **context)


@bp.post("/notifications/read")
@login_required
def mark_read():
    """Mark every notification in the app as read."""
    db.session.execute(update(Notification).where(Notification.user_id == current_user.id, Notification.channel == APP,
                                                  Notification.read_at.is_(None)).values(read_at=utcnow()))
    db.session.commit()
    flash(_("Уведомления отмечены как прочитанные."), "ok")
    return redirect(url_for("notifications.index"), 303)


def _profile_page(settings, errors=None, code="", status=200):
    cfg = current_app.config
    return render_template("notifications/profile.html", settings=settings, events=events_for(current_user.role),
                           event_names=EVENT_NAMES, channel_names=CHANNEL_NAMES, chosen=_chosen(settings),
                           email_on=bool(cfg["SMTP_HOST"]), telegram_on=bool(cfg["TELEGRAM_BOT_TOKEN"]),
                           bot_name=cfg["TELEGRAM_BOT_NAME"], code=code, errors=errors or {},
                           is_head=current_user.role == "head"), status


def _chosen(settings) -> dict:
    from_settings = settings.channels or {}
    return {event: set(from_settings.get(event, [APP])) for event in EVENT_NAMES}


@bp.get("/profile")
@login_required
def profile():
    """How and when this person is told: channels per event, e-mail, quiet hours, digest, the Telegram link."""
    return _profile_page(settings_of(current_user.id))


@bp.post("/profile")
@login_required
def save_profile():
    """Save the person's choices; a bad e-mail address comes back with the reason and what was typed."""
    settings = db.session.get(NotificationSettings, current_user.id)
    if settings is None:
        settings = settings_of(current_user.id)
        db.session.add(settings)
    email = request.form.get("email", "").strip()
    settings.channels = {event: [c for c in (APP, EMAIL, TELEGRAM) if request.form.get(f"{event}:{c}")]
                         for event in events_for(current_user.role)}
    settings.quiet_hours = bool(request.form.get("quiet_hours"))
    settings.digest = bool(request.form.get("digest")) and current_user.role == "head"
    if email and (len(email) > 254 or not EMAIL_FORMAT.match(email)):
        db.session.rollback()
        typed = settings_of(current_user.id)
        typed.email = email[:254]
        return _profile_page(typed, {"email": _("Это не адрес электронной почты.")}, status=400)
    settings.email = email
    db.session.commit()
    flash(_("Настройки уведомлений сохранены."), "ok")
    return redirect(url_for("notifications.profile"), 303)


@bp.post("/profile/telegram")
@login_required
def telegram_code():
    """A one-time code to send to the bot (the old one stops working), or the chat unlinked."""
    if request.form.get("unlink"):
        settings = db.session.get(NotificationSettings, current_user.id)
        if settings is not None:
            settings.telegram_chat_id = ""
            db.session.commit()
        flash(_("Telegram отвязан."), "ok")
        return redirect(url_for("notifications.profile"), 303)
    code = new_code(current_user.id, utcnow())
    return _profile_page(settings_of(current_user.id), code=code)
