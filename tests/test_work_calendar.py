"""The working calendar itself (mcu/work_calendar.py): hours of a day, working time between moments, the next
working moment (quiet hours end then), working days, and the settings it refuses. Every expected moment is counted
by hand from the published 2021 and 2024 calendars (working day 9-18, an hour shorter before a public holiday)."""
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

from mcu.work_calendar import WorkCalendar, from_settings, parse_days

VLADIVOSTOK = ZoneInfo("Asia/Vladivostok")
NONE = frozenset()
SETTINGS = {"WORKDAY_START": 9, "WORKDAY_END": 18, "HOLIDAYS": [], "WORKDAYS_EXTRA": []}
H = timedelta(hours=1)


def at(text: str, tz=VLADIVOSTOK) -> datetime:
    return datetime.strptime(text, "%d.%m.%Y %H:%M").replace(tzinfo=tz)


def shown(moment: datetime) -> str:
    return moment.astimezone(VLADIVOSTOK).strftime("%d.%m.%Y %H:%M")


@pytest.fixture
def city() -> WorkCalendar:
    return from_settings(SETTINGS, VLADIVOSTOK)


@pytest.mark.parametrize("day,hours", [
    ("2024-02-21", ("21.02.2024 09:00", "21.02.2024 18:00")),
    ("2024-02-22", ("22.02.2024 09:00", "22.02.2024 17:00")),  # short: 23.02 is a holiday
    ("2024-04-27", ("27.04.2024 09:00", "27.04.2024 18:00")),  # a working Saturday, swapped with Mon 29.04
    ("2024-02-23", None), ("2024-02-24", None), ("2024-04-29", None),
])
def test_a_days_working_hours(city, day, hours):
    found = city.working_hours(date.fromisoformat(day))
    assert (found if found is None else tuple(shown(m) for m in found)) == hours
    assert city.is_workday(date.fromisoformat(day)) is (hours is not None)
    if found:
        assert found[0].tzinfo is VLADIVOSTOK


def test_the_working_time_between_two_moments_counts_only_working_hours(city):
    start, end = at("22.02.2024 16:00"), at("26.02.2024 10:30")  # 1 h on the short Thursday, 1.5 h on Monday
    assert city.working_time_between(start, end) == timedelta(hours=2, minutes=30)
    assert city.working_time_between(end, start) == -timedelta(hours=2, minutes=30)
    assert city.working_time(start, end) == timedelta(hours=2, minutes=30)
    assert city.working_time(end, start) == timedelta(0)
    assert city.working_time_between(at("21.02.2024 07:00"), at("21.02.2024 20:00")) == 9 * H
    assert city.working_time_between(at("23.02.2024 10:00"), at("25.02.2024 12:00")) == timedelta(0)
    assert city.working_time_between(at("21.02.2024 12:00"), at("21.02.2024 12:00").astimezone(UTC)) == timedelta(0)


def test_the_working_time_between_years_apart_is_counted_across_them(city):
    # 2024: 248 working days of 9 hours, 5 of them an hour short
    assert city.working_time_between(at("01.01.2024 00:00"), at("01.01.2025 00:00")) == 2227 * H
    assert city.working_time_between(at("01.01.2025 00:00"), at("01.01.2024 00:00")) == -2227 * H
    assert city.working_time_between(at("31.12.2020 16:00"), at("11.01.2021 10:00")) == 2 * H


@pytest.mark.parametrize("moment,expected", [
    ("21.02.2024 12:00", "21.02.2024 12:00"),  # during working hours: the moment itself
    ("21.02.2024 09:00", "21.02.2024 09:00"),  # at opening
    ("09.01.2024 12:00", "09.01.2024 12:00"),  # during the year's first working day (01-08.01 off)
    ("21.02.2024 07:59", "21.02.2024 09:00"),
    ("21.02.2024 18:00", "22.02.2024 09:00"),  # at closing: the next opening
    ("22.02.2024 17:30", "26.02.2024 09:00"),  # after the short day's end: past the holiday and the weekend
    ("31.12.2024 20:00", "09.01.2025 09:00"),  # past the New Year break, into the next year's timeline
])
def test_the_next_working_moment(city, moment, expected):
    assert shown(city.next_working_moment(at(moment))) == expected


def test_the_next_working_moment_keeps_the_zone_it_was_given(city):
    asked = at("21.02.2024 20:00").astimezone(UTC)
    assert city.next_working_moment(asked) == datetime(2024, 2, 21, 23, 0, tzinfo=UTC)
    assert city.next_working_moment(asked).tzinfo is UTC
    during = at("21.02.2024 12:00")
    assert city.next_working_moment(during) is during


def test_working_time_is_added_from_within_the_first_working_day_worked_out(city):
    assert shown(city.add_working_time(at("09.01.2024 12:00"), H)) == "09.01.2024 13:00"  # 01-08.01 off
    assert shown(city.add_working_time(at("09.01.2024 18:00"), H)) == "10.01.2024 10:00"


