"""The МЦУ board: a Flask application for a city's municipal control center."""
import logging
import os

from flask import Flask, redirect, url_for
from sqlalchemy import event
from sqlalchemy.engine import Engine

from . import config
from .extensions import babel, csrf, db, limiter, login_manager, migrate

log = logging.getLogger(__name__)


def create_app(test_config=None):
    """Create and configure an instance of the МЦУ board."""
    app = Flask(__name__, instance_relative_config=True,
                template_folder="../templates", static_folder="../static")
    os.makedirs(app.instance_path, exist_ok=True)
    config.load(app, test_config)
    hops = int(app.config.get("PROXY_HOPS") or 0)
    if hops:  # behind nginx & co: the client's address (rate limits, logs) and scheme come from the proxy
        from werkzeug.middleware.proxy_fix import ProxyFix
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(app.root_path, os.pardir, "migrations"),
                     render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=lambda: "ru",
                   timezone_selector=lambda: app.config["TIMEZONE"])
    limiter.init_app(app)

    from . import auth, board, errors, incidents, security, timefmt
    app.register_blueprint(auth.bp)
    app.register_blueprint(board.bp)
    app.register_blueprint(incidents.bp)
    from . import sources
    sources.init_app(app)
    from . import imports
    imports.init_app(app)
    from . import rules
    rules.init_app(app)
    from . import users
    users.init_app(app)
    errors.register(app)
    security.register(app)
    timefmt.register(app)

    from . import cli
    cli.register(app)

    @app.get("/")
    def index():
        """The board is the home page."""
        return redirect(url_for("board.show"))

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


