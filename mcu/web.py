"""Questions every view asks about the request it serves: is it htmx, is it background polling."""
from flask import request
from werkzeug.routing import IntegerConverter

BACKGROUND_HEADER = "X-MCU-Background"
BACKGROUND_HEADERS_JSON = '{"' + BACKGROUND_HEADER + '": "1"}'


def is_htmx(req=None) -> bool:
    """True for requests htmx makes (they get fragments and HX-Redirect, never full pages)."""
    return bool((req or request).headers.get("HX-Request"))


def is_background(req=None) -> bool:
    """True when the request is automatic polling, which must not count as a person's action."""
    return (req or request).headers.get(BACKGROUND_HEADER, "") == "1"


MAX_ID = 2**31 - 1  # ids are 32-bit integers on every database


def whole_number(value, low: int = 0, high: int = MAX_ID) -> int | None:
    """The one reading of a number typed in a URL or a form: ASCII digits only (``"²".isdigit()`` is true and
    ``int("٣")`` is 3, neither is a number here), within [low, high]; None for anything else."""
    value = (value or "").strip()
    if not value or len(value) > 19 or not (value.isascii() and value.isdigit()):
        return None
    number = int(value)
    return number if low <= number <= high else None


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: ASCII digits within an id's range, so ``/incidents/٣`` and
    ``/incidents/99999999999999999999`` are a 404 instead of a lookup the database cannot take."""

    regex = r"[0-9]{1,10}"

    def __init__(self, url_map, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, **kwargs)
