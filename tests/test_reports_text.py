"""Russian words of the reports: plural forms for every number, numbers and per cents as the seed writes them,
and the names of periods; every expected form is written out by hand."""
import pytest

from mcu.reports import periods
from mcu.reports.text import hours, messages, number, percent, plural, title

# The rule by hand: 1 and 21, 31, ... but not 11 take «сообщение»; 2-4 and 22-24, ... but not 12-14 take
# «сообщения»; 0, 5-20, 25-30, ... take «сообщений».
ONE = {1, 21, 31, 41, 51, 61, 71, 81, 91, 101}
FEW = {2, 3, 4, 22, 23, 24, 32, 33, 34, 42, 43, 44, 52, 53, 54, 62, 63, 64, 72, 73, 74, 82, 83, 84, 92, 93, 94,
       102, 103, 104}
EXPECTED = {n: "сообщение" if n in ONE else "сообщения" if n in FEW else "сообщений" for n in range(112)}
LARGE = [(1001, "сообщение"), (1011, "сообщений"), (1021, "сообщение"), (1_000_000, "сообщений"),
         (1_000_001, "сообщение"), (2_000_002, "сообщения"), (112, "сообщений"), (114, "сообщений"),
         (122, "сообщения"), (8238, "сообщений"), (6589, "сообщений"), (14_827, "сообщений"),
         (13_120, "сообщений"), (3_001_012, "сообщений")]


@pytest.mark.parametrize("n", range(112))
def test_plural_forms_from_0_to_111(n):
    assert plural(n, "сообщение", "сообщения", "сообщений") == EXPECTED[n]


@pytest.mark.parametrize(("n", "form"), LARGE)
def test_plural_forms_of_large_numbers(n, form):
    assert plural(n, "сообщение", "сообщения", "сообщений") == form


def test_the_table_above_has_the_three_forms_where_russian_has_them():
    """A check of the hand-written table itself: 11-14 and 111 are «сообщений»."""
    assert [EXPECTED[n] for n in (1, 2, 5, 11, 12, 14, 21, 22, 25, 111)] == [
        "сообщение", "сообщения", "сообщений", "сообщений", "сообщений", "сообщений", "сообщение", "сообщения",
        "сообщений", "сообщений"]


@pytest.mark.parametrize(("count", "text"), [
    (0, "0 сообщений"), (1, "1 сообщение"), (2, "2 сообщения"), (5, "5 сообщений"), (11, "11 сообщений"),
    (21, "21 сообщение"), (8238, "8238 сообщений"), (6589, "6589 сообщений"),
    (14_827, "14\u00a0827 сообщений"), (13_120, "13\u00a0120 сообщений"), (1_000_001, "1\u00a0000\u00a0001 сообщение"),
])
def test_messages_as_the_seed_writes_them(count, text):
    assert messages(count) == text


@pytest.mark.parametrize(("value", "text"), [
    (1, "1 рабочий час"), (2, "2 рабочих часа"), (5, "5 рабочих часов"), (21, "21 рабочий час"),
    (1.5, "1,5 рабочего часа"), (2.25, "2,3 рабочего часа"), (0.75, "0,8 рабочего часа"), (1.96, "2 рабочих часа"),
    (0, "0 рабочих часов"), (11, "11 рабочих часов"),
])
def test_working_hours_forms_and_a_fraction_takes_the_genitive_singular(value, text):
    assert hours(value) == text


@pytest.mark.parametrize(("value", "places", "text"), [
    (39.597, 1, "39,6"), (14.298, 1, "14,3"), (10.697, 1, "10,7"), (9.503, 1, "9,5"), (0.05, 1, "0,1"),
    (2.5, 0, "3"), (3.5, 0, "4"), (13.01, 0, "13"), (-5.5, 0, "-6"), (12345.67, 1, "12\u00a0345,7"), (9999, 0, "9999"),
])
def test_numbers_round_half_up_with_a_decimal_comma(value, places, text):
    assert number(value, places) == text


def test_percent_of_a_share_and_of_growth():
    assert percent(39.597) == "39,6%"
    assert percent(13.01, 0, spaced=True) == "13\u00a0%"


@pytest.mark.parametrize(("period", "text"), [
    (periods.year(2021), "2021 год"), (periods.quarter(2021, 2), "II квартал 2021"),
    (periods.month(2021, 5), "май 2021"), (periods.week(2021, 5), "неделя 01.02–07.02.2021"),
    (periods.Period(periods.RANGE, periods.date(2021, 1, 1), periods.date(2021, 3, 31)), "01.01.2021–31.03.2021"),
])
def test_period_titles(app, period, text):
    with app.test_request_context():
        assert title(period) == text
