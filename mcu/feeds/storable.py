"""A Record fitted to what the database stores, before the batch write, so that no one record can make the
write of its batch fail: texts lose the characters no column keeps (NUL, controls, lone surrogates) and their
markup (mcu.text.clean_text), columns of limited length are clipped, coordinates that are no place and
optional dates out of range are dropped; a record without a usable id or date is a BadValue in Russian."""
import math
from dataclasses import replace
from datetime import datetime

from flask_babel import gettext as _

from ..text import clean_text, needs_cleaning, scrub
from .records import BadValue, Record
from .values import EARLIEST, LATEST

MAX_ID = 200  # Incident.external_id
LIMITS = {"platform": 60, "author": 300, "url": 2000, "address": 500}  # the Incident columns' lengths
PLAIN = ("text", "answer_text", "author", "address")  # texts people read: markup becomes plain text
KEYS = ("external_id", "platform", "url", "channel", "topic", "department", "status")  # names and links: scrubbed
OPTIONAL = ("channel", "topic", "department", "status")  # may be None


def storable(rec: Record) -> Record:
    """The record as it will be stored: itself when it already fits (the usual case: one scan of its texts and
    a few comparisons), else a fitted copy; a BadValue when it cannot be stored at all."""
    try:  # a field of the wrong type, a naive datetime or a None where a value must be raise TypeError here
        ident, lat, lon = rec.external_id, rec.lat, rec.lon
        if (not needs_cleaning("\n".join((ident, rec.text, rec.author, rec.platform, rec.url, rec.address,
                                           rec.answer_text, rec.channel or "", rec.topic or "",
                                           rec.department or "", rec.status or "")))
                and len(rec.platform) <= 60 and len(rec.author) <= 300 and len(rec.url) <= 2000
                and len(rec.address) <= 500 and 0 < len(ident) <= MAX_ID and not ident.isspace()
                and EARLIEST <= rec.received_at < LATEST
                and (rec.updated_at is None or EARLIEST <= rec.updated_at < LATEST)
                and (rec.answered_at is None or EARLIEST <= rec.answered_at < LATEST)
                and (lat is None or -90 <= lat <= 90) and (lon is None or -180 <= lon <= 180)):
            return rec
    except TypeError:
        pass
    return _fitted(rec)


def _fitted(rec: Record) -> Record:
    """storable() for a record that needs a change, or cannot be stored: which, and why."""
    changes = {}
    changes.update(_texts(rec))
    for name, limit in LIMITS.items():
        value = changes.get(name, getattr(rec, name))
        if len(value) > limit:
            changes[name] = value[:limit].rstrip()
    external_id = changes.get("external_id", rec.external_id)
    if not external_id.strip():
        raise BadValue(_("нет идентификатора записи"))
    if len(external_id) > MAX_ID:
        raise BadValue(_("идентификатор длиннее %(n)d символов", n=MAX_ID))
    if not _fits(rec.received_at):
        raise BadValue(_("нет даты поступления") if rec.received_at is None else _out_of_range(rec.received_at))
    for name in ("updated_at", "answered_at"):  # optional: a moment out of range is as good as none
        moment = getattr(rec, name)
        if moment is not None and not _fits(moment):
            changes[name] = None
    if not (_on_earth(rec.lat, 90) and _on_earth(rec.lon, 180)):
        changes["lat"] = changes["lon"] = None
    return replace(rec, **changes) if changes else rec


def _texts(rec: Record) -> dict:
    """Every text field made storable: None as "", markup made plain, the rest scrubbed; a BadValue names a
    field that is not a text at all."""
    changes = {}
    for name in PLAIN + KEYS:
        value = getattr(rec, name)
        if value is None:
            value = None if name in OPTIONAL else ""
        elif not isinstance(value, str):
            raise BadValue(_("поле «%(name)s» не текст", name=name))
        else:
            value = clean_text(value) if name in PLAIN else scrub(value)
            value = value or (None if name in OPTIONAL else "")
        if value != getattr(rec, name):
            changes[name] = value
    return changes


def _fits(moment) -> bool:
    """An aware datetime in the range every database here stores and every deadline can be reckoned from."""
    return isinstance(moment, datetime) and moment.tzinfo is not None and EARLIEST <= moment < LATEST


def _out_of_range(moment) -> str:
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        return _("дата поступления без часового пояса")
    return _("дата поступления вне допустимого диапазона (%(first)d–%(last)d гг.)", first=EARLIEST.year,
             last=LATEST.year - 1)


def _on_earth(value, limit: float) -> bool:
    """None, or a finite number within ±limit degrees."""
    if value is None:
        return True
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
        and -limit <= value <= limit