def test_working_time_is_added_from_opening_closing_and_across_years(city):
    assert shown(city.add_working_time(at("21.02.2024 09:00"), 9 * H)) == "21.02.2024 18:00"
    assert shown(city.add_working_time(at("21.02.2024 18:00"), H)) == "22.02.2024 10:00"
    assert shown(city.add_working_time(at("21.02.2024 10:00"), timedelta(0))) == "21.02.2024 10:00"
    assert shown(city.add_working_time(at("20.02.2024 18:30"), 17 * H)) == "22.02.2024 17:00"  # the short day's end
    # a later year grows the timeline, then an earlier one; a long span runs past its end
    assert shown(city.add_working_time(at("28.12.2026 17:00"), 2 * H)) == "29.12.2026 10:00"
    assert shown(city.add_working_time(at("30.12.2020 17:00"), 9 * H)) == "31.12.2020 17:00"
    assert shown(city.add_working_time(at("01.01.2024 00:00"), 2228 * H)) == "09.01.2025 10:00"  # 2024's 2227 h
    # 2021: 247 days of 9 hours, 4 short; 31.12.2021 was a day off
    assert shown(city.add_working_time(at("01.01.2021 00:00"), 2219 * H)) == "30.12.2021 18:00"


def test_added_working_time_keeps_the_zone_it_was_given(city):
    moscow = ZoneInfo("Europe/Moscow")
    due = city.add_working_time(at("21.02.2024 17:00").astimezone(moscow), 2 * H)
    assert due.tzinfo is moscow and shown(due) == "22.02.2024 10:00"
    due = city.add_working_time(at("21.02.2024 17:00").astimezone(UTC), 2 * H)
    assert due.tzinfo is UTC and due == datetime(2024, 2, 22, 0, 0, tzinfo=UTC)


def test_working_days_are_added_at_the_same_wall_clock_time(city):
    assert shown(city.add_working_days(at("22.02.2024 20:00"), 1)) == "26.02.2024 20:00"
    assert shown(city.add_working_days(at("26.04.2024 11:30"), 2)) == "02.05.2024 11:30"
    assert shown(city.add_working_days(at("24.02.2024 10:00"), 0)) == "24.02.2024 10:00"
    asked = at("22.02.2024 20:00").astimezone(UTC)
    assert city.add_working_days(asked, 1).tzinfo is UTC


def test_a_calendar_without_any_working_day_says_so_instead_of_counting_forever():
    class EveryDay(frozenset):
        def __contains__(self, day):
            return True

    never = WorkCalendar(VLADIVOSTOK, 9, 18, EveryDay(), NONE)
    with pytest.raises(ValueError, match="^no working time in the calendar for 50 years: check HOLIDAYS$"):
        never.add_working_time(at("01.03.2026 10:00"), H)
    # the search goes through the 51st year after the one asked about, and no further
    rare = WorkCalendar(VLADIVOSTOK, 9, 18, EveryDay(), parse_days("WORKDAYS_EXTRA", ["2077-03-01"]))
    assert shown(rare.add_working_time(at("01.03.2026 10:00"), H)) == "01.03.2077 10:00"
    rarer = WorkCalendar(VLADIVOSTOK, 9, 18, EveryDay(), parse_days("WORKDAYS_EXTRA", ["2078-03-01"]))
    with pytest.raises(ValueError, match="^no working time in the calendar for 50 years: check HOLIDAYS$"):
        rarer.add_working_time(at("01.03.2026 10:00"), H)


@pytest.mark.parametrize("start,end", [(0, 2), (9, 18), (21, 23), (9, 23)])
def test_a_working_day_of_whole_hours_that_stays_a_day_when_short_is_taken(start, end):
    calendar = WorkCalendar(VLADIVOSTOK, start, end, NONE, NONE)
    hours = calendar.working_hours(date(2024, 2, 21))
    assert (hours[0].hour, hours[1].hour) == (start, end)
    assert calendar.working_hours(date(2024, 2, 22))[1].hour == end - 1


@pytest.mark.parametrize("start,end", [(18, 9), (9, 9), (9, 10), (0, 1), (-1, 10), (9, 24), (22, 24), (9.0, 18),
                                       (9, "18")])
def test_a_working_day_that_cannot_be_is_refused_naming_both_settings(start, end):
    with pytest.raises(ValueError) as caught:
        WorkCalendar(VLADIVOSTOK, start, end, NONE, NONE)
    assert str(caught.value) == (f"WORKDAY_START/WORKDAY_END: {start!r}-{end!r} is not a working day of whole hours "
                                 "that is still a day when one hour shorter")


def test_a_day_both_off_and_working_in_the_settings_is_refused_by_the_first_such_date():
    both = parse_days("HOLIDAYS", ["2026-06-12", "2026-06-01", "2026-05-04"])
    with pytest.raises(ValueError) as caught:
        WorkCalendar(VLADIVOSTOK, 9, 18, both, parse_days("WORKDAYS_EXTRA", ["2026-06-12", "2026-06-01"]))
    assert str(caught.value) == "HOLIDAYS and WORKDAYS_EXTRA both list 2026-06-01"


