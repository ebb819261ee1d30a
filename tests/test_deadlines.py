"""Deadlines by the Russian production calendar: every expected moment below is worked out by hand from the
published calendars (working day 9-18, an hour shorter before a public holiday; 9 working hours, 4 if urgent;
7 working days after an interim answer), never read from the code under test."""
import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from mcu import create_app
from mcu.config import Defaults
from mcu.deadlines import first_answer_due, resolve_due_after_interim
from mcu.extensions import db
from mcu.feeds.ingest import upsert_incidents
from mcu.feeds.records import Record
from mcu.models import Incident
from mcu.work_calendar import federal_year, from_settings

VLADIVOSTOK, MOSCOW = ZoneInfo("Asia/Vladivostok"), ZoneInfo("Europe/Moscow")
SETTINGS = {name: getattr(Defaults, name) for name in dir(Defaults) if name.isupper()}


def at(text: str, tz=VLADIVOSTOK) -> datetime:
    """«19.02.2021 17:00» as a moment of the city's wall clock."""
    return datetime.strptime(text, "%d.%m.%Y %H:%M").replace(tzinfo=tz)


def shown(moment: datetime, tz=VLADIVOSTOK) -> str:
    return moment.astimezone(tz).strftime("%d.%m.%Y %H:%M")


def settings(**changed) -> dict:
    return {**SETTINGS, **changed}


FIRST_ANSWER = [
    # received, urgent, due: how it was counted
    ("19.02.2021 17:00", False, "20.02.2021 17:00",
     ("Fri 19.02 is a full day (the next day is a working Saturday, not a holiday): 1 h; Sat 20.02 works instead of "
      "Mon 22.02, which comes before the holiday of 23.02, so it is short, 9-17: the other 8 h end at 17:00")),
    ("19.02.2021 17:00", True, "20.02.2021 12:00", "urgent: 1 h on Friday, 3 h on the working Saturday"),
    ("20.02.2021 12:00", False, "24.02.2021 13:00",
     "on the short working Saturday: 12-17 = 5 h; 21-23.02 off; Wed 24.02: 4 h (were it full: 6 h + 3 h, 12:00)"),
    ("21.02.2021 03:00", False, "24.02.2021 18:00",
     "Sun 21.02 off, Mon 22.02 off (swapped with Sat 20.02), Tue 23.02 holiday: all 9 h on Wed 24.02"),
    ("03.05.2021 10:00", False, "04.05.2021 18:00",
     "Mon 03.05 is the day off for May 1 that fell on a Saturday; Tue 04.05 is a full day: 9-18"),
    ("30.04.2021 14:00", False, "04.05.2021 15:00",
     "Fri 30.04 is short (May 1 is next): 14-17 = 3 h; 01-03.05 off; Tue 04.05: 6 h, to 15:00"),
    ("31.12.2020 16:00", False, "11.01.2021 17:00",
     "New Year: Thu 31.12.2020 is short (9-17): 1 h; 01-08.01 holidays, 09-10.01 weekend; Mon 11.01: 8 h"),
    ("30.12.2021 15:00", False, "10.01.2022 15:00",
     ("New Year: Thu 30.12.2021 is a full day (31.12 is a day off swapped with 03.01, not a holiday): 3 h; "
      "31.12-09.01 off; Mon 10.01.2022: 6 h")),
    ("30.12.2022 17:55", False, "09.01.2023 17:55",
     "17:55 on a full Friday before the New Year break: 5 min; 31.12-08.01 off; Mon 09.01: 8 h 55 min"),
    ("07.03.2024 17:55", False, "11.03.2024 18:00",
     ("17:55 on Thu 07.03.2024, short before the holiday of 08.03 (closed at 17:00): nothing counts that day; "
      "08-10.03 off; Mon 11.03: 9 h")),
    ("22.02.2024 12:00", False, "26.02.2024 13:00",
     ("short day Thu 22.02.2024 (9-17): 5 h; 23.02 holiday, 24-25 weekend; Mon 26.02: 4 h (a full day would "
      "have given 6 h + 3 h, 12:00)")),
    ("22.02.2024 15:00", True, "26.02.2024 11:00", "urgent on the short day: 15-17 = 2 h, then 2 h on Monday"),
    ("27.04.2024 12:00", False, "02.05.2024 12:00",
     ("May 2024: Sat 27.04 works instead of Mon 29.04, whose next day (30.04) is a day off, not a holiday: a "
      "full day, 12-18 = 6 h; 28.04-01.05 off; Thu 02.05: 3 h")),
    ("08.05.2024 15:00", False, "13.05.2024 16:00",
     ("May 2024: Wed 08.05 short (Victory Day next): 2 h; 09.05 holiday, 10.05 swapped with 06.01, 11-12 "
      "weekend; Mon 13.05: 7 h")),
    ("03.11.2028 12:00", False, "07.11.2028 13:00",
     ("2028, a year holidays 0.109 has no decree for: Fri 03.11 short (Sat 04.11 is Unity Day): 5 h; the holiday "
      "on a Saturday gives Mon 06.11 off by art. 112; Tue 07.11: 4 h")),
]


