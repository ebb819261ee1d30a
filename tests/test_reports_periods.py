"""Report periods: what each URL names, the period before of the same length and the same period a year before
(worked out by hand), and every value that cannot be read answered with a Russian 400, never a 500."""
from datetime import date

import pytest

from mcu.reports.periods import PeriodError, parse

TODAY = date(2026, 12, 1)


def days(period) -> tuple:
    return period.start.isoformat(), period.end.isoformat()


@pytest.mark.parametrize(("args", "current", "previous", "year_before"), [
    ({"year": "2021"}, ("2021-01-01", "2021-12-31"), ("2020-01-01", "2020-12-31"), ("2020-01-01", "2020-12-31")),
    ({"quarter": "2021-1"}, ("2021-01-01", "2021-03-31"), ("2020-10-01", "2020-12-31"),
     ("2020-01-01", "2020-03-31")),
    ({"quarter": "2021-2"}, ("2021-04-01", "2021-06-30"), ("2021-01-01", "2021-03-31"),
     ("2020-04-01", "2020-06-30")),
    ({"month": "2021-03"}, ("2021-03-01", "2021-03-31"), ("2021-02-01", "2021-02-28"),
     ("2020-03-01", "2020-03-31")),
    ({"month": "2021-01"}, ("2021-01-01", "2021-01-31"), ("2020-12-01", "2020-12-31"),
     ("2020-01-01", "2020-01-31")),
    ({"week": "2021-W05"}, ("2021-02-01", "2021-02-07"), ("2021-01-25", "2021-01-31"),
     ("2020-02-03", "2020-02-09")),
    ({"week": "2020-W53"}, ("2020-12-28", "2021-01-03"), ("2020-12-21", "2020-12-27"),
     ("2019-12-30", "2020-01-05")),
    ({"start": "2021-01-01", "end": "2021-01-10"}, ("2021-01-01", "2021-01-10"), ("2020-12-22", "2020-12-31"),
     ("2020-01-01", "2020-01-10")),
    ({"start": "2024-02-29", "end": "2024-03-01"}, ("2024-02-29", "2024-03-01"), ("2024-02-27", "2024-02-28"),
     ("2023-02-28", "2023-03-01")),
])
def test_a_period_its_previous_one_and_the_same_a_year_before(app, args, current, previous, year_before):
    period = parse(args, TODAY)
    assert days(period) == current
    assert days(period.previous()) == previous
    assert days(period.year_before()) == year_before


def test_no_period_named_is_the_current_year():
    assert days(parse({}, TODAY)) == ("2026-01-01", "2026-12-31")


def test_the_bounds_of_a_year_are_the_citys_midnights_in_utc(app):
    from zoneinfo import ZoneInfo
    start, end = parse({"year": "2021"}, TODAY).bounds(ZoneInfo("Asia/Vladivostok"))
    assert (start.isoformat(), end.isoformat()) == ("2020-12-31T14:00:00+00:00", "2021-12-31T14:00:00+00:00")


BAD = [
    ({"year": "20x1"}, "Год «20x1» не понят"),
    ({"year": "1999"}, "Год «1999» не понят"),
    ({"year": "٢٠٢١"}, "Год «٢٠٢١» не понят"),
    ({"year": "99999999999999999999999"}, "Год «99999999999999999999999» не понят"),
    ({"quarter": "2021-5"}, "Квартал «2021-5» не понят"),
    ({"quarter": "2021"}, "Квартал «2021» не понят"),
    ({"month": "2021-13"}, "Месяц «2021-13» не понят"),
    ({"month": "2021-5"}, "Месяц «2021-5» не понят"),
    ({"week": "2021-W53"}, "Неделя «2021-W53» не понята"),
    ({"week": "2021-W00"}, "Неделя «2021-W00» не понята"),
    ({"week": "W05"}, "Неделя «W05» не понята"),
    ({"start": "2021-01-01"}, "Даты периода не поняты"),
    ({"start": "2021-02-30", "end": "2021-03-01"}, "Даты периода не поняты"),
    ({"start": "2021-1-1", "end": "2021-03-01"}, "Даты периода не поняты"),
    ({"start": "2021-03-01", "end": "2021-02-01"}, "Конец периода раньше его начала."),
    ({"start": "2001-01-01", "end": "2021-01-01"}, "Период длиннее пяти лет"),
    ({"year": "2021", "month": "2021-05"}, "Укажите один период"),
]


@pytest.mark.parametrize(("args", "notice"), BAD)
def test_a_period_that_cannot_be_read_is_refused_in_russian(app, args, notice):
    with app.test_request_context(), pytest.raises(PeriodError) as refused:
        parse(args, TODAY)
    assert notice in str(refused.value)


@pytest.mark.parametrize(("args", "notice"), BAD)
@pytest.mark.parametrize(("path", "more"), [("/reports", {}), ("/reports/chart/weeks.svg", {}),
                                           ("/reports/export.xlsx", {}), ("/reports/export.csv", {"table": "weeks"})])
def test_a_bad_period_in_any_report_url_is_a_russian_400(client, auth, make, path, more, args, notice):
    auth.as_role(make, "viewer")
    response = client.get(path, query_string={**args, **more})
    assert response.status_code == 400
    assert notice in response.get_data(as_text=True)


def test_a_bad_period_keeps_the_period_forms_on_the_page(client, auth, make):
    auth.as_role(make, "operator")
    page = client.get("/reports?month=2021-13").get_data(as_text=True)
    assert 'name="month"' in page and 'name="start"' in page
    assert "Текст для отчёта" not in page