def test_the_settings_days_are_read_as_dates():
    assert parse_days("HOLIDAYS", ["2026-06-01", date(2026, 6, 2)]) == frozenset({date(2026, 6, 1), date(2026, 6, 2)})
    assert parse_days("HOLIDAYS", []) == frozenset()
    for value in (None, 20260601, "1.6.2026"):
        with pytest.raises(ValueError) as caught:
            parse_days("WORKDAYS_EXTRA", ["2026-06-01", value])
        assert str(caught.value) == f"WORKDAYS_EXTRA: {value!r} is not a date written as YYYY-MM-DD"
        assert caught.value.__cause__ is None and caught.value.__suppress_context__


def test_a_setting_written_as_one_string_is_refused_with_an_example():
    for setting in ("HOLIDAYS", "WORKDAYS_EXTRA"):
        with pytest.raises(TypeError) as caught:
            from_settings({**SETTINGS, setting: "2026-06-01"}, VLADIVOSTOK)
        assert str(caught.value) == (f'{setting}: a list of dates is expected, e.g. ["2026-06-01"], '
                                     "not '2026-06-01'")


def test_the_local_days_of_the_settings_apply(city):
    local = from_settings({**SETTINGS, "HOLIDAYS": ["2024-02-21"], "WORKDAYS_EXTRA": ["2024-02-24"]}, VLADIVOSTOK)
    assert local.working_hours(date(2024, 2, 21)) is None
    assert [shown(m) for m in local.working_hours(date(2024, 2, 24))] == ["24.02.2024 09:00", "24.02.2024 18:00"]
    assert local.local_days_off == {date(2024, 2, 21)} and local.local_workdays == {date(2024, 2, 24)}
    assert from_settings(dict(SETTINGS), VLADIVOSTOK) is city  # one calendar per process for equal settings
    assert local is not city and local.tz is VLADIVOSTOK


def test_the_next_working_moment_after_the_last_year_worked_out_is_in_the_next_one(city):
    assert shown(city.next_working_moment(at("21.02.2024 20:00"))) == "22.02.2024 09:00"  # works out 2024-2025
    assert shown(city.next_working_moment(at("31.12.2025 20:00"))) == "12.01.2026 09:00"  # 2026: 01-11.01 off


def test_working_time_past_years_without_any_working_day_lands_on_the_next_working_one():
    off = frozenset(date(2024, 1, 1) + timedelta(days=n) for n in range(731))  # every day of 2024 and 2025
    calendar = WorkCalendar(VLADIVOSTOK, 9, 18, off, NONE)
    assert shown(calendar.add_working_time(at("01.06.2024 10:00"), H)) == "12.01.2026 10:00"
    assert calendar.working_time_between(at("01.06.2024 10:00"), at("12.01.2026 10:00")) == H


def test_the_working_time_over_years_is_the_sum_of_each_years():
    def fresh():
        return WorkCalendar(VLADIVOSTOK, 9, 18, NONE, NONE)

    new_years = [at(f"01.01.{year} 00:00") for year in (2024, 2025, 2026, 2027)]
    each = [fresh().working_time_between(a, b) for a, b in pairwise(new_years)]
    assert each[0] == 2227 * H
    calendar = fresh()
    calendar.working_time_between(new_years[0], new_years[1])  # works out 2024-2025 first
    assert calendar.working_time_between(new_years[0], new_years[3]) == sum(each, timedelta(0))
    assert calendar.working_time_between(new_years[3], new_years[1]) == -(each[1] + each[2])
    later = fresh()
    later.working_time_between(new_years[0], new_years[1])
    # 2026: 01-11.01 off, 12-14.01 full, 3 h on the 15th
    assert later.working_time_between(new_years[0], at("15.01.2026 12:00")) == each[0] + each[1] + 30 * H


def test_new_years_day_made_a_working_day_in_the_settings_counts_from_its_first_hour():
    calendar = WorkCalendar(VLADIVOSTOK, 9, 18, NONE, parse_days("WORKDAYS_EXTRA", ["2024-01-01"]))
    assert shown(calendar.add_working_time(at("01.01.2024 08:00"), H)) == "01.01.2024 10:00"
    assert shown(calendar.next_working_moment(at("01.01.2024 08:00"))) == "01.01.2024 09:00"


def test_a_span_ending_early_on_a_new_years_day_made_working_counts_that_morning():
    calendar = WorkCalendar(VLADIVOSTOK, 9, 18, NONE, parse_days("WORKDAYS_EXTRA", ["2026-01-01"]))
    calendar.working_time_between(at("01.06.2024 10:00"), at("02.06.2024 10:00"))  # works out 2024-2025
    assert calendar.working_time_between(at("31.12.2025 20:00"), at("01.01.2026 09:30")) == timedelta(minutes=30)
