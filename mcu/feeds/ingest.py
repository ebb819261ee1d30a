"""Idempotent ingestion: one batch of records becomes new or updated incidents in one transaction.

Rules (docs/feeds.md): keyed on (source, external id); a record whose content hash is unchanged changes
nothing; an older version (updated_at before the stored one) never overwrites a newer one; status,
topic and department from a source apply only when the incident is created, so a feed never re-opens
or re-routes a card that people have already moved.
"""
import gc
import hashlib
import json
import logging
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import orjson
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, select, update

from ..deadlines import first_answer_deadlines, first_answer_stamp, stamp_first_answers
from ..extensions import db
from ..lanes import bump
from ..models import Channel, Event, Incident, as_utc
from ..search import search_columns, stems
from ..timefmt import city_tz
from ..workflow import ANSWERED, INTERIM, NEW, RESOLVED, STATUS_NAMES
from .bulk import EVENT_COLUMNS, insert_incidents, insert_many, time_writer
from .bulk import existing as bulk_existing
from .records import BadValue, Record, RowError
from .routing import Router, fold
from .storable import storable

CHANNEL_ALIASES = {"им": "im", "цур": "im", "инцидент-менеджмент": "im", "open311": "open311"}
_STATUS_BY_NAME = {}
# built once (json.dumps(...) builds one per call); NaN is no JSON a database takes
_RAW_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, allow_nan=False)
_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME  # datetimes via str(), as json did
log = logging.getLogger(__name__)


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


