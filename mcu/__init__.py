"""The МЦУ board: a Flask application for a city's municipal control center."""
import logging
import os

from flask import Flask, redirect, url_for
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config
from .extensions import babel, csrf, db, limiter, login_manager, migrate
from .search import not_search_index
from .web import IdConverter

log = logging.getLogger(__name__)


def create_app(test_config=None):
    """Create and configure an instance of the МЦУ board."""
    app = Flask(__name__, instance_relative_config=True,
                template_folder="../templates", static_folder="../static")
    os.makedirs(app.instance_path, exist_ok=True)
    config.load(app, test_config)
    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(app.root_path, os.pardir, "migrations"),
                     render_as_batch=True, compare_type=True, include_object=not_search_index)
    login_manager.init_app(app, add_context_processor=False)
    # templates get the person lazily: Flask-Login's own processor loads them for every rendered template, and an
    # open board's poll, which needs no person in its markup, would pay a database round trip for it (docs/live.md)
    app.context_processor(lambda: {"current_user": current_user})
    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: "ru",
                   timezone_selector=lambda: app.config["TIMEZONE"])
    limiter.init_app(app)

    app.url_map.converters["int"] = IdConverter
    # The app factory is the composition root: it may import every area, here rather than at module level,
    # because every area imports modules of this package (a module-level import would be a cycle).
    from . import (
        auth,
        board,
        cli,
        errors,
        field,
        imports,
        incidents,
        navigation,
        notifications,
        reports,
        rules,
        security,
        shortcuts,
        sources,
        timefmt,
        users,
        wall,
    )
    for area in (auth, board, incidents, field, sources, imports, rules, users, notifications, reports, shortcuts, wall):
        area.init_app(app)
    errors.register(app)
    security.register(app)
    timefmt.register(app)
    navigation.register(app)
    cli.register(app)
    hops = int(app.config["PROXY_HOPS"])
    if hops:  # behind nginx & co: the client's address (rate limits, logs) and scheme come from the proxy (outermost,
        # so the areas' WSGI middleware, board.idle's, sees them too)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    @app.get("/")
    def index():
        """The home page: the board, or a role's own landing page (field staff: «Мои задачи»)."""
        return redirect(navigation.home(current_user.role) if current_user.is_authenticated else url_for("board.show"))

    return app


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """WAL and a busy timeout, so the web server and the workers share one SQLite file; a page cache of up to
    64 MB per connection (SQLite's default is 2 MB), which keeps a year's indexes in memory: inserting 10,000
    incidents into a table of 100,000 took 389 ms with the default and 296 ms with it (docs/feeds.md)."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA cache_size=-65536")
        cur.close()


