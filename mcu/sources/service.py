"""Feed sources' rules and verbs, one set for the sources page and `flask feeds`: names, add, change, switch on
and off, poll now. Nothing here knows of a request."""
from flask_babel import gettext as _

from .. import feeds
from ..extensions import db
from ..models import FeedSource, Incident
from . import scheduling

RESERVED_NAMES = ("manual", "import")  # the keys of manual entry and file imports (incident.source)
MIN_INTERVAL, MAX_INTERVAL = 5, 86400


class SourceError(Exception):
    """A source that cannot be stored as given; `field` names the form field, the text is for people."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def name_taken(name: str, source_id: int | None) -> bool:
    """Another source has the name, or manual entry or imports key their incidents by it."""
    if name.casefold() in RESERVED_NAMES:
        return True
    found = db.session.scalar(db.select(FeedSource.id).where(FeedSource.name == name))
    return found is not None and found != source_id


def check(name: str, kind: str, url: str, interval_seconds: int, source_id: int | None = None) -> None:
    """Refuse what no source may be: a taken name, an unknown kind, a URL that is not HTTP(S), an interval out of range."""
    if not name:
        raise SourceError("name", _("Введите название"))
    if name_taken(name, source_id):
        raise SourceError("name", _("Это название уже занято: источником, ручным вводом или импортом"))
    if kind not in feeds.ADAPTERS:
        raise SourceError("kind", _("Неизвестный тип источника «%(kind)s»: один из %(kinds)s", kind=kind,
                                    kinds=", ".join(feeds.ADAPTERS)))
    if not url.lower().startswith(("http://", "https://")):
        raise SourceError("url", _("Поддерживаются только адреса http:// и https://"))
    if not MIN_INTERVAL <= interval_seconds <= MAX_INTERVAL:
        raise SourceError("interval_seconds", _("Интервал — от 5 секунд до суток"))


def add(name: str, kind: str, url: str, interval_seconds: int, credentials: str = "", enabled: bool = True,
        field_mapping: dict | None = None) -> FeedSource:
    """Store a new source; the scheduler polls it on its next tick."""
    name, url = name.strip(), url.strip()
    check(name, kind, url, interval_seconds)
    source = FeedSource(name=name, kind=kind, url=url, credentials=credentials, interval_seconds=interval_seconds,
                        enabled=enabled, field_mapping=field_mapping, cursor="")
    db.session.add(source)
    db.session.commit()
    return source


def change(source: FeedSource, name: str, kind: str, url: str, interval_seconds: int, enabled: bool,
           field_mapping: dict | None, credentials: str | None) -> None:
    """Save the source (credentials None: keep them); a new URL or kind starts reading it from the beginning,
    and a new name carries its incidents' key along, so no record comes twice."""
    name, url = name.strip(), url.strip()
    check(name, kind, url, interval_seconds, source.id)
    if url != source.url or kind != source.kind:
        source.cursor = ""
    if name != source.name:
        db.session.execute(db.update(Incident).where(Incident.feed_source_id == source.id)
                           .where(Incident.source == source.name).values(source=name))
    source.name, source.kind, source.url = name, kind, url
    source.interval_seconds, source.enabled, source.field_mapping = interval_seconds, enabled, field_mapping
    if credentials is not None:
        source.credentials = credentials
    db.session.commit()


def enable(source: FeedSource) -> None:
    """Poll the source again, its failure count cleared."""
    source.enabled, source.consecutive_failures = True, 0
    db.session.commit()


def disable(source: FeedSource) -> None:
    """Stop polling the source; what it brought stays."""
    source.enabled = False
    db.session.commit()


def poll_soon(connection, source: FeedSource, job_timeout: int) -> str | None:
    """Put a poll of the source on the queue now, unless one is waiting or running (None then);
    raises RedisError or OSError when the queue does not answer."""
    return scheduling.enqueue_poll(connection, source.id, job_timeout)
