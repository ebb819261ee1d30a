"""The city's working time: the Russian production calendar plus the city's own days, in its time zone.

Federal days off, transferred days off and working Saturdays come from the `holidays` package (its Russian
calendar lists each year's decree as substituted days); the settings add the region's own days off
(`HOLIDAYS`) and working days (`WORKDAYS_EXTRA`). A working day runs from `WORKDAY_START` to `WORKDAY_END`
and ends one hour earlier when it comes right before a public holiday (Labour Code, art. 95). What each year
looks like is worked out once per process; rules and examples are in docs/deadlines.md.
"""
import logging
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import holidays

log = logging.getLogger(__name__)

COUNTRY = "RU"
LANGUAGE = "ru"  # names a transferred day off «Выходной (перенесено с 20.02.2021)»: the date worked instead
SWAPPED_WITH = re.compile(r"(\d\d)\.(\d\d)\.(\d{4})")
# Since 2013 the weekend days that fall on January 1-8 are moved by a yearly decree, so every year the package
# knows has substituted days; a year without any is one whose decree it does not ship.
DECREES_SINCE = 2013
SHORTER_BY = timedelta(hours=1)  # art. 95: the working day right before a public holiday
ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class FederalYear:
    """One year of the federal calendar as the package knows it."""

    days_off: frozenset  # public holidays, transferred and in-lieu days off (weekends not listed)
    public_holidays: frozenset  # art. 112 holidays proper: the working day before one is short
    working_weekend: dict  # a working Saturday or Sunday -> the weekday off it was swapped with


@cache
def federal_year(year: int) -> FederalYear:
    """The package's Russian calendar for `year`. For a year it has no decree for, only weekends, the public
    holidays and their statutory moves (a holiday on a weekend, except January 1-8, gives the next working day
    off: art. 112) are known, and the log says so once (this is cached); the January swaps of such a year belong
    in the settings until the package has them."""
    listed = holidays.country_holidays(COUNTRY, years=year, language=LANGUAGE)
    plain = holidays.country_holidays(COUNTRY, years=year, language=LANGUAGE, observed=False)
    public = frozenset(d for d in plain if any(not SWAPPED_WITH.search(n) for n in plain.get_list(d)))
    swapped = {}
    for day_off in listed:
        for name in listed.get_list(day_off):
            found = SWAPPED_WITH.search(name)
            if found:
                swapped[date(int(found[3]), int(found[2]), int(found[1]))] = day_off
    days_off = set(listed)
    known = bool(swapped) or year < DECREES_SINCE
    if not known:
        for holiday in sorted(public):
            if holiday.weekday() >= 5 and not (holiday.month == 1 and holiday.day <= 8):
                instead = holiday + ONE_DAY
                while instead.weekday() >= 5 or instead in days_off:
                    instead += ONE_DAY
                days_off.add(instead)
        log.warning("holidays %s has no production calendar for %d: only weekends, public holidays and their "
                    "statutory moves count; put that year's swapped days into HOLIDAYS and WORKDAYS_EXTRA or "
                    "upgrade the package", holidays.__version__, year)
    working_weekend = {d: swapped.get(d) for d in listed.weekend_workdays}
    return FederalYear(frozenset(days_off), public, working_weekend)


@dataclass(frozen=True)
class CityYear:
    """One year of the city's calendar: the federal one with the local settings applied."""

    days_off: frozenset  # every day without working hours, weekends included
    short_days: frozenset  # working days that end SHORTER_BY earlier


@dataclass(frozen=True)
class _Timeline:
    """Working intervals (UTC) of whole local years, with the working time accumulated before and after each."""

    first: int
    last: int
    start: datetime
    end: datetime
    opens: list
    closes: list
    before: list
    after: list


