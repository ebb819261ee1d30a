"""An open board's idle poll answered before Flask (docs/live.md «The idle poll»).

Every open screen asks every 2 s whether a lane it can see changed; nearly always nothing did. Answering that
through Flask costs a request context, the session, the limiter and the after-request hooks for an empty 204.
This WSGI middleware answers it first, with the same checks the view makes: the versions the poll names are
all the versions this process last read (and read no longer than ``LANE_VERSION_TTL`` ago), and the session
cookie is one this app signed, for a signed-in person who is not past the idle timeout. Anything else (a
change, a stale copy of the versions, no session, a bad signature, an odd query) goes to Flask as before.
"""
from urllib.parse import unquote

from itsdangerous import BadSignature
from werkzeug.http import parse_cookie

from .. import security
from ..lanes import HELD_VERSIONS, VersionCache
from ..security import CSP, LAST_SEEN_KEY, STRICT

PATH = "/board/changes"
MAX_LANES = 500  # a poll naming more lanes than a city has departments is not a board's


def unchanged(value: str, current: dict) -> bool:
    """True when every lane named in a poll's ``v`` is still at the version it names (the hot path of every open
    screen: a split and a comparison per lane; anything unexpected counts as changed)."""
    if not value:
        return False
    for part in value.split(",", MAX_LANES):
        key, _dot, version = part.partition(".")
        if str(current.get(key, 0)) != version:
            return False
    return True


class IdlePolls:
    """WSGI middleware: ``204 No Content`` for a board's poll when nothing it names changed, else the app."""

    def __init__(self, wsgi_app, app):
        self.wsgi_app, self.app = wsgi_app, app
        self.cookie = app.config["SESSION_COOKIE_NAME"]
        self.max_age = int(app.permanent_session_lifetime.total_seconds())
        headers = [("Content-Security-Policy", CSP), *STRICT, ("Cache-Control", "no-store"), ("Vary", "HX-Request, Cookie")]
        self.headers = headers
        self.secure_headers = [*headers, ("Strict-Transport-Security", "max-age=31536000")]

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == PATH and environ.get("REQUEST_METHOD") == "GET" and self.idle(environ):
            secure = environ.get("wsgi.url_scheme") == "https"
            start_response("204 NO CONTENT", list(self.secure_headers if secure else self.headers))
            return []
        return self.wsgi_app(environ, start_response)

    def idle(self, environ) -> bool:
        """True when the view would answer this poll with an empty 204 too."""
        cache = self.app.extensions.get(HELD_VERSIONS)  # made by the first poll Flask answered
        versions = cache.fresh() if isinstance(cache, VersionCache) else None
        query = environ.get("QUERY_STRING", "")
        if versions is None or not query.isascii() or "%00" in query:
            return False
        value = next((part[2:] for part in query.split("&") if part.startswith("v=")), "")
        if not unchanged(unquote(value), versions):
            return False
        raw = parse_cookie(environ.get("HTTP_COOKIE", "")).get(self.cookie)
        if not raw:
            return False
        try:
            data = self.app.session_interface.get_signing_serializer(self.app).loads(raw, max_age=self.max_age)
        except BadSignature:
            return False
        return ("_user_id" in data
                and not security.is_idle(data.get(LAST_SEEN_KEY), self.app.config["IDLE_TIMEOUT_MINUTES"]))
