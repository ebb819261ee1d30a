"""Open311 GeoReport v2 client: requests.json|xml with a date cursor and page/page_size paging, services list.

Real servers bend the standard (lat/long null or 0,0, "lon" for "long", "null" and "true" strings, a single
object for an array, capitalised statuses, non-W3C datetimes, self-closing XML elements, truncated XML):
everything here reads leniently, and what cannot be read is a RowError or a FeedError, never a crash.
"""
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode

from flask_babel import gettext as _

from . import http as feed_http
from . import values
from .records import BadValue, FeedError, Page, Record

PAGE_SIZE = 100
# Open311 status (lower-cased) -> our status on create; "open" leaves the new incident as new
STATUSES = {"closed": "resolved", "acknowledged": "in_progress", "in_progress": "in_progress",
            "in process": "in_progress", "assigned": "in_progress"}
LON_KEYS = ("long", "lon", "lng", "longitude")
LAT_KEYS = ("lat", "latitude")


MAP_KEYS = ("services", "topics", "statuses")  # the mapping's keys whose values are {"their word": "ours"}


def mapping(source) -> dict:
    """The source's settings over the defaults: format, cursor parameter, page size, service → topic maps.
    A map that is not an object of texts (the form refuses one: `mapping_problem`) counts as empty."""
    given = dict(getattr(source, "field_mapping", None) or {})
    maps = {key: given[key] if _text_map(given.get(key)) else {} for key in MAP_KEYS}
    return {"format": given.get("format", "json"), "cursor_param": given.get("cursor_param", "start_date"),
            "page_size": int(given.get("page_size", PAGE_SIZE)), "paging": given.get("paging", True),
            "jurisdiction_id": given.get("jurisdiction_id"), "services": maps["services"],
            "topics": maps["topics"], "statuses": {**STATUSES, **maps["statuses"]},
            "timezone": given.get("timezone") or "UTC"}


def _text_map(value) -> bool:
    return isinstance(value, dict) and all(isinstance(v, str) for v in value.values())


def mapping_problem(given: dict) -> str | None:
    """Why an Open311 source's mapping cannot be used, in Russian, or None."""
    for key in MAP_KEYS:
        if key in given and not _text_map(given[key]):
            return f"«{key}» — объект вида {{\"их значение\": \"наша тематика или статус\"}}"
    size = given.get("page_size", PAGE_SIZE)
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 1000:
        return "«page_size» — целое число от 1 до 1000"
    return None


def read_cursor(cursor: str | None) -> dict:
    """The cursor as {since, page, max, first}: since is the ISO date sent, max the newest date seen so far,
    first the id that opened page 1 (a later page opening with it means the server ignores paging)."""
    parts = dict(parse_qsl(cursor or "")) if cursor and "=" in cursor else ({"since": cursor} if cursor else {})
    page = parts.get("page", "1")
    return {"since": parts.get("since") or None, "page": int(page) if page.isdigit() and int(page) > 0 else 1,
            "max": parts.get("max") or None, "first": parts.get("first") or None}


def write_cursor(since: str | None, page: int = 1, newest: str | None = None, first: str | None = None) -> str:
    """The cursor stored on the source (readable by people, opaque to everything else)."""
    parts = {"since": since or ""}
    if page > 1:
        parts["page"] = str(page)
    if newest:
        parts["max"] = newest
    if first and page > 1:
        parts["first"] = first
    return urlencode(parts)


def endpoint(url: str, fmt: str, resource: str = "requests") -> str:
    """The resource URL from the server's base URL (or the resource URL itself)."""
    base = url.split("?", 1)[0].rstrip("/")
    for name in ("requests", "services"):
        for ext in (".json", ".xml"):
            if base.endswith("/" + name + ext):
                base = base[: -len(name + ext) - 1]
    return f"{base}/{resource}.{fmt}"


def fetch(source, cursor, http) -> bytes:
    """GET requests.{json|xml} from the cursor's date, one page."""
    m, c = mapping(source), read_cursor(cursor)
    params = {}
    if c["since"]:
        params[m["cursor_param"]] = c["since"]
    if m["paging"]:
        params.update(page=c["page"], page_size=m["page_size"])
    if m["jurisdiction_id"]:
        params["jurisdiction_id"] = m["jurisdiction_id"]
    return feed_http.get(http, endpoint(source.url, m["format"]), params=params)


