"""The report's figures as grouped aggregates: one statement per block, the same SQL on SQLite and PostgreSQL,
never a row per incident brought into Python.

Every block counts the messages the user may reach (``mcu.access.scope``), leaving out those marked as
duplicates (a duplicate is its original's message, counted once). The cohort of a period is the messages
received in it; «answered» there means answered at any time since. The weekly line and «handled per week»
count first answers given within the period instead: the work done in those weeks.

Periods and weeks are bounds in UTC computed from the city's local midnights (``periods.Period.bounds``), so
every condition is a range on a stored UTC time: no database date function, no assumption about the zone's
offset (a zone with daylight saving gets its 23- and 25-hour days right), and the same answer on both databases.
Scans read the covering indexes of migration 0005 (``ix_incident_report``, ``ix_incident_first_answer``,
``ix_event_returned``), never the table.
"""
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Float,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)

from ..access import scope
from ..deadlines import HELD_TO
from ..extensions import db
from ..models import Event, Incident, UTCDateTime
from ..workflow import RETURNED


def _within(column, bounds: tuple):
    return and_(column >= bounds[0], column < bounds[1])


def _counted(stmt, user):
    return scope(stmt.where(Incident.duplicate_of_id.is_(None)), user)


def _count_if(condition):
    return func.sum(case((condition, 1), else_=0))


def channels(user, ranges: dict) -> list:
    """Per channel and named range ({name: (from, to)}; ranges with equal bounds are read once): messages
    received, and of those the answered ones. Rows (bounds, channel_id, received, answered)."""
    parts = []
    for bounds in dict.fromkeys(ranges.values()):
        parts.append(_counted(select(
            literal(str(len(parts))).label("part"), Incident.channel_id.label("channel_id"),
            func.count().label("received"), _count_if(Incident.first_answered_at.is_not(None)).label("answered"),
        ).where(_within(Incident.received_at, bounds)), user).group_by(Incident.channel_id))
    rows = db.session.execute(union_all(*parts)).all()
    distinct = list(dict.fromkeys(ranges.values()))
    return [(distinct[int(part)], channel_id, received, answered) for part, channel_id, received, answered in rows]


def topics(user, current: tuple) -> list:
    """Per topic: messages received in the period. Rows (topic_id, received)."""
    stmt = select(Incident.topic_id, func.count()).where(_within(Incident.received_at, current))
    return db.session.execute(_counted(stmt, user).group_by(Incident.topic_id)).all()


def _held_deadline():
    """The deadline a card awaiting an answer is held to (``deadlines.HELD_TO``); NULL for the others."""
    return case(*[(Incident.status == status, getattr(Incident, column)) for status, column in HELD_TO.items()],
                else_=None)