@pytest.mark.parametrize("received,urgent,due,reasoning", FIRST_ANSWER)
def test_first_answer_deadline_follows_the_production_calendar(received, urgent, due, reasoning):
    assert shown(first_answer_due(at(received), urgent, SETTINGS, VLADIVOSTOK)) == due, reasoning


@pytest.mark.parametrize("received,due", [("19.02.2021 17:00", "20.02.2021 17:00"),
                                          ("31.12.2020 16:00", "11.01.2021 17:00")])
def test_the_same_local_time_gives_the_same_local_deadline_in_vladivostok_and_moscow(received, due):
    far_east = first_answer_due(at(received, VLADIVOSTOK), False, SETTINGS, VLADIVOSTOK)
    moscow = first_answer_due(at(received, MOSCOW), False, SETTINGS, MOSCOW)
    assert shown(far_east, VLADIVOSTOK) == shown(moscow, MOSCOW) == due
    assert (moscow - far_east).total_seconds() == 7 * 3600  # the same wall clock, seven hours apart


def test_the_deadline_keeps_the_time_zone_it_was_given():
    due = first_answer_due(at("19.02.2021 17:00").astimezone(UTC), False, SETTINGS, VLADIVOSTOK)
    assert due.tzinfo is UTC and due == datetime(2021, 2, 20, 7, 0, tzinfo=UTC)  # 17:00 at UTC+10


def test_a_regional_day_off_in_the_settings_moves_the_deadline():
    regional = settings(HOLIDAYS=["2021-05-04"])
    # 03.05 and 04.05 off: all 9 h on Wed 05.05
    assert shown(first_answer_due(at("03.05.2021 10:00"), False, regional, VLADIVOSTOK)) == "05.05.2021 18:00"


def test_an_extra_working_day_in_the_settings_counts():
    extra = settings(WORKDAYS_EXTRA=["2021-05-03"])
    # Mon 03.05 works, full (04.05 is no holiday): 10-18 = 8 h; 1 h on Tue 04.05
    assert shown(first_answer_due(at("03.05.2021 10:00"), False, extra, VLADIVOSTOK)) == "04.05.2021 10:00"


def test_an_extra_working_saturday_before_a_holiday_is_short():
    extra = settings(WORKDAYS_EXTRA=["2021-05-08"])
    # Fri 07.05 full (Sat 08.05 is no holiday): 1 h; Sat 08.05 works: 8 h
    assert shown(first_answer_due(at("07.05.2021 17:00"), False, extra, VLADIVOSTOK)) == "08.05.2021 17:00"
    # without it: 08-10.05 off (10.05 for Victory Day on a Sunday), 8 h on Tue 11.05
    assert shown(first_answer_due(at("07.05.2021 17:00"), False, SETTINGS, VLADIVOSTOK)) == "11.05.2021 17:00"
    # Victory Day follows Sat 08.05, so it ends at 17: 12-17 = 5 h; 09-10.05 off; 4 h on Tue 11.05
    assert shown(first_answer_due(at("08.05.2021 12:00"), False, extra, VLADIVOSTOK)) == "11.05.2021 13:00"


