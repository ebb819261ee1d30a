"""The report's charts as SVG drawn on the server by pygal: bars for channels, topics and departments, a line for
weeks; large type for a projector, black on white for print.

A chart is served as its own ``image/svg+xml`` document and shown with ``<img>``: an image runs no script and
the page's CSP stays as it is. pygal writes a ``<script>`` with its settings for its optional tooltips: an XML
filter removes it, so the document holds only shapes, text and its own stylesheet. pygal builds the tree with
ElementTree, which escapes every name (admins edit them) as XML text.
"""
import pygal
from flask_babel import gettext as _
from pygal.style import Style

from .figures import Report
from .text import number, title

WIDTH = 1200
BAR_HEIGHT = 46  # per bar group of a horizontal chart, so a long list stays readable
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
STYLE = Style(
    font_family=FONT, background="#ffffff", plot_background="#ffffff", foreground="#1d2733",
    foreground_strong="#1d2733", foreground_subtle="#8a96a3", opacity="1", opacity_hover="1", transition="0s",
    colors=("#0b5cad", "#ef8c00", "#2e7d32", "#8e24aa"),
    label_font_size=20, major_label_font_size=20, value_font_size=18, value_label_font_size=18,
    legend_font_size=22, title_font_size=26, tooltip_font_size=18, no_data_font_size=28,
)
THICK_LINES = "inline:.line.reactive.nofill{stroke-width:4px !important}"  # pygal's own rule makes them 1px
# every chart has two series at most, in one legend row (pygal counts the rows as series // columns)
COMMON = {"style": STYLE, "width": WIDTH, "js": [], "disable_xml_declaration": False, "legend_at_bottom": True,
          "legend_at_bottom_columns": 2, "legend_box_size": 20, "print_values": True, "print_zeroes": False, "truncate_label": 40,
          "truncate_legend": 40, "margin": 16, "spacing": 14}


def _without_script(root):
    """pygal's settings script serves only its tooltips: an image runs no script, and none should ship."""
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root


def _chart(kind, rows: int, **options):
    height = max(320, 150 + BAR_HEIGHT * rows) if kind is pygal.HorizontalBar else 560
    chart = kind(**{**COMMON, "height": height, "no_data_text": _("Нет данных за период"), "value_formatter": number,
                    **options})
    chart.add_xml_filter(_without_script)
    return chart


def channels(report: Report) -> str:
    """Messages by channel: the period against the same period a year before."""
    rows = [row for row in reversed(report.channels) if row.received or row.year_before]  # first on top
    chart = _chart(pygal.HorizontalBar, len(rows))
    chart.x_labels = [row.name for row in rows]
    chart.add(title(report.period), [row.received for row in rows])
    chart.add(title(report.year_before), [row.year_before for row in rows])
    return chart.render(is_unicode=True)


def topics(report: Report) -> str:
    """Topic shares in per cent, the most frequent first (at the top)."""
    rows = list(reversed(report.topics))
    chart = _chart(pygal.HorizontalBar, len(rows), show_legend=False,
                   value_formatter=lambda value: number(value, 1) + "%")
    chart.x_labels = [row.name for row in rows]
    chart.add(_("Доля сообщений, %"), [round(row.share, 1) for row in rows])
    return chart.render(is_unicode=True)


def departments(report: Report) -> str:
    """Received and answered messages by department."""
    rows = [row for row in reversed(report.departments) if row.received or row.handled]  # first on top
    chart = _chart(pygal.HorizontalBar, len(rows) * 2)
    chart.x_labels = [row.name for row in rows]
    chart.add(_("Поступило"), [row.received for row in rows])
    chart.add(_("Дан ответ"), [row.answered for row in rows])
    return chart.render(is_unicode=True)


def weeks(report: Report) -> str:
    """Messages received and first answers given, week by week."""
    every = max(1, len(report.weeks) // 13)  # about a label a month in a year
    chart = _chart(pygal.Line, 0, print_values=False, show_minor_x_labels=False, x_labels_major_every=every,
                   dots_size=4, css=(*pygal.Config.css.value, THICK_LINES))
    chart.x_labels = [row.first.strftime("%d.%m") for row in report.weeks]
    chart.add(_("Поступило"), [row.received for row in report.weeks])
    chart.add(_("Дан первый ответ"), [row.answered for row in report.weeks])
    return chart.render(is_unicode=True)


DRAW = {"channels": channels, "topics": topics, "departments": departments, "weeks": weeks}
