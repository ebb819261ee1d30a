"""Idempotent ingestion: one batch of records becomes new or updated incidents in one transaction.

Rules (docs/feeds.md): keyed on (source, external id); a record whose content hash is unchanged changes
nothing; an older version (updated_at before the stored one) never overwrites a newer one; status,
topic and department from a source apply only when the incident is created, so a feed never re-opens
or re-routes a card that people have already moved.
"""
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, select, update

from ..extensions import db
from ..models import Channel, Event, Incident, bump_board_version
from ..text import search_key
from ..timefmt import city_tz
from ..workflow import ANSWERED, INTERIM, NEW, RESOLVED, STATUS_NAMES
from .bulk import EVENT_COLUMNS, INCIDENT_COLUMNS, insert_many, read_time, time_writer
from .bulk import existing as bulk_existing
from .deadline_table import DeadlineTable
from .records import Record, RowError
from .routing import Router, fold

CHANNEL_ALIASES = {"им": "im", "цур": "im", "инцидент-менеджмент": "im", "open311": "open311"}
_STATUS_BY_NAME = {}
_RAW_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str)  # built once: json.dumps(...) builds one per call


@dataclass
class IngestResult:
    """What a batch did: counts, and the records that could not be stored, by row."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def raw_json(rec: Record) -> str:
    """The raw record as stored (JSON text), computed once for both the fingerprint and the row."""
    return _RAW_ENCODER.encode(rec.raw)


def content_hash(rec: Record) -> str:
    """A fingerprint of everything a record says; equal fingerprints mean nothing to update. The raw record
    enters as its repr (the same parsed document gives the same repr, and it is cheaper than JSON)."""
    mapped = "\x1f".join((rec.text, rec.author, rec.platform, rec.url, rec.address, rec.channel or "",
                          rec.topic or "", rec.department or "", rec.status or "", rec.answer_text))
    payload = (f"{rec.raw!r}\x1f{mapped}\x1f{rec.lat}\x1f{rec.lon}\x1f"
               f"{bool(rec.urgent)}\x1f{rec.received_at}\x1f{rec.answered_at}")
    return hashlib.blake2b(payload.encode(), digest_size=16).hexdigest()


def status_code(value: str | None) -> str | None:
    """Our status code from a code or a Russian status name; None when not recognised."""
    if not value:
        return None
    if value in STATUS_NAMES:
        return value
    if not _STATUS_BY_NAME:
        _STATUS_BY_NAME.update({fold(str(name)): code for code, name in STATUS_NAMES.items()})
        _STATUS_BY_NAME.update({fold(code): code for code in STATUS_NAMES})
    return _STATUS_BY_NAME.get(fold(value))


def _check(rec: Record) -> str | None:
    """Why a record cannot be stored at all, or None."""
    if not isinstance(rec.external_id, str) or not rec.external_id.strip():
        return _("нет идентификатора записи")
    if len(rec.external_id) > 200:
        return _("идентификатор длиннее 200 символов")
    if not isinstance(rec.received_at, datetime) or rec.received_at.tzinfo is None:
        return _("нет даты поступления")
    for moment in (rec.updated_at, rec.answered_at):
        if moment is not None and (not isinstance(moment, datetime) or moment.tzinfo is None):
            return _("дата без часового пояса")
    return None


def _channels() -> dict:
    """Channel id by code, folded name and the usual aliases."""
    found = {}
    for ident, code, name in db.session.execute(select(Channel.id, Channel.code, Channel.name)):
        found[code] = ident
        found[fold(code)] = ident
        found[fold(name)] = ident
    for alias, code in CHANNEL_ALIASES.items():
        if code in found:
            found.setdefault(alias, found[code])
    return found


def upsert_incidents(records: list[Record], source_name: str, feed_source_id: int | None = None,
                     default_channel: str = "im", commit: bool = True) -> IngestResult:
    """Store a batch atomically: new incidents are routed and get deadlines and a «created» event; changed
    ones are updated with a version bump and an «updated» event; the board version moves once if anything
    changed. With commit=False the caller commits (e.g. together with the source's cursor)."""
    result = IngestResult()
    latest: dict[str, tuple[Record, str]] = {}  # id -> (record, hash)
    for n, rec in enumerate(records, 1):
        problem = _check(rec)
        if problem:
            result.errors.append(RowError(str(rec.external_id or n), problem))
            continue
        try:
            digest = content_hash(rec)
        except (TypeError, ValueError) as exc:
            result.errors.append(RowError(rec.external_id, _("запись не читается: %(e)s", e=str(exc)[:200])))
            continue
        seen = latest.get(rec.external_id)
        if seen is not None:  # the same record twice in one batch: the newest version wins
            result.unchanged += 1
            older = seen[0].updated_at
            if older and rec.updated_at and rec.updated_at < older:
                continue
        latest[rec.external_id] = (rec, digest)
    try:
        existing = bulk_existing(source_name, list(latest))
        creates, changes = [], []
        for key, (rec, digest) in latest.items():
            found = existing.get(key)
            if found is None:
                try:  # the raw record as stored: only new incidents need it as JSON text
                    creates.append((rec, digest, raw_json(rec)))
                except (TypeError, ValueError) as exc:
                    result.errors.append(RowError(key, _("запись не читается: %(e)s", e=str(exc)[:200])))
            elif found[1] == digest or (found[2] and rec.updated_at and rec.updated_at < read_time(found[2])):
                result.unchanged += 1
            else:
                try:
                    changes.append((found[0], rec, digest, raw_json(rec)))
                except (TypeError, ValueError) as exc:
                    result.errors.append(RowError(key, _("запись не читается: %(e)s", e=str(exc)[:200])))
        if creates or changes:
            channels = _channels()
            default_channel_id = channels.get(default_channel)
            now = datetime.now(UTC)
            if creates:
                result.created = _create(creates, source_name, feed_source_id, channels, default_channel_id, now)
            if changes:
                result.updated = _update(changes, now)
            bump_board_version()
        if commit:
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


def _create(creates, source_name, feed_source_id, channels, default_channel_id, now) -> int:
    """Insert the new incidents and their «created» events; returns how many were inserted."""
    router = Router.load()
    cfg, tz, when = current_app.config, city_tz(), time_writer()
    why_topic, unrouted = _("Распределено по тематике"), _("Не распределено: ни тематика, ни ключевые слова")
    by_keyword = _("Распределено по ключевому слову «%(k)s»")
    now_db = when(now)
    topic_ids, department_ids, channel_ids = {}, {}, {}  # per-batch memo of name lookups
    deadlines = DeadlineTable([rec.received_at for rec, _d, _r in creates], cfg, tz)
    rows, reasons = [], {}
    for rec, digest, raw_text in creates:
        folded = " ".join(f"{rec.text} {rec.author} {rec.address}".casefold().replace("ё", "е").split())
        topic_id = topic_ids.get(rec.topic, -1)
        if topic_id == -1:
            topic_id = topic_ids[rec.topic] = router.topic_id(rec.topic)
        dep = department_ids.get(rec.department, -1)
        if dep == -1:
            dep = department_ids[rec.department] = router.department_id(rec.department)
        if dep is not None:
            why = ""
        else:
            dep, topic_id, why = router.route(folded, topic_id)
            why = why_topic if why == "topic" else (by_keyword % {"k": why} if why else unrouted)
        channel_id = channel_ids.get(rec.channel, -1)
        if channel_id == -1:
            channel_id = channel_ids[rec.channel] = (channels.get(rec.channel) or channels.get(fold(rec.channel))
                                                     or default_channel_id) if rec.channel else default_channel_id
        status = status_code(rec.status) or NEW
        answered_at = rec.answered_at if status in (INTERIM, ANSWERED, RESOLVED) or rec.answer_text else None
        resolved_at = (rec.answered_at or rec.received_at) if status == RESOLVED else None
        rows.append((
            source_name, rec.external_id, raw_text, digest, when(rec.updated_at), feed_source_id, channel_id,
            rec.platform[:60], rec.author[:300], rec.text, rec.url[:2000], rec.address[:500], rec.lat, rec.lon,
            folded, topic_id, dep, status, when(rec.received_at),
            when(deadlines.due(rec.received_at, rec.urgent)), when(answered_at), when(resolved_at),
            rec.answer_text, "", 1, 0, bool(rec.urgent), now_db, now_db))
        reasons[rec.external_id] = (status, why)
    inserted = insert_many("incident", INCIDENT_COLUMNS, rows, returning="id, external_id",
                           conflict="source, external_id")
    insert_many("event", EVENT_COLUMNS, [(ident, "created", "", reasons[key][0], reasons[key][1], now_db)
                                         for ident, key in inserted])
    return len(inserted)


def _update(changes, now) -> int:
    """Update what the source may change on existing incidents (never status, topic or department)."""
    rows, events = [], []
    for ident, rec, digest, raw_text in changes:
        row = {"_id": ident, "raw": json.loads(raw_text), "content_hash": digest,  # JSON-safe, as on create "source_updated_at": rec.updated_at,
               "platform": rec.platform[:60], "author": rec.author[:300], "text": rec.text, "url": rec.url[:2000],
               "address": rec.address[:500], "lat": rec.lat, "lon": rec.lon,
               "search_text": search_key(rec.text, rec.author, rec.address), "urgent": bool(rec.urgent),
               "updated_at": now}
        rows.append(row)
        events.append({"incident_id": ident, "kind": "updated", "from_value": "", "to_value": "",
                       "reason": "", "created_at": now})
    table = Incident.__table__
    # the SET columns come from the parameter names; the version moves by one
    db.session.execute(update(table).where(table.c.id == bindparam("_id")).values(version=table.c.version + 1),
                       rows)
    answers = [{"_id": ident, "answer_text": rec.answer_text, "new_answered_at": rec.answered_at}
               for ident, rec, _d, _r in changes if rec.answer_text]
    if answers:  # an answer the source reports is kept; an empty one never erases ours
        db.session.execute(update(table).where(table.c.id == bindparam("_id")).values(
            answered_at=db.func.coalesce(table.c.answered_at,
                                         bindparam("new_answered_at", type_=table.c.answered_at.type))),
            answers)
    db.session.execute(insert(Event.__table__), events)
    return len(rows)
