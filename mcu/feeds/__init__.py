"""Feed adapters (each split into fetch / parse / map) and the poll of one page of a feed source."""
from . import cur_json, open311
from .records import Batch, FeedError, Record, RowError

ADAPTERS = {"cur_json": cur_json, "open311": open311}
KIND_NAMES = {"cur_json": "ЦУР (JSON)", "open311": "Open311 GeoReport v2"}


def map_items(items: list[dict], source, adapter) -> tuple[list[Record], list[RowError]]:
    """Map every item; a bad one becomes a RowError naming its position and id, the others go on."""
    records, errors = [], []
    for n, item in enumerate(items, 1):
        try:
            records.append(adapter.to_record(item, source))
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            ident = item.get("id") or item.get("service_request_id") if isinstance(item, dict) else None
            errors.append(RowError(f"{n}" + (f" ({ident})" if ident else ""), str(exc) or exc.__class__.__name__))
    return records, errors


def poll(source, http) -> Batch:
    """Fetch, parse and map one page of a FeedSource (kind, url, credentials, field_mapping, cursor)."""
    adapter = ADAPTERS.get(source.kind)
    if adapter is None:
        raise FeedError(f"Неизвестный тип источника «{source.kind}»")
    body = adapter.fetch(source, source.cursor or None, http)
    page = adapter.parse(body, source)
    records, errors = map_items(page.items, source, adapter)
    return Batch(records, errors, page.next_cursor, page.has_more)


__all__ = ["ADAPTERS", "KIND_NAMES", "Batch", "FeedError", "Record", "RowError", "map_items", "poll"]
