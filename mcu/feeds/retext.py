"""Plain text for incidents stored before ingestion made feed texts plain (`flask feeds retext`): the text,
answer, author and address of every incident from a feed or a file go through the same clean_text as
ingestion, in batches; the raw record stays as received."""
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import bindparam, insert, select, update

from ..extensions import db
from ..lanes import bump
from ..models import Event, Incident
from ..search import search_columns
from ..text import clean_text, needs_cleaning
from .storable import LIMITS, PLAIN

TYPED_BY_PEOPLE = "manual"  # the source name of incidents entered by hand: their text is left as typed


def retext(batch_size: int) -> tuple[int, int]:
    """Convert what needs it, one committed batch of `batch_size` incidents (by id) at a time; each changed
    incident gets version + 1 and an «updated» history line, the lanes of the batch step once per batch that
    changed something. Returns (incidents looked at, incidents changed). Running it again changes nothing."""
    table = Incident.__table__
    columns = [table.c[name] for name in PLAIN]
    last_id, seen, changed = 0, 0, 0
    while True:
        rows = db.session.execute(select(table.c.id, table.c.department_id, *columns).where(
            table.c.id > last_id, table.c.source != TYPED_BY_PEOPLE).order_by(table.c.id).limit(batch_size)).all()
        if not rows:
            return seen, changed
        last_id, seen = rows[-1].id, seen + len(rows)
        now = datetime.now(UTC)
        updates = [fields for row in rows if (fields := _plain(row, now)) is not None]
        if updates:
            db.session.execute(update(table).where(table.c.id == bindparam("_id")).values(
                version=table.c.version + 1), updates)
            reason = _("текст источника переведён из HTML в обычный текст")
            db.session.execute(insert(Event.__table__), [
                {"incident_id": fields["_id"], "kind": "updated", "from_value": "", "to_value": "",
                 "reason": reason, "created_at": now} for fields in updates])
            changed_ids = {fields["_id"] for fields in updates}
            bump({row.department_id for row in rows if row.id in changed_ids})
            changed += len(updates)
        db.session.commit()


def _plain(row, now) -> dict | None:
    """The new values of one incident's texts (and its search text), or None when none of them changes."""
    values = {name: getattr(row, name) or "" for name in PLAIN}
    if not any(needs_cleaning(value) for value in values.values()):
        return None
    plain = {name: clean_text(value) for name, value in values.items()}
    for name, limit in LIMITS.items():
        if name in plain and len(plain[name]) > limit:
            plain[name] = plain[name][:limit].rstrip()
    if plain == values:
        return None
    return {"_id": row.id, **plain, **search_columns(plain["text"], plain["author"], plain["address"]),
            "updated_at": now}