@pytest.mark.parametrize("given,due,reasoning", [
    ("26.04.2024 11:30", "13.05.2024 11:30",
     ("27.04 (working Saturday) 1, 28.04-01.05 off, 02.05 2, 03.05 3, 06.05 4, 07.05 5, 08.05 6, 09-12.05 off, "
      "13.05 7")),
    ("28.12.2021 10:00", "14.01.2022 10:00", "29.12 1, 30.12 2, 31.12-09.01 off, 10.01 3 ... 14.01 7"),
    ("20.02.2021 20:00", "04.03.2021 20:00",
     "after hours on the working Saturday: 21-23.02 off, 24, 25, 26.02 1-3, 27-28.02 off, 01-04.03 4-7"),
])
def test_final_deadline_is_seven_working_days_after_the_interim_answer(given, due, reasoning):
    assert shown(resolve_due_after_interim(at(given), SETTINGS, VLADIVOSTOK)) == due, reasoning


@pytest.mark.parametrize("year,short_days,working_days", [
    # the published calendars: 2021 had 247 working days and 1972 hours, 2024 248 days and 1979 hours
    (2021, {"2021-02-20", "2021-04-30", "2021-06-11", "2021-11-03"}, 247),
    (2022, {"2022-02-22", "2022-03-05", "2022-11-03"}, 247),
    (2024, {"2024-02-22", "2024-03-07", "2024-05-08", "2024-06-11", "2024-11-02"}, 248),
])
def test_a_years_short_days_and_working_days_are_the_published_ones(year, short_days, working_days):
    city = from_settings(SETTINGS, VLADIVOSTOK).year(year)
    assert {d.isoformat() for d in city.short_days} == short_days
    days = 366 if year % 4 == 0 else 365
    assert days - len(city.days_off) == working_days


def test_a_year_the_package_does_not_know_is_said_once_in_the_log(caplog, monkeypatch):
    # alembic's logging set-up (migrations/env.py) switches off loggers that existed before it ran
    monkeypatch.setattr(logging.getLogger("mcu.work_calendar"), "disabled", False)
    caplog.set_level(logging.WARNING, logger="mcu.work_calendar")
    federal_year.cache_clear()  # "once" is per process: another test may have asked for 2091 before this one
    calendar = from_settings(settings(HOLIDAYS=["2091-06-01"]), VLADIVOSTOK)  # a calendar of its own
    calendar.add_working_time(at("01.03.2091 10:00"), timedelta(hours=9))
    from_settings(SETTINGS, VLADIVOSTOK).is_workday(at("02.03.2091 10:00").date())
    warnings = [r.getMessage() for r in caplog.records if "2091" in r.getMessage()]
    assert len(warnings) == 1 and "HOLIDAYS" in warnings[0]


@pytest.mark.parametrize("changed,words", [
    ({"HOLIDAYS": "2026-06-01"}, "HOLIDAYS: a list of dates is expected"),
    ({"HOLIDAYS": ["01.06.2026"]}, "HOLIDAYS: '01.06.2026' is not a date"),
    ({"WORKDAYS_EXTRA": ["2026-13-01"]}, "WORKDAYS_EXTRA: '2026-13-01' is not a date"),
    ({"HOLIDAYS": ["2026-06-01"], "WORKDAYS_EXTRA": ["2026-06-01"]}, "both list 2026-06-01"),
    ({"WORKDAY_START": 18, "WORKDAY_END": 9}, "WORKDAY_START/WORKDAY_END"),
])
def test_a_calendar_setting_that_cannot_work_stops_the_start(tmp_path, changed, words):
    with pytest.raises((ValueError, TypeError), match=words):
        create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite",
                    **changed})


def test_ingested_messages_get_the_production_calendar_deadline(app):
    received = at("19.02.2021 17:00")
    records = [Record(external_id=f"cal-{n}", received_at=received, raw={"n": n}, text="Яма", urgent=urgent)
               for n, urgent in ((1, False), (2, True))]
    with app.app_context():
        upsert_incidents(records, "cur")
        due = dict(db.session.execute(select(Incident.external_id, Incident.first_answer_due)).all())
    assert shown(due["cal-1"]) == "20.02.2021 17:00" and shown(due["cal-2"]) == "20.02.2021 12:00"