def parse_days(setting: str, values) -> frozenset:
    """ISO dates of a setting as dates; a value that is not one names the setting in the error."""
    days = set()
    for value in values:
        try:
            days.add(value if isinstance(value, date) else date.fromisoformat(value))
        except (TypeError, ValueError):
            raise ValueError(f"{setting}: {value!r} is not a date written as YYYY-MM-DD") from None
    return frozenset(days)


class WorkCalendar:
    """When the city works: days, hours and short days, and arithmetic in working time."""

    def __init__(self, tz: ZoneInfo, day_start: int, day_end: int, local_days_off: frozenset,
                 local_workdays: frozenset):
        if not (isinstance(day_start, int) and isinstance(day_end, int) and 0 <= day_start < day_end - 1 < 23):
            raise ValueError(f"WORKDAY_START/WORKDAY_END: {day_start!r}-{day_end!r} is not a working day of whole "
                             "hours that is still a day when one hour shorter")
        both = local_days_off & local_workdays
        if both:
            raise ValueError(f"HOLIDAYS and WORKDAYS_EXTRA both list {min(both).isoformat()}")
        self.tz = tz
        self.opens_at, self.closes_at = time(day_start), time(day_end)
        self.local_days_off, self.local_workdays = local_days_off, local_workdays
        self._years: dict[int, CityYear] = {}
        self._timeline: _Timeline | None = None

    def year(self, year: int) -> CityYear:
        """The city's calendar of one year, worked out on first use."""
        found = self._years.get(year)
        if found is None:
            found = self._years[year] = self._build_year(year)
        return found

    def _build_year(self, year: int) -> CityYear:
        federal = federal_year(year)
        days_off, short_days = set(), set()
        day = date(year, 1, 1)
        while day.year == year:
            if day in self.local_workdays:
                works = True
            elif day in self.local_days_off:
                works = False
            elif day.weekday() >= 5:
                works = day in federal.working_weekend
            else:
                works = day not in federal.days_off
            if not works:
                days_off.add(day)
            else:  # a working weekend day is as long as the weekday it was swapped with
                like = federal.working_weekend.get(day) or day
                following = like + ONE_DAY
                if following in federal_year(following.year).public_holidays:
                    short_days.add(day)
            day += ONE_DAY
        return CityYear(frozenset(days_off), frozenset(short_days))

    def is_workday(self, day: date) -> bool:
        """True when the city works on this (local) day."""
        return day not in self.year(day.year).days_off

    def working_hours(self, day: date) -> tuple[datetime, datetime] | None:
        """The day's opening and closing moments in the city's zone, or None on a day off."""
        year = self.year(day.year)
        if day in year.days_off:
            return None
        closes = datetime.combine(day, self.closes_at, self.tz)
        return datetime.combine(day, self.opens_at, self.tz), closes - SHORTER_BY if day in year.short_days else closes

    def _build_timeline(self, first: int, last: int) -> _Timeline:
        opens, closes, before, after = [], [], [], []
        total = timedelta(0)
        day = date(first, 1, 1)
        while day.year <= last:
            hours = self.working_hours(day)
            if hours is not None:
                opens.append(hours[0].astimezone(UTC))
                closes.append(hours[1].astimezone(UTC))
                before.append(total)
                total += closes[-1] - opens[-1]
                after.append(total)
            day += ONE_DAY
        start = datetime.combine(date(first, 1, 1), time(0), self.tz).astimezone(UTC)
        end = datetime.combine(date(last + 1, 1, 1), time(0), self.tz).astimezone(UTC)
        self._timeline = _Timeline(first, last, start, end, opens, closes, before, after)
        return self._timeline

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The moment `duration` of working time after `start` (a deadline ending at closing time is that closing
        time). The hot path of ingestion: two bisections over the cached working intervals."""
        moment = start if start.tzinfo is UTC else start.astimezone(UTC)
        line = self._timeline
        if line is None or not line.start <= moment < line.end:
            year = moment.astimezone(self.tz).year
            first, last = (year, year + 1) if line is None else (min(line.first, year), max(line.last, year + 1))
            line = self._build_timeline(first, last)
        i = bisect_right(line.opens, moment) - 1  # the last working interval opening at or before `moment`
        if i < 0:
            worked = timedelta(0)
        elif moment < line.closes[i]:
            worked = line.before[i] + (moment - line.opens[i])
        else:
            worked = line.after[i]
        target = worked + duration
        while not line.after or target > line.after[-1]:
            if line.last - line.first > 50:
                raise ValueError("no working time in the calendar for 50 years: check HOLIDAYS")
            line = self._build_timeline(line.first, line.last + 1)
        j = bisect_left(line.after, target)
        due = line.opens[j] + (target - line.before[j])
        return due if start.tzinfo is UTC else due.astimezone(start.tzinfo)

    def _line_for(self, moment: datetime) -> _Timeline:
        """The cached timeline, grown to hold `moment` and the year after it."""
        line = self._timeline
        if line is None or not line.start <= moment < line.end:
            year = moment.astimezone(self.tz).year
            first, last = (year, year + 1) if line is None else (min(line.first, year), max(line.last, year + 1))
            line = self._build_timeline(first, last)
        return line

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """The working time from `start` to `end` (negative when `end` comes first)."""
        a, b = start.astimezone(UTC), end.astimezone(UTC)
        self._line_for(min(a, b))
        line = self._line_for(max(a, b))  # one timeline holding both
        return _worked(line, b) - _worked(line, a)

    def next_working_moment(self, moment: datetime) -> datetime:
        """`moment` itself during working hours, else the next opening (quiet hours end then)."""
        at = moment.astimezone(UTC)
        line = self._line_for(at)
        i = bisect_right(line.opens, at) - 1
        if i >= 0 and at < line.closes[i]:
            return moment
        while i + 1 >= len(line.opens):
            line = self._build_timeline(line.first, line.last + 1)
        return line.opens[i + 1].astimezone(moment.tzinfo)

    def working_time(self, start: datetime, end: datetime) -> timedelta:
        """The working time between two moments, none when `end` is not after `start` (the time to a first answer
        in reports)."""
        return max(timedelta(0), self.working_time_between(start, end))

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same wall-clock time in the city `days` working days later."""
        local = start.astimezone(self.tz)
        day = local.date()
        while days > 0:
            day += ONE_DAY
            if self.is_workday(day):
                days -= 1
        return datetime.combine(day, local.time(), self.tz).astimezone(start.tzinfo)


