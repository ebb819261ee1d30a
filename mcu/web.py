"""Questions every view asks about the request it serves: is it htmx, is it background polling."""
from flask import request

BACKGROUND_HEADER = "X-MCU-Background"
BACKGROUND_HEADERS_JSON = '{"' + BACKGROUND_HEADER + '": "1"}'


def is_htmx(req=None) -> bool:
    """True for requests htmx makes (they get fragments and HX-Redirect, never full pages)."""
    return bool((req or request).headers.get("HX-Request"))


def is_background(req=None) -> bool:
    """True when the request is automatic polling, which must not count as a person's action."""
    return (req or request).headers.get(BACKGROUND_HEADER, "") == "1"
