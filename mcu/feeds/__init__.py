"""Feed adapters (each split into fetch / parse / map) and the poll of one page of a feed source."""
import logging

from flask_babel import gettext as _

from . import cur_json, open311
from .records import BadValue, Batch, FeedError, Record, RowError

ADAPTERS = {"cur_json": cur_json, "open311": open311}
KIND_NAMES = {"cur_json": "ЦУР (JSON)", "open311": "Open311 GeoReport v2"}
log = logging.getLogger(__name__)


def map_items(items: list[dict], source, adapter) -> tuple[list[Record], list[RowError]]:
    """Map every item; whatever goes wrong with one (any exception) is its RowError naming its position and
    id, in Russian, and the others go on."""
    records, errors = [], []
    for n, item in enumerate(items, 1):
        try:
            records.append(adapter.to_record(item, source))
        except Exception as exc:  # one item's fault, whatever it is, must not cost the page
            if not isinstance(exc, BadValue):
                log.warning("item %d of source %r could not be mapped", n, getattr(source, "url", ""),
                            exc_info=True)
            errors.append(RowError(_row_name(n, item), _problem_words(exc)))
    return records, errors


def _problem_words(exc: Exception) -> str:
    """What was wrong with an item, in Russian: a BadValue's own words, else what its kind of exception means."""
    if isinstance(exc, BadValue):
        return str(exc)
    if isinstance(exc, (OverflowError, OSError)):
        return _("значение вне допустимого диапазона (подробности в журнале)")
    if isinstance(exc, RecursionError):
        return _("запись вложена слишком глубоко")
    if isinstance(exc, UnicodeError):
        return _("недопустимые символы в записи (подробности в журнале)")
    return _("запись не удалось разобрать: поле неожиданного вида (подробности в журнале)")


def _row_name(n: int, item) -> str:
    """«3 (IM-1)»: the item's position, and its id when it has a readable one."""
    ident = (item.get("id") or item.get("service_request_id")) if isinstance(item, dict) else None
    if isinstance(ident, bool) or not isinstance(ident, (str, int)):
        return str(n)
    ident = str(ident) if isinstance(ident, str) or ident.bit_length() < 200 else ""
    return f"{n} ({ident[:60]})" if ident else str(n)


def poll(source, http) -> Batch:
    """Fetch, parse and map one page of a FeedSource (kind, url, credentials, field_mapping, cursor)."""
    adapter = ADAPTERS.get(source.kind)
    if adapter is None:
        raise FeedError(f"Неизвестный тип источника «{source.kind}»")
    body = adapter.fetch(source, source.cursor or None, http)
    page = adapter.parse(body, source)
    records, errors = map_items(page.items, source, adapter)
    return Batch(records, errors, page.next_cursor, page.has_more)


__all__ = ["ADAPTERS", "KIND_NAMES", "BadValue", "Batch", "FeedError", "Record", "RowError", "map_items",
           "poll"]