def fetch_services(source, http, timeout=feed_http.TIMEOUT) -> bytes:
    """GET services.{json|xml}."""
    m = mapping(source)
    params = {"jurisdiction_id": m["jurisdiction_id"]} if m["jurisdiction_id"] else None
    return feed_http.get(http, endpoint(source.url, m["format"], "services"), params=params, timeout=timeout)


def _element(node) -> dict | str | None:
    """An XML element as a value: its text (None when empty or self-closing) or a dict of its children."""
    children = list(node)
    if not children:
        return node.text.strip() if node.text and node.text.strip() else None
    result = {}
    for child in children:
        value = _element(child)
        if child.tag in result:  # repeated elements become a list
            if not isinstance(result[child.tag], list):
                result[child.tag] = [result[child.tag]]
            result[child.tag].append(value)
        else:
            result[child.tag] = value
    return result


def _document(body: bytes, item_tag: str) -> list:
    """The items of a JSON or XML document, whichever it is."""
    if not body or not body.strip():
        raise FeedError("Источник вернул пустой ответ")
    head = body.lstrip()[:1]
    if head == b"<":
        text_head = body[:400].decode("utf-8", "replace")
        if feed_http.looks_like_html(text_head):
            raise FeedError("Источник вернул HTML-страницу вместо данных Open311")
        try:
            root = ET.fromstring(body)
        except ET.ParseError as exc:
            line, column = exc.position
            raise FeedError(f"XML источника обрезан или повреждён (строка {line}, позиция {column})") from None
        if root.tag == "errors" or root.tag == "error":
            raise FeedError("Источник сообщил об ошибке: " + _errors_text([_element(e) for e in root] or [_element(root)]))
        if root.tag == item_tag:
            return [_element(root)]
        return [_element(child) for child in root if child.tag == item_tag]
    text = feed_http.decode(body)
    document = feed_http.json_document(text, "данных Open311")
    if isinstance(document, dict):
        for key in ("service_requests", "requests", "services", "items"):
            if isinstance(document.get(key), (list, dict)):
                document = document[key]
                break
    if isinstance(document, dict):
        document = [document]  # a single object where the standard says array
    if not isinstance(document, list):
        raise FeedError("Ответ источника не содержит списка заявок Open311")
    key = "service_request_id" if item_tag == "request" else "service_code"
    if document and all(isinstance(d, dict) and "description" in d and "code" in d and key not in d
                        for d in document):
        raise FeedError("Источник сообщил об ошибке: " + _errors_text(document))
    return document


def _errors_text(errors) -> str:
    parts = []
    for e in errors:
        if isinstance(e, dict):
            parts.append(" ".join(str(v) for v in (e.get("code"), e.get("description")) if v))
        elif e:
            parts.append(str(e))
    return "; ".join(parts)[:300] or "без описания"


def parse(body: bytes, source) -> Page:
    """The requests of one page, and the next cursor: the next page while pages come full, else the newest date."""
    items = _document(body, "request")
    m, c = mapping(source), read_cursor(getattr(source, "cursor", None))
    newest = c["max"]
    for item in items:
        if not isinstance(item, dict):
            continue
        for key in ("updated_datetime", "requested_datetime"):
            try:
                moment = values.moment(item.get(key), m["timezone"])
            except ValueError:
                continue
            if moment is not None:
                stamp = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                if newest is None or stamp > newest:
                    newest = stamp
                break
    opening = _id_or_nothing(items[0]) if items else ""
    ignored = c["page"] > 1 and opening and opening == c["first"]  # the server sent page 1 again
    if m["paging"] and len(items) >= m["page_size"] and not ignored:
        first = opening if c["page"] == 1 else c["first"]
        return Page(items, write_cursor(c["since"], c["page"] + 1, newest, first), True)
    return Page(items, write_cursor(newest or c["since"]), False)


