"""The reports page (a period's figures with charts, tables and the report paragraph), its charts as SVG and its
tables as XLSX and CSV. Operators, admins and viewers see the whole city; a head sees their department."""
from datetime import datetime

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from jinja2_fragments.flask import render_block

from ..lookups import load as load_lookups
from ..roles import can
from ..timefmt import city_tz
from ..web import is_htmx
from . import charts, export, figures, tables, text
from .periods import PeriodError, parse

bp = Blueprint("reports", __name__, url_prefix="/reports")

# An SVG shown through <img> runs no script; its own stylesheet is all it needs.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
CAPTIONS = {
    "channels": lambda r: _("Сообщения по каналам: %(now)s и %(then)s", now=text.title(r.period),
                            then=text.title(r.year_before)),
    "topics": lambda r: _("Доли тематик среди сообщений, %%, %(now)s", now=text.title(r.period)),
    "departments": lambda r: _("Поступило и дан ответ по подразделениям, %(now)s", now=text.title(r.period)),
    "weeks": lambda r: _("Поступило и дан первый ответ по неделям, %(now)s", now=text.title(r.period)),
}


def _allowed() -> None:
    """Reports are for the roles the table grants them; field staff get a Russian 403."""
    if not can(current_user.role, "reports"):
        abort(403, description=_("Отчёты доступны администраторам, операторам, наблюдателям и руководителям "
                                 "подразделений."))


def _now() -> datetime:
    return datetime.now(city_tz())


def _period_or_400():
    try:
        return parse(request.args, _now().date())
    except PeriodError as exc:
        abort(400, description=str(exc))


def _report(period, blocks=figures.BLOCKS):
    return figures.build(current_user, period, load_lookups(), city_tz(), _now(), blocks)


@bp.get("", strict_slashes=False)
@login_required
def index():
    """A period's figures: channels against the previous period and a year before, topic shares, departments,
    weeks; each with its chart, table and exports, and the paragraph «Текст для отчёта»."""
    _allowed()
    context = {"report": None, "notice": "", "shown": tables.shown, "captions": CAPTIONS, "now": _now(),
               "title": text.title, "args": {}}
    try:
        period = parse(request.args, context["now"].date())
    except PeriodError as exc:
        context["notice"], status = str(exc), 400
    else:
        report = _report(period)
        context.update(report=report, tables=[make(report) for make in tables.MAKE.values()],
                       paragraph=text.paragraph(report), args=period.args())
        status = 200
    if is_htmx() and request.headers.get("HX-Request-Type") != "full":
        return render_block("reports/index.html", "report", **context), status
    return render_template("reports/index.html", **context), status


@bp.get("/chart/<name>.svg")
@login_required
def chart(name: str):
    """One block's chart as an SVG image."""
    _allowed()
    if name not in charts.DRAW:
        abort(404)
    svg = charts.DRAW[name](_report(_period_or_400(), (name,)))
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = SVG_POLICY
    return response


@bp.get("/export.xlsx")
@login_required
def export_xlsx():
    """A table (``table=channels|topics|departments|weeks``) as XLSX, or every table in one workbook."""
    return _export("xlsx")


@bp.get("/export.csv")
@login_required
def export_csv():
    """A table (``table=channels|topics|departments|weeks``) as CSV."""
    return _export("csv")


def _export(kind: str):
    _allowed()
    period = _period_or_400()
    name = request.args.get("table", "")
    if name and name not in tables.MAKE or (kind == "csv" and not name):
        abort(400, description=_("Укажите таблицу: каналы (channels), тематики (topics), подразделения "
                                 "(departments) или недели (weeks)."))
    names = [name] if name else list(tables.MAKE)
    report = _report(period, tuple(names))
    made = [tables.MAKE[n](report) for n in names]
    filename = f"mcu-report-{name or 'all'}-{period.start.isoformat()}-{period.end.isoformat()}.{kind}"
    if kind == "csv":
        body, mimetype = export.csv_bytes(made[0]), "text/csv"
    else:
        body, mimetype = export.xlsx(report, made, report.made_at), export.XLSX_TYPE
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})
