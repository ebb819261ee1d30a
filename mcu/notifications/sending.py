"""Sending released notifications, in RQ jobs: claim the rows atomically (a row is sent by one job only, never
twice), hand the message to its channel, and log the attempt on the row; a failed attempt raises so RQ tries
again with its backoff, and the last one marks the row failed.

A job killed between handing a message over and recording it leaves its row «sending»: it is not sent again
(never twice is the promise), and the page shows it so.
"""
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select, update

from ..extensions import db
from ..models import Notification, NotificationAttempt
from . import message
from .channels import DeliveryError, send_email, send_telegram
from .rules import EMAIL, FAILED, QUEUED, RETRY, SENDING, SENT
from .service import settings_of


def claim(ids: list[int]) -> list[Notification]:
    """Take these rows for this job (queued, or failed once and due for a retry); those another job took are left."""
    claimed = db.session.execute(
        update(Notification).where(Notification.id.in_(ids), Notification.state.in_((QUEUED, RETRY)))
        .values(state=SENDING, attempts=Notification.attempts + 1).returning(Notification.id)).scalars().all()
    db.session.commit()
    if not claimed:
        return []
    return list(db.session.scalars(select(Notification).where(Notification.id.in_(claimed)).order_by(Notification.id)
                                   .execution_options(populate_existing=True)))


def deliver(ids: list[int], now: datetime, cfg, tz: ZoneInfo) -> str:
    """Send these rows (one notification, or one person's digest by one channel) as one message."""
    rows = claim(ids)
    if not rows:
        return "nothing to send: already taken"
    first = rows[0]
    settings = settings_of(first.user_id)
    items = [(row.event, message.card(row.incident_id, cfg, tz)) for row in rows]
    if len(rows) == 1 and not first.digest:
        subject, text = message.headline(*items[0]), message.body(*items[0])
    else:
        subject, text = message.digest(items)
    try:
        if first.channel == EMAIL:
            if not (settings.email and cfg["SMTP_HOST"]):
                raise DeliveryError(_("e-mail: адрес не указан или отправка почты не настроена"))
            send_email(cfg, settings.email, subject, text)
        else:
            if not (settings.telegram_chat_id and cfg["TELEGRAM_BOT_TOKEN"]):
                raise DeliveryError(_("Telegram: чат не привязан или бот не настроен"))
            send_telegram(cfg, settings.telegram_chat_id, text)
    except DeliveryError as exc:
        last = first.attempts > len(cfg["NOTIFY_RETRY_SECONDS"])
        _record(rows, FAILED if last else RETRY, now, str(exc))
        raise
    _record(rows, SENT, now, "")
    return f"sent {len(rows)} by {first.channel}"


def _record(rows, state: str, now: datetime, error: str) -> None:
    for row in rows:
        db.session.add(NotificationAttempt(notification_id=row.id, at=now, ok=state == SENT, error=error))
    db.session.execute(update(Notification).where(Notification.id.in_([r.id for r in rows]))
                       .values(state=state, last_error=error, sent_at=now if state == SENT else None))
    db.session.commit()
