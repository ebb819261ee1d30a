"""The ЦУР JSON feed (the project's own contract, docs/feeds.md), with a per-source field mapping."""
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _

from . import http as feed_http
from . import values
from .records import BadValue, FeedError, Page, Record

DEFAULT_LIMIT = 500
# our field -> dotted path in an item (the contract); a source's field_mapping["fields"] overrides any of them
FIELDS = {
    "external_id": "id", "received_at": "created_at", "updated_at": "updated_at", "channel": "channel",
    "platform": "platform", "author": "author", "text": "text", "url": "url", "address": "address",
    "lat": "lat", "lon": "lon", "topic": "topic", "department": "department", "urgent": "urgent",
    "status": "status", "answer_text": "answer.text", "answered_at": "answer.at",
}
DOCUMENT = {"items": "items", "next_cursor": "next_cursor", "has_more": "has_more"}


def mapping(source) -> dict:
    """The source's mapping merged over the contract: fields, value maps, document paths, time zone."""
    given = dict(getattr(source, "field_mapping", None) or {})
    fields = dict(FIELDS)
    fields.update(given.get("fields") or {})
    document = {key: given.get(key, path) for key, path in DOCUMENT.items()}
    return {"fields": fields, "values": given.get("values") or {}, "timezone": given.get("timezone"),
            "date_format": given.get("date_format"), "limit": given.get("limit", DEFAULT_LIMIT),
            "cursor_param": given.get("cursor_param", "cursor"), "limit_param": given.get("limit_param", "limit"),
            **document}


def mapping_problem(given: dict) -> str | None:
    """Why a ЦУР source's mapping cannot be used, in Russian, or None (checked when an admin saves it)."""
    fields = given.get("fields", {})
    if not isinstance(fields, dict) or not all(isinstance(v, str) for v in fields.values()):
        return "«fields» — объект вида {\"наше поле\": \"путь.в.записи\"}"
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        return f"неизвестные поля в «fields»: {', '.join(unknown)}; известны: {', '.join(FIELDS)}"
    maps = given.get("values", {})
    if not isinstance(maps, dict) or not all(isinstance(t, dict) and all(isinstance(v, str) for v in t.values())
                                             for t in maps.values()):
        return "«values» — объект вида {\"поле\": {\"их значение\": \"наше\"}}"
    for key in ("items", "next_cursor", "has_more", "cursor_param", "limit_param", "timezone", "date_format"):
        if given.get(key) is not None and not isinstance(given[key], str):
            return f"«{key}» — строка (или null)"
    limit = given.get("limit", DEFAULT_LIMIT)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 5000:
        return "«limit» — целое число от 1 до 5000"
    if given.get("timezone"):
        try:
            ZoneInfo(given["timezone"])
        except (ValueError, ZoneInfoNotFoundError):
            return f"неизвестный часовой пояс «{given['timezone']}»"
    return None


def fetch(source, cursor, http) -> bytes:
    """GET {url}?cursor=..&limit=.. with the source's token as a Bearer header when it has one."""
    m = mapping(source)
    params = {m["limit_param"]: m["limit"]}
    if cursor:
        params[m["cursor_param"]] = cursor
    headers = {"Accept": "application/json"}
    if getattr(source, "credentials", ""):
        headers["Authorization"] = f"Bearer {source.credentials.strip()}"
    return feed_http.get(http, source.url, params=params, headers=headers)


def parse(body: bytes, source) -> Page:
    """The items and paging of one document; a document that is not the expected JSON is a FeedError."""
    text = feed_http.decode(body)
    if not text.strip():
        raise FeedError("Источник вернул пустой ответ")
    document = feed_http.json_document(text)
    m = mapping(source)
    if isinstance(document, list):
        return Page([i for i in document], None, False)
    if not isinstance(document, dict):
        raise FeedError("Ответ источника не содержит списка сообщений")
    items = values.dig(document, m["items"]) if m["items"] else None
    if items is None:
        if "error" in document or "message" in document:
            raise FeedError(f"Источник сообщил об ошибке: {str(document.get('error') or document.get('message'))[:200]}")
        raise FeedError(f"В ответе источника нет списка сообщений («{m['items']}»)")
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        raise FeedError(f"«{m['items']}» в ответе источника не является списком")
    cursor = values.dig(document, m["next_cursor"]) if m["next_cursor"] else None
    has_more = values.boolean(values.dig(document, m["has_more"])) if m["has_more"] else False
    return Page(items, None if values.is_null(cursor) else str(cursor), has_more and not values.is_null(cursor))


def to_record(item: dict, source) -> Record:
    """One item as a Record, through the source's mapping; a BadValue (in Russian) for an unusable item."""
    if not isinstance(item, dict):
        raise BadValue(_("запись не является объектом JSON"))
    m = mapping(source)
    fields, maps, tz, fmt = m["fields"], m["values"], m["timezone"] or "Asia/Vladivostok", m["date_format"]

    def get(name):
        path = fields.get(name)
        if not path:
            return None
        value = values.dig(item, path)
        table = maps.get(name)
        if table and not values.is_null(value) and not isinstance(value, (dict, list)):
            value = table.get(str(value), table.get(str(value).strip().lower(), value))
        return value

    def read(name, reader=values.text):
        """A field through a reader, its BadValue naming the field as the source calls it."""
        try:
            return reader(get(name))
        except BadValue as exc:
            raise BadValue(f"«{fields[name]}»: {exc}") from None

    external_id = read("external_id", values.identifier)
    if not external_id:
        raise BadValue(f"нет идентификатора («{fields['external_id']}»)")
    try:
        received = values.moment(get("received_at"), tz, fmt)
    except BadValue as exc:
        raise BadValue(_("дата поступления: %(problem)s", problem=exc)) from None
    if received is None:
        raise BadValue(f"нет даты поступления («{fields['received_at']}»)")
    try:
        updated = values.moment(get("updated_at"), tz, fmt)
    except BadValue:
        updated = None
    try:
        answered = values.moment(get("answered_at"), tz, fmt)
    except BadValue:
        answered = None
    lat, lon = values.point(get("lat"), get("lon"))
    return Record(
        external_id=external_id, received_at=received, raw=item, text=read("text"), author=read("author"),
        platform=read("platform"), url=read("url"), address=read("address"), lat=lat, lon=lon,
        channel=read("channel") or None, topic=read("topic") or None, department=read("department") or None,
        status=read("status") or None, answer_text=read("answer_text"), answered_at=answered,
        urgent=values.boolean(get("urgent")), updated_at=updated)
