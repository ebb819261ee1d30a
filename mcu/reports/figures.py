"""The report: the blocks' aggregates (``queries``) named from the reference tables and turned into the figures
the page, the charts, the exports and the paragraph show: totals, growth, shares, rates, medians in hours.
Nothing here reads a row per incident; each block is one statement."""
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from ..roles import ROLES
from . import queries
from .periods import Period

BLOCKS = ("channels", "topics", "departments", "weeks")


@dataclass
class ChannelRow:
    """Messages of one channel (or a group of channels) in the period and the two it is compared with."""

    name: str
    in_incident_management: bool
    received: int = 0
    previous: int = 0
    year_before: int = 0
    answered: int = 0
    channel_id: int | None = None

    def add(self, other: "ChannelRow") -> None:
        self.received += other.received
        self.previous += other.previous
        self.year_before += other.year_before
        self.answered += other.answered

    @property
    def growth(self) -> float | None:
        """Per cent against the same period a year before; None when there was nothing then."""
        return (self.received - self.year_before) / self.year_before * 100 if self.year_before else None

    @property
    def growth_previous(self) -> float | None:
        return (self.received - self.previous) / self.previous * 100 if self.previous else None


@dataclass
class TopicRow:
    topic_id: int | None
    name: str
    received: int
    share: float  # per cent of the period's messages


@dataclass
class DepartmentRow:
    """One department's (or the unrouted lane's, or the city's) figures for the period."""

    name: str
    department_id: int | None = None
    received: int = 0
    answered: int = 0
    on_time: int = 0
    overdue: int = 0
    returned: int = 0
    median_minutes: float | None = None
    handled: int = 0
    weeks: float = 1.0

    @property
    def on_time_share(self) -> float | None:
        """Per cent of the answered messages whose first answer came by the deadline."""
        return self.on_time / self.answered * 100 if self.answered else None

    @property
    def median_hours(self) -> float | None:
        return None if self.median_minutes is None else self.median_minutes / 60

    @property
    def per_week(self) -> float:
        """First answers given per week of the period."""
        return self.handled / self.weeks


@dataclass
class WeekRow:
    """A Monday-to-Sunday week, cut to the period where the period begins or ends within it."""

    first: date
    last: date
    received: int
    answered: int


@dataclass
class Report:
    """Everything the reports page shows for one period, as the user may see it."""

    period: Period
    previous: Period
    year_before: Period
    made_at: datetime
    channels: list = field(default_factory=list)
    im: ChannelRow | None = None
    outside: ChannelRow | None = None
    total: "Totals | None" = None
    topics: list = field(default_factory=list)
    departments: list = field(default_factory=list)
    weeks: list = field(default_factory=list)

    @property
    def handled_per_week(self) -> float:
        return self.total.handled / self.period.weeks if self.total else 0.0


@dataclass
class Totals(DepartmentRow):
    """The city's (or the user's reach's) figures: the departments' sums plus the channels' comparisons."""

    previous: int = 0
    year_before: int = 0


def build(user, period: Period, lookups, tz: ZoneInfo, now: datetime, blocks=BLOCKS) -> Report:
    """The report of `period` over what the user may reach: only the blocks asked for are read (a chart or an
    export needs one), each in one statement."""
    report = Report(period, period.previous(), period.year_before(), now)
    bounds = period.bounds(tz)
    if "channels" in blocks or "departments" in blocks:
        _channels(report, user, lookups, tz)
    if "topics" in blocks:
        _topics(report, user, lookups, bounds)
    if "departments" in blocks:
        _departments(report, user, lookups, bounds, now)
    if "weeks" in blocks:
        _weeks(report, user, tz)
    return report


def _channels(report: Report, user, lookups, tz: ZoneInfo) -> None:
    ranges = {"received": report.period.bounds(tz), "previous": report.previous.bounds(tz),
              "year_before": report.year_before.bounds(tz)}
    rows = {}
    for bounds, channel_id, received, answered in queries.channels(user, ranges):
        counts = rows.setdefault(channel_id, [0, 0, 0, 0])
        for place, name in enumerate(ranges):
            if ranges[name] == bounds:
                counts[place] = int(received)
        if bounds == ranges["received"]:
            counts[3] = int(answered)
    report.im = ChannelRow(_("Инцидент-менеджмент"), True)
    report.outside = ChannelRow(_("Вне системы Инцидент-менеджмент"), False)
    for channel in lookups.channels.values():
        row = ChannelRow(channel.name, channel.in_incident_management, *rows.pop(channel.id, (0,) * 4),
                         channel_id=channel.id)
        report.channels.append(row)
    for channel_id, counts in rows.items():  # no channel, or one deleted since
        name = _("Канал не указан") if channel_id is None else _("Канал №%(id)d", id=channel_id)
        report.channels.append(ChannelRow(name, False, *counts, channel_id=channel_id))
    for row in report.channels:
        (report.im if row.in_incident_management else report.outside).add(row)
    report.total = Totals(_("Всего"), weeks=report.period.weeks, received=report.im.received + report.outside.received,
                          previous=report.im.previous + report.outside.previous,
                          year_before=report.im.year_before + report.outside.year_before)


def _topics(report: Report, user, lookups, bounds) -> None:
    rows = queries.topics(user, bounds)
    total = sum(count for _topic, count in rows)
    for topic_id, count in rows:
        if topic_id is None:
            name = _("Без тематики")
        else:
            found = lookups.topics.get(topic_id)
            name = found.name if found else _("Тематика №%(id)d", id=topic_id)
        report.topics.append(TopicRow(topic_id, name, int(count), int(count) / total * 100))
    report.topics.sort(key=lambda row: (-row.received, row.name))


def _departments(report: Report, user, lookups, bounds, now: datetime) -> None:
    found, overall = {}, None
    for level, department_id, *figures in queries.departments(user, bounds, now):
        if level:
            overall = figures[5]
            continue
        received, answered, on_time, overdue, returned, median, handled = figures
        found[department_id] = (int(received), int(answered), int(on_time), int(overdue), int(returned),
                                None if median is None else float(median), int(handled))
    weeks = report.period.weeks
    every = ROLES.get(user.role, {}).get("scope") == "all"
    for department in lookups.departments.values():
        figures = found.pop(department.id, None)
        if figures is not None or every:
            report.departments.append(DepartmentRow(department.short_name, department.id,
                                                    *(figures or (0, 0, 0, 0, 0, None, 0)), weeks=weeks))
    for department_id, figures in sorted(found.items(), key=lambda item: item[0] is None):
        name = _("Не распределено") if department_id is None else _("Подразделение №%(id)d", id=department_id)
        report.departments.append(DepartmentRow(name, department_id, *figures, weeks=weeks))
    total = report.total
    for row in report.departments:
        for name in ("answered", "on_time", "overdue", "returned", "handled"):
            setattr(total, name, getattr(total, name) + getattr(row, name))
    total.median_minutes = None if overall is None else float(overall)


def _weeks(report: Report, user, tz: ZoneInfo) -> None:
    period, week = report.period, report.period.start - timedelta(days=report.period.start.weekday())
    while week <= period.end:
        report.weeks.append(WeekRow(max(week, period.start), min(week + timedelta(days=6), period.end), 0, 0))
        week += timedelta(weeks=1)
    bounds = [Period(period.kind, row.first, row.last).bounds(tz) for row in report.weeks]
    for index, received, answered in queries.weeks(user, bounds):
        report.weeks[index].received, report.weeks[index].answered = int(received), int(answered)