def _id_or_nothing(item) -> str:
    """The request's id, or "" when it has none that reads (that item is then its own row error)."""
    try:
        return values.identifier(item.get("service_request_id")) if isinstance(item, dict) else ""
    except BadValue:
        return ""


def parse_services(body: bytes) -> list[dict]:
    """The services list as [{code, name, group, keywords}] from services.json or services.xml."""
    services = []
    for item in _document(body, "service"):
        if not isinstance(item, dict):
            continue
        try:
            code, name = values.text(item.get("service_code")), values.text(item.get("service_name"))
            group, keywords = values.text(item.get("group")), values.text(item.get("keywords")).replace("\t", " ")
        except BadValue:
            continue  # a service whose fields are objects cannot be chosen on the page
        if code or name:
            services.append({"code": code, "name": name, "group": group, "keywords": keywords})
    return services


def service_key(service: dict) -> str:
    """How the mapping names a service: "c:" + its code, or "n:" + its name for a server that gives no code."""
    return f"c:{service['code']}" if service.get("code") else f"n:{service.get('name', '')}"


def chosen_topic(service: dict, m: dict) -> str | None:
    """The topic the source's mapping sets for a service (by code, then by name), or None."""
    return (m["services"].get(service.get("code") or "") if service.get("code") else None) or \
        m["topics"].get(service.get("name") or "")


def with_service_topics(field_mapping: dict | None, choices: dict[str, str | None]) -> dict:
    """The source's field mapping with the topics chosen per service key (None or "" removes the choice);
    services not in `choices` keep theirs."""
    given = dict(field_mapping or {})
    by_code, by_name = dict(given.get("services") or {}), dict(given.get("topics") or {})
    for key, topic in choices.items():
        kind, _colon, value = key.partition(":")
        target = by_code if kind == "c" else by_name
        if topic:
            target[value] = topic
        else:
            target.pop(value, None)
    given["services"], given["topics"] = by_code, by_name
    return {k: v for k, v in given.items() if v or k not in ("services", "topics")}


def topic_for(item: dict, m: dict) -> str | None:
    """Our topic name for a request: the source's service_code map, then its service_name map, then the name."""
    code, name = _field(item, "service_code"), _field(item, "service_name")
    return m["services"].get(code) or m["topics"].get(name) or name or None


def _field(item: dict, key: str, reader=values.text):
    """A request's field through a reader, its BadValue naming the field."""
    try:
        return reader(item.get(key))
    except BadValue as exc:
        raise BadValue(f"{key}: {exc}") from None


def to_record(item: dict, source) -> Record:
    """One request as a Record; a BadValue (in Russian) when it has no id or no date, or a field is unusable."""
    if not isinstance(item, dict):
        raise BadValue(_("заявка не является объектом"))
    m = mapping(source)
    external_id = _field(item, "service_request_id", values.identifier)
    if not external_id:
        raise BadValue("нет service_request_id")
    try:
        received = values.moment(item.get("requested_datetime"), m["timezone"])
    except BadValue as exc:
        raise BadValue(f"requested_datetime: {exc}") from None
    try:
        updated = values.moment(item.get("updated_datetime"), m["timezone"])
    except BadValue:
        updated = None
    received = received or updated
    if received is None:
        raise BadValue("нет даты заявки (requested_datetime)")
    lat = next((item[k] for k in LAT_KEYS if k in item), None)
    lon = next((item[k] for k in LON_KEYS if k in item), None)
    lat, lon = values.point(lat, lon)
    status_word = _field(item, "status").lower()
    status = m["statuses"].get(status_word)
    notes = _field(item, "status_notes")
    description = _field(item, "description")
    media = _field(item, "media_url")
    return Record(
        external_id=external_id, received_at=received, raw=item,
        text=description or _field(item, "service_name"), address=_field(item, "address"),
        lat=lat, lon=lon, channel="open311", topic=topic_for(item, m), status=status,
        url=media if media.lower().startswith(("http://", "https://")) else "",
        answer_text=notes if status == "resolved" else "", answered_at=updated if status == "resolved" and notes
        else None, updated_at=updated)


def now_cursor() -> str:
    """A cursor starting from this moment (for a source that should not import the server's history)."""
    return write_cursor(datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
