"""Report periods: a year, quarter, month, ISO week or two dates, read from the URL; the period before it of the
same length, the same period a year before, and their bounds as moments in the city's time zone.

A period is a run of whole local days: a message received at 23:30 on 31.12.2021 in Khabarovsk (13:30 UTC)
belongs to 2021. Nothing here knows of ``request``: ``parse`` takes the query arguments as a mapping.
"""
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import gettext as _

from ..web import whole_number

YEAR, QUARTER, MONTH, WEEK, RANGE = "year", "quarter", "month", "week", "range"
KINDS = (YEAR, QUARTER, MONTH, WEEK)  # one argument each; a range is start= and end=
FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_DAYS = 5 * 366 + 1  # a report covers at most five years: its weekly chart stays readable and bounded
ONE_DAY = timedelta(days=1)


class PeriodError(ValueError):
    """A period the URL cannot mean; its text is the Russian notice."""


@dataclass(frozen=True)
class Period:
    """The local days from `start` to `end`, both included."""

    kind: str
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def weeks(self) -> float:
        """The period's length in weeks (a year is 52.1)."""
        return self.days / 7

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The period as UTC moments [from, to): local midnight of its first day to that after its last."""
        return (datetime.combine(self.start, time(0), tz).astimezone(UTC),
                datetime.combine(self.end + ONE_DAY, time(0), tz).astimezone(UTC))

    def previous(self) -> "Period":
        """The period just before, of the same length: the previous year, quarter, month or week; for two dates,
        as many days just before them."""
        if self.kind == YEAR:
            return year(self.start.year - 1)
        if self.kind == QUARTER:
            number = (self.start.month - 1) // 3 + 1
            return quarter(self.start.year - (number == 1), 4 if number == 1 else number - 1)
        if self.kind == MONTH:
            first = self.start - ONE_DAY
            return month(first.year, first.month)
        return Period(self.kind, self.start - timedelta(days=self.days), self.start - ONE_DAY)

    def year_before(self) -> "Period":
        """The same period a year before: the same year, quarter or month of the previous year; for a week, the
        week 52 weeks before (the same weekdays); for two dates, the same dates (29 February as the 28th)."""
        if self.kind == YEAR:
            return year(self.start.year - 1)
        if self.kind == QUARTER:
            return quarter(self.start.year - 1, (self.start.month - 1) // 3 + 1)
        if self.kind == MONTH:
            return month(self.start.year - 1, self.start.month)
        if self.kind == WEEK:
            return Period(WEEK, self.start - timedelta(weeks=52), self.end - timedelta(weeks=52))
        return Period(RANGE, _a_year_before(self.start), _a_year_before(self.end))

    def args(self) -> dict:
        """The query arguments that name this period (for links, exports and charts)."""
        if self.kind == YEAR:
            return {"year": str(self.start.year)}
        if self.kind == QUARTER:
            return {"quarter": f"{self.start.year}-{(self.start.month - 1) // 3 + 1}"}
        if self.kind == MONTH:
            return {"month": f"{self.start.year}-{self.start.month:02d}"}
        if self.kind == WEEK:
            iso = self.start.isocalendar()
            return {"week": f"{iso.year}-W{iso.week:02d}"}
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def year(number: int) -> Period:
    return Period(YEAR, date(number, 1, 1), date(number, 12, 31))


def quarter(number_of_year: int, number: int) -> Period:
    first = date(number_of_year, 3 * number - 2, 1)
    following = date(number_of_year + 1, 1, 1) if number == 4 else date(number_of_year, 3 * number + 1, 1)
    return Period(QUARTER, first, following - ONE_DAY)


def month(number_of_year: int, number: int) -> Period:
    following = date(number_of_year + 1, 1, 1) if number == 12 else date(number_of_year, number + 1, 1)
    return Period(MONTH, date(number_of_year, number, 1), following - ONE_DAY)


def week(number_of_year: int, number: int) -> Period:
    monday = date.fromisocalendar(number_of_year, number, 1)
    return Period(WEEK, monday, monday + timedelta(days=6))


def _a_year_before(day: date) -> date:
    return day.replace(year=day.year - 1, day=28 if (day.month, day.day) == (2, 29) else day.day)


def _numbers(value: str, separator: str, highs: tuple) -> list[int] | None:
    """«2021-05» as [2021, 5], each part a whole number within its range; None when it is not that."""
    parts = value.split(separator)
    if len(parts) != len(highs):
        return None
    numbers = [whole_number(part, low, high) for part, (low, high) in zip(parts, highs)]
    return None if None in numbers else numbers


YEARS = (FIRST_YEAR, LAST_YEAR)


def _date(value: str) -> date | None:
    numbers = _numbers(value, "-", (YEARS, (1, 12), (1, 31)))
    if numbers is None or len(value) != 10:
        return None
    try:
        return date(*numbers)
    except ValueError:
        return None


def parse(args, today: date) -> Period:
    """The period the query arguments name (``year=2021``, ``quarter=2021-2``, ``month=2021-05``,
    ``week=2021-W05``, ``start=2021-01-01&end=2021-12-31``); the current year when none is named. A value that
    cannot be read raises PeriodError with the Russian notice."""
    named = [kind for kind in (*KINDS, "start", "end") if args.get(kind)]
    if not named:
        return year(today.year)
    if len(named) > 1 and set(named) != {"start", "end"}:
        raise PeriodError(_("Укажите один период: год, квартал, месяц, неделю или две даты."))
    kind, value = named[0], args.get(named[0]).strip()
    shown = value[:40]
    if kind == YEAR:
        number = whole_number(value, *YEARS)
        if number is None:
            raise PeriodError(_("Год «%(value)s» не понят: нужен год от %(low)d до %(high)d, например 2021.",
                                value=shown, low=FIRST_YEAR, high=LAST_YEAR))
        return year(number)
    if kind == QUARTER:
        numbers = _numbers(value, "-", (YEARS, (1, 4)))
        if numbers is None:
            raise PeriodError(_("Квартал «%(value)s» не понят: нужен год и номер квартала, например 2021-2.",
                                value=shown))
        return quarter(*numbers)
    if kind == MONTH:
        numbers = _numbers(value, "-", (YEARS, (1, 12)))
        if numbers is None or len(value) != 7:
            raise PeriodError(_("Месяц «%(value)s» не понят: нужен год и месяц, например 2021-05.", value=shown))
        return month(*numbers)
    if kind == WEEK:
        numbers = _numbers(value.replace("w", "W"), "-W", (YEARS, (1, 53)))
        try:
            return week(*numbers)
        except (TypeError, ValueError):
            raise PeriodError(_("Неделя «%(value)s» не понята: нужен год и номер недели по ISO, например "
                                "2021-W05.", value=shown)) from None
    start, end = _date(args.get("start", "").strip()), _date(args.get("end", "").strip())
    if start is None or end is None:
        raise PeriodError(_("Даты периода не поняты: нужны обе, начало и конец, в виде ГГГГ-ММ-ДД, например "
                            "2021-01-01 и 2021-12-31."))
    if end < start:
        raise PeriodError(_("Конец периода раньше его начала."))
    if (end - start).days + 1 > MAX_DAYS:
        raise PeriodError(_("Период длиннее пяти лет: выберите покороче."))
    return Period(RANGE, start, end)
