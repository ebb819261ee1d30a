"""Periods and weeks are the city's: a message of 23:30 on 31 December in Khabarovsk (13:30 UTC) is the old year's,
a Monday begins at the city's midnight, and a zone with daylight saving still gets its weeks right."""
from zoneinfo import ZoneInfo

from reporttools import at, page_tables

BERLIN = ZoneInfo("Europe/Berlin")


def totals(client, query: str) -> list[str]:
    tables, _paragraph = page_tables(client.get(f"/reports?{query}").get_data(as_text=True))
    return tables["channels"][-1]


def weeks(client, query: str) -> dict:
    tables, _paragraph = page_tables(client.get(f"/reports?{query}").get_data(as_text=True))
    return {row[0]: (row[2], row[3]) for row in tables["weeks"][1:-1]}


def test_a_year_is_the_citys_year(client, auth, make):
    for moment in ("31.12.2020 23:50", "01.01.2021 00:10", "31.12.2021 23:30", "01.01.2022 00:30"):
        make.incident(received_at=at(moment))
    auth.as_role(make, "viewer")
    # the 2021 column, the 2020 column: 01.01.2021 00:10 and 31.12.2021 23:30 (13:30 UTC) are 2021's
    assert totals(client, "year=2021")[2:4] == ["2", "1"]
    assert totals(client, "year=2022")[2:4] == ["1", "2"]


def test_a_week_begins_at_the_citys_monday_midnight(client, auth, make):
    make.incident(received_at=at("10.01.2021 23:30"), first_answered_at=at("10.01.2021 23:59"))  # Sunday
    make.incident(received_at=at("11.01.2021 00:30"), first_answered_at=at("11.01.2021 00:31"))  # Sunday 14:30 UTC
    auth.as_role(make, "viewer")
    found = weeks(client, "month=2021-01")
    assert found["04.01.2021"] == ("1", "1")
    assert found["11.01.2021"] == ("1", "1")
    assert list(found) == ["01.01.2021", "04.01.2021", "11.01.2021", "18.01.2021", "25.01.2021"]


def test_weeks_follow_daylight_saving_in_a_zone_that_has_it(app, client, auth, make, monkeypatch):
    """Berlin moves to summer time on 28.03.2021: Monday 29.03 00:30 is Sunday 22:30 UTC, an hour earlier than a
    winter offset would put it."""
    monkeypatch.setitem(app.config, "TIMEZONE", "Europe/Berlin")
    make.incident(received_at=at("28.03.2021 23:30", BERLIN))  # Sunday, summer time: 21:30 UTC
    make.incident(received_at=at("29.03.2021 00:30", BERLIN))  # Monday, summer time: Sunday 22:30 UTC
    make.incident(received_at=at("01.03.2021 00:30", BERLIN))  # Monday, winter time: Sunday 23:30 UTC
    auth.as_role(make, "viewer")
    found = weeks(client, "month=2021-03")
    assert found == {"01.03.2021": ("1", "0"), "08.03.2021": ("0", "0"), "15.03.2021": ("0", "0"),
                     "22.03.2021": ("1", "0"), "29.03.2021": ("1", "0")}