def raw_bytes(raw) -> bytes:
    """The raw record as stored, JSON in UTF-8, serialised once for both the fingerprint and the row. orjson
    does it in about a tenth of the standard encoder's time; what it refuses (an integer past 64 bits) goes
    through the standard one, and a lone surrogate in a text (JSON allows one, UTF-8 does not) becomes «?».
    Values JSON has no type for (datetimes, decimals) become their str()."""
    try:
        return orjson.dumps(raw, default=str, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        return _RAW_ENCODER.encode(raw).encode("utf-8", "replace")


def content_hash(rec: Record, raw: bytes) -> str:
    """A fingerprint of everything a record says (its raw JSON and every mapped field); equal fingerprints
    mean nothing to update."""
    digest = hashlib.blake2b(raw, digest_size=16)
    digest.update(orjson.dumps((rec.text, rec.author, rec.platform, rec.url, rec.address, rec.channel, rec.topic,
                                rec.department, rec.status, rec.answer_text, rec.lat, rec.lon, bool(rec.urgent),
                                rec.received_at, rec.answered_at), default=str))
    return digest.hexdigest()


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


@contextmanager
def _collector_paused():
    """A batch allocates tens of thousands of tuples and makes no reference cycles; the collector's passes
    over the whole heap in the middle of it cost more than the batch's own Python work (bench/ingest.py)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def upsert_incidents(records: list[Record], source_name: str, feed_source_id: int | None = None,
                     default_channel: str = "im", commit: bool = True) -> IngestResult:
    """Store a batch atomically: new incidents are routed and get deadlines and a «created» event; changed
    ones are updated with a version bump and an «updated» event; the board version moves once if anything
    changed. With commit=False the caller commits (e.g. together with the source's cursor)."""
    with _collector_paused():
        return _upsert(records, source_name, feed_source_id, default_channel, commit)


def _upsert(records, source_name, feed_source_id, default_channel, commit) -> IngestResult:
    """upsert_incidents with the collector paused: check and fingerprint each record, sort the batch into
    new, changed and unchanged against what is stored, then write the new and the changed."""
    result = IngestResult()
    latest: dict[str, tuple[Record, str, bytes]] = {}  # id -> (record, hash, raw JSON)
    for n, rec in enumerate(records, 1):
        try:  # whatever is wrong with one record is its row error: the write of the batch must not fail
            rec = storable(rec)
            raw = raw_bytes(rec.raw)
            digest = content_hash(rec, raw)
        except BadValue as exc:
            result.errors.append(RowError(_row_name(rec, n), str(exc)))
            continue
        except Exception:  # one record's fault, whatever it is, must not cost the batch
            log.warning("record %d of %r cannot be stored", n, source_name, exc_info=True)
            result.errors.append(RowError(_row_name(rec, n), _("запись не удалось подготовить к сохранению "
                                                                "(подробности в журнале)")))
            continue
        seen = latest.get(rec.external_id)
        if seen is not None:  # the same record twice in one batch: the newest version wins
            result.unchanged += 1
            older = seen[0].updated_at
            if older and rec.updated_at and rec.updated_at < older:
                continue
        latest[rec.external_id] = (rec, digest, raw)
    try:
        existing = bulk_existing(source_name, list(latest))
        creates, changes = [], []
        for key, (rec, digest, raw) in latest.items():
            found = existing.get(key)
            if found is None:
                creates.append((rec, digest, raw.decode()))
            elif found[1] == digest or (found[2] and rec.updated_at and rec.updated_at < as_utc(found[2])):
                result.unchanged += 1
            else:
                changes.append((found[0], rec, digest, raw.decode()))
        if creates or changes:
            channels = _channels()
            default_channel_id = channels.get(default_channel)
            now = datetime.now(UTC)
            lanes = set()
            if creates:
                result.created, lanes = _create(creates, source_name, feed_source_id, channels, default_channel_id,
                                                now)
            if changes:
                result.updated = _update(changes, now)
                lanes |= _lanes_of([ident for ident, _rec, _d, _r in changes])
            bump(lanes)
        if commit:
            db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


def _lanes_of(ids: list[int], chunk: int = 5000) -> set:
    """The lanes (department ids) of these incidents."""
    lanes = set()
    for start in range(0, len(ids), chunk):
        lanes.update(db.session.scalars(select(Incident.department_id).distinct()
                                        .where(Incident.id.in_(ids[start:start + chunk]))))
    return lanes


def _row_name(rec, n: int) -> str:
    """How a row error names a record: its id when it has a usable one, else its place in the batch."""
    ident = getattr(rec, "external_id", None)
    return ident[:60] if isinstance(ident, str) and ident.strip() else str(n)


def _create(creates, source_name, feed_source_id, channels, default_channel_id, now) -> tuple[int, set]:
    """Insert the new incidents and their «created» events; returns how many were inserted, and their lanes."""
    router = Router.load()
    cfg, tz, when = current_app.config, city_tz(), time_writer()
    why_topic, unrouted = _("Распределено по тематике"), _("Не распределено: ни тематика, ни ключевые слова")
    by_keyword = _("Распределено по ключевому слову «%(k)s»")
    now_db = when(now)
    topic_ids, department_ids, channel_ids = {}, {}, {}  # per-batch memo of name lookups
    first_answer_due = first_answer_deadlines(cfg, tz)
    statuses = {value: status_code(value) for value in {rec.status for rec, _d, _r in creates}}
    rows, reasons, lanes, answered = [], {}, set(), {}
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
        status = statuses.get(rec.status) or NEW
        received = rec.received_at
        received_db = when(received)
        updated = rec.updated_at  # new records usually carry the same moment twice: convert it once
        updated_db = received_db if updated == received else when(updated)
        answered_at = rec.answered_at if status in (INTERIM, ANSWERED, RESOLVED) or rec.answer_text else None
        resolved_at = (rec.answered_at or received) if status == RESOLVED else None
        if answered_at is not None:
            answered[rec.external_id] = (received, answered_at)
        # «Ответ дан» without its moment: no later than now, no earlier than receipt; the board's «Ответ дан» shows
        # the answers of the solved window (mcu.lanes.on_board), so it is the receipt, as «Решено» does above. No
        # first answer is stamped from it: reports count only answers whose moment is known.
        shown_answered = answered_at if answered_at is not None or status != ANSWERED else received
        rows.append((
            source_name, rec.external_id, raw_text, digest, updated_db, feed_source_id, channel_id,
            rec.platform, rec.author, rec.text, rec.url, rec.address, rec.lat, rec.lon,
            folded, stems(folded), topic_id, dep, status, received_db, when(first_answer_due(received, rec.urgent)),
            None if shown_answered is None else when(shown_answered), None if resolved_at is None else when(resolved_at),
            rec.answer_text, "", 1, 0, bool(rec.urgent), now_db, now_db))
        reasons[rec.external_id] = (status, why)
        lanes.add(dep)
    inserted = insert_incidents(rows, source_name, now_db)
    stamp_first_answers([(ident, *answered[key]) for ident, key in inserted if key in answered], cfg, tz)
    insert_many("event", EVENT_COLUMNS, [(ident, "created", "", reasons[key][0], reasons[key][1], now_db)
                                         for ident, key in inserted])
    return len(inserted), lanes


def _update(changes, now) -> int:
    """Update what the source may change on existing incidents (never status, topic or department)."""
    rows, events = [], []
    for ident, rec, digest, raw_text in changes:
        row = {"_id": ident, "raw": json.loads(raw_text), "content_hash": digest,  # JSON-safe, as on create
               "source_updated_at": rec.updated_at,
               "platform": rec.platform, "author": rec.author, "text": rec.text, "url": rec.url,
               "address": rec.address, "lat": rec.lat, "lon": rec.lon,
               **search_columns(rec.text, rec.author, rec.address), "urgent": bool(rec.urgent),
               "updated_at": now}
        rows.append(row)
        events.append({"incident_id": ident, "kind": "updated", "from_value": "", "to_value": "",
                       "reason": "", "created_at": now})
    table = Incident.__table__
    # the SET columns come from the parameter names; the version moves by one
    db.session.execute(update(table).where(table.c.id == bindparam("_id")).values(version=table.c.version + 1),
                       rows)
    stamp = first_answer_stamp(current_app.config, city_tz())
    answers = [{"_id": ident, "answer_text": rec.answer_text, "new_answered_at": rec.answered_at,
                "minutes": rec.answered_at and stamp(rec.received_at, rec.answered_at)["first_answer_work_minutes"]}
               for ident, rec, _d, _r in changes if rec.answer_text]
    if answers:  # an answer the source reports is kept; an empty one never erases ours
        new_answered_at = bindparam("new_answered_at", type_=table.c.answered_at.type)
        first_unknown = table.c.first_answered_at.is_(None)  # SET reads the row as it was: stamp only the first
        db.session.execute(update(table).where(table.c.id == bindparam("_id")).values(
            answered_at=db.func.coalesce(table.c.answered_at, new_answered_at),
            first_answered_at=db.func.coalesce(table.c.first_answered_at, new_answered_at),
            first_answer_work_minutes=db.case((first_unknown, bindparam("minutes", type_=db.Integer)),
                                              else_=table.c.first_answer_work_minutes)),
            answers)
    db.session.execute(insert(Event.__table__), events)
    return len(rows)
