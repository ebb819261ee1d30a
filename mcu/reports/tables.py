"""The report's tables as data: Russian column names, a kind per column, raw values per row. The page, the XLSX
and the CSV export render the same tables, so a figure cannot differ between them."""
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _

from .figures import Report
from .text import number, percent, title

TEXT, COUNT, SIGNED, PERCENT, DECIMAL, DATE = "text", "count", "signed", "percent", "decimal", "date"
NAMES = ("channels", "topics", "departments", "weeks")


@dataclass
class Table:
    name: str
    title: str
    columns: list  # (Russian name, kind)
    rows: list  # lists of raw values (None: nothing to show)
    total: list | None = None  # the «Всего» row, set apart


def channels(report: Report) -> Table:
    """Messages by channel: Инцидент-менеджмент against the channels outside it, and each channel."""
    compare = [report.year_before] if report.previous == report.year_before else [report.previous, report.year_before]
    columns = [(_("Канал"), TEXT), (_("Инцидент-менеджмент"), TEXT), (title(report.period), COUNT)]
    for period in compare:
        columns += [(title(period), COUNT), (_("Разница с «%(p)s»", p=title(period)), SIGNED),
                    (_("Рост к «%(p)s», %%", p=title(period)), PERCENT)]
    columns.append((_("Дан ответ"), COUNT))

    def row(channel, in_im):
        values = [channel.name, in_im, channel.received]
        for then in ([channel.year_before] if len(compare) == 1 else [channel.previous, channel.year_before]):
            values += [then, channel.received - then,
                       (channel.received - then) / then * 100 if then else None]
        return values + [channel.answered]

    yes, no = _("да"), _("нет")
    rows = [row(report.im, yes), row(report.outside, no)]
    rows += [row(c, yes if c.in_incident_management else no) for c in report.channels]
    total = row(report.total, None)
    total[-1] = report.im.answered + report.outside.answered
    return Table("channels", _("Сообщения по каналам"), columns, rows, total)


def topics(report: Report) -> Table:
    """Topic shares, the most frequent first."""
    columns = [(_("Тематика"), TEXT), (_("Сообщений"), COUNT), (_("Доля, %"), PERCENT)]
    rows = [[row.name, row.received, row.share] for row in report.topics]
    total = [_("Всего"), sum(row.received for row in report.topics), 100.0 if report.topics else None]
    return Table("topics", _("Тематики сообщений"), columns, rows, total)


def departments(report: Report) -> Table:
    """Each department's work on the period's messages."""
    columns = [(_("Подразделение"), TEXT), (_("Поступило"), COUNT), (_("Дан ответ"), COUNT),
               (_("Ответ в срок"), COUNT), (_("Доля в срок, %"), PERCENT),
               (_("Медиана до первого ответа, рабочих часов"), DECIMAL), (_("Просрочено сейчас"), COUNT),
               (_("Возвращено на доработку"), COUNT), (_("Первых ответов за период"), COUNT),
               (_("Обработано в неделю"), DECIMAL)]

    def row(department):
        return [department.name, department.received, department.answered, department.on_time,
                department.on_time_share, department.median_hours, department.overdue, department.returned,
                department.handled, department.per_week]

    total = row(report.total)
    total[0] = _("Всего")
    return Table("departments", _("Подразделения"), columns, [row(d) for d in report.departments], total)


def weeks(report: Report) -> Table:
    """Week by week: received, and first answers given."""
    columns = [(_("Неделя с"), DATE), (_("по"), DATE), (_("Поступило"), COUNT), (_("Дан первый ответ"), COUNT)]
    rows = [[row.first, row.last, row.received, row.answered] for row in report.weeks]
    total = [_("Всего"), None, sum(row.received for row in report.weeks), sum(row.answered for row in report.weeks)]
    return Table("weeks", _("По неделям"), columns, rows, total)


MAKE = {"channels": channels, "topics": topics, "departments": departments, "weeks": weeks}


def shown(value, kind: str) -> str:
    """A table's value as the page shows it: «14 827», «+1707», «39,6%», «4,5», «04.01.2021», «—» for none."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if kind == SIGNED:
        return ("+" if value > 0 else "") + number(value)
    if kind == PERCENT:
        return percent(value)
    if kind == DECIMAL:
        return number(value, 1)
    return number(value)
