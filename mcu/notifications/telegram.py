"""Linking a person's Telegram chat: the «Профиль» page shows a one-time code, the person sends it to the bot,
and a periodic job reads the bot's updates (getUpdates from the stored offset) and links the chat whose message
carries a valid code."""
import re
import secrets
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from ..dedup import insert_once
from ..extensions import db
from ..models import NotificationSettings, SweepCursor, User
from .channels import DeliveryError, bot_call, send_telegram
from .service import settings_of

CURSOR = "telegram"
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read off a screen and typed on a phone
CODE = re.compile(r"\b([A-HJ-NP-Z2-9]{8})\b")


def new_code(user_id: int, now: datetime) -> str:
    """A fresh one-time code for this person (the previous one stops working)."""
    settings = db.session.get(NotificationSettings, user_id)
    if settings is None:
        settings = settings_of(user_id)
        db.session.add(settings)
    settings.telegram_code = "".join(secrets.choice(ALPHABET) for _i in range(8))
    settings.telegram_code_at = now
    db.session.commit()
    return settings.telegram_code


def link_updates(now: datetime, cfg) -> int:
    """Read the bot's new updates and link every chat that sent a valid code; returns how many were linked.
    The offset is kept in the database, so an update is read once whichever worker runs this."""
    if not cfg["TELEGRAM_BOT_TOKEN"]:
        return 0
    cursor = db.session.get(SweepCursor, CURSOR)
    if cursor is None:
        insert_once(SweepCursor, name=CURSOR, value=0)
        db.session.commit()
        cursor = db.session.get(SweepCursor, CURSOR)
    updates = bot_call(cfg, "getUpdates", {"offset": cursor.value, "timeout": 0, "allowed_updates": ["message"]})
    linked, oldest = 0, now - timedelta(minutes=cfg["TELEGRAM_CODE_MINUTES"])
    for update in updates or []:
        cursor.value = max(cursor.value, int(update["update_id"]) + 1)
        chat = (update.get("message") or {}).get("chat") or {}
        found = CODE.search((update.get("message") or {}).get("text") or "")
        if not found or "id" not in chat:
            continue
        settings = db.session.scalar(select(NotificationSettings).where(
            NotificationSettings.telegram_code == found.group(1), NotificationSettings.telegram_code_at >= oldest))
        if settings is None:
            _reply(cfg, chat["id"], _("Код не подошёл или устарел. Получите новый на странице «Профиль»."))
            continue
        settings.telegram_chat_id, settings.telegram_code, settings.telegram_code_at = str(chat["id"]), "", None
        linked += 1
        name = db.session.get(User, settings.user_id).name
        _reply(cfg, chat["id"], _("Готово: уведомления МЦУ для «%(name)s» будут приходить сюда.", name=name))
    db.session.commit()
    return linked


def _reply(cfg, chat_id, text: str) -> None:
    """A courtesy answer to the chat; a failure does not undo the link."""
    try:
        send_telegram(cfg, str(chat_id), text)
    except DeliveryError:
        pass