def _worked(line: _Timeline, moment: datetime) -> timedelta:
    """Working time from the start of the timeline to `moment` (UTC, within it)."""
    i = bisect_right(line.opens, moment) - 1
    if i < 0:
        return timedelta(0)
    return line.before[i] + (moment - line.opens[i]) if moment < line.closes[i] else line.after[i]


@lru_cache(maxsize=32)
def _calendar(tz: ZoneInfo, day_start: int, day_end: int, local_days_off: tuple, local_workdays: tuple):
    return WorkCalendar(tz, day_start, day_end, parse_days("HOLIDAYS", local_days_off),
                        parse_days("WORKDAYS_EXTRA", local_workdays))


def from_settings(cfg, tz: ZoneInfo) -> WorkCalendar:
    """The calendar of these settings (WORKDAY_START, WORKDAY_END, HOLIDAYS, WORKDAYS_EXTRA) in `tz`, one per
    process for equal settings, so each year is worked out once."""
    return _calendar(tz, cfg["WORKDAY_START"], cfg["WORKDAY_END"], _listed(cfg, "HOLIDAYS"),
                     _listed(cfg, "WORKDAYS_EXTRA"))


def _listed(cfg, setting: str) -> tuple:
    value = cfg[setting]
    if isinstance(value, str):
        raise TypeError(f'{setting}: a list of dates is expected, e.g. ["2026-06-01"], not {value!r}')
    return tuple(value)