def _median(histogram, partition):
    """The median of a histogram's minutes (``minutes``, ``n``) per partition (None: of all of it): the mean of
    the values at the two middle places, as percentile_cont(0.5) gives; the running count is a window over the
    histogram's few rows, not over the messages."""
    over = {} if partition is None else {"partition_by": partition}
    upto = cast(func.sum(histogram.c.n).over(order_by=histogram.c.minutes, **over), BigInteger)
    total = cast(func.sum(histogram.c.n).over(**over), BigInteger)
    running = select((partition if partition is not None else cast(null(), Integer)).label("department_id"),
                     histogram.c.minutes.label("minutes"), upto.label("upto"), total.label("total")
                     ).where(histogram.c.minutes.is_not(None)).subquery()
    r = running.c

    def at(place):
        return func.min(case((r.upto >= place, r.minutes), else_=None))

    return r, (at((r.total + 1) // 2) + at((r.total + 2) // 2)) / 2.0


def departments(user, current: tuple, now: datetime) -> list:
    """Per department (None: unrouted): received in the period; of those, answered, answered by the first-answer
    deadline, overdue now, ever returned for revision, and the median working minutes to the first answer; and
    first answers given within the period. Rows (level, department_id, received, answered, on_time, overdue,
    returned, median_minutes, handled): level 0 per department, and one row of level 1 whose median is that of
    all the messages together.

    The cohort is read once, grouped by department and whole working minutes: the medians are taken from that
    histogram, whose size is bounded by departments × distinct minutes, whatever the number of messages."""
    minutes, cohort = Incident.first_answer_work_minutes, _within(Incident.received_at, current)
    histogram = _counted(select(
        Incident.department_id.label("department_id"), minutes.label("minutes"), func.count().label("n"),
        func.count(Incident.first_answered_at).label("answered"),
        func.count(case((Incident.first_answered_at <= Incident.first_answer_due, 1))).label("on_time"),
    ).where(cohort), user).group_by(Incident.department_id, minutes).cte("histogram")
    h, zero, none = histogram.c, literal_column("0"), cast(null(), Float)
    totals = select(zero.label("level"), h.department_id.label("department_id"), func.sum(h.n).label("received"),
                    func.sum(h.answered).label("answered"), func.sum(h.on_time).label("on_time"),
                    zero.label("overdue"), zero.label("returned"), none.label("median_minutes"),
                    zero.label("handled")).group_by(h.department_id)
    by_department, median = _median(histogram, h.department_id)
    medians = select(zero, by_department.department_id, zero, zero, zero, zero, zero, cast(median, Float), zero
                     ).group_by(by_department.department_id)
    merged = select(h.minutes.label("minutes"), func.sum(h.n).label("n")).group_by(h.minutes).subquery()
    of_all, median_all = _median(merged, None)
    overall = select(literal_column("1"), of_all.department_id, zero, zero, zero, zero, zero, cast(median_all, Float),
                     zero).group_by(of_all.department_id)
    # only cards awaiting an answer can be overdue: read through the board's index of open cards
    overdue = _counted(select(zero, Incident.department_id, zero, zero, zero, func.count(), zero, none, zero)
                       .where(Incident.status.in_(tuple(HELD_TO)), cohort, _held_deadline() < now), user
                       ).group_by(Incident.department_id)
    # driven from the few history lines of a return, each message once however often it was returned
    returns = select(Event.incident_id).where(Event.kind == "status", Event.to_value == RETURNED).distinct().subquery()
    returned = _counted(select(zero, Incident.department_id, zero, zero, zero, zero, func.count(), none, zero)
                        .select_from(returns).join(Incident, Incident.id == returns.c.incident_id).where(cohort), user
                        ).group_by(Incident.department_id)
    handled = _counted(select(zero, Incident.department_id, zero, zero, zero, zero, zero, none, func.count())
                       .where(_within(Incident.first_answered_at, current)), user).group_by(Incident.department_id)
    parts = union_all(totals, medians, overall, overdue, returned, handled).subquery("parts")
    c = parts.c
    stmt = select(c.level, c.department_id, func.sum(c.received), func.sum(c.answered), func.sum(c.on_time),
                  func.sum(c.overdue), func.sum(c.returned), func.max(c.median_minutes), func.sum(c.handled)
                  ).group_by(c.level, c.department_id)
    return db.session.execute(stmt).all()


def weeks(user, bounds: list) -> list:
    """Per week ([(from, to)] in UTC, one per week of the period, in order): messages received, and first answers
    given, within it. Each week is an index range joined to a small table of the weeks' bounds. Rows
    (week index, received, answered)."""
    if not bounds:
        return []
    table = union_all(*[select(literal(n, Integer).label("n"), literal(start, UTCDateTime).label("start"),
                               literal(end, UTCDateTime).label("end")) for n, (start, end) in enumerate(bounds)]
                      ).cte("weeks")
    zero = literal_column("0")
    parts = []
    for column, as_received in ((Incident.received_at, True), (Incident.first_answered_at, False)):
        counted = func.count()
        parts.append(_counted(select(table.c.n.label("n"), (counted if as_received else zero).label("received"),
                                     (zero if as_received else counted).label("answered"))
                              .select_from(table).join(Incident, and_(column >= table.c.start, column < table.c.end)),
                              user).group_by(table.c.n))
    merged = union_all(*parts).subquery("parts")
    c = list(merged.c)
    stmt = select(c[0], func.sum(c[1]), func.sum(c[2])).group_by(c[0]).order_by(c[0])
    return db.session.execute(stmt).all()
