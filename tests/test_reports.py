"""The reports page, its XLSX and its CSV over a data set this test writes, with every figure worked out by hand:
channels against 2020, topic shares, departments (answered, on time, median working hours to the first answer,
overdue now, returned for revision, handled per week), weeks, and the report paragraph. And who may see what."""
from datetime import UTC, datetime

import pytest
from reporttools import at, csv_rows, page_tables, returned, sheet_rows, workbook

LATER = datetime(2099, 1, 1, tzinfo=UTC)  # a deadline not yet passed, whenever the test runs


def world(make, app) -> dict:
    """2021 (received in the city's time): Дороги a–f, Транспорт g–i, k unrouted, j a duplicate of a; 2020: n (answered
    in January 2021) and four more. Minutes are the working time from receipt to the first answer (9-18)."""
    ids = {}

    def add(key, received, channel, topic, department, answered=None, minutes=None, due=None, status=None, **more):
        ids[key] = make.incident(
            received_at=at(received), channel_id=make.channel(channel),
            topic_id=make.topic(topic) if topic else None,
            department_id=make.department(department) if department else None,
            status=status or ("answered" if answered else "new"),
            first_answered_at=at(answered) if answered else None, answered_at=at(answered) if answered else None,
            first_answer_work_minutes=minutes, first_answer_due=at(due) if isinstance(due, str) else due, **more)

    add("a", "11.01.2021 10:00", "im", "Дороги", "Дороги", "11.01.2021 11:00", 60, "12.01.2021 10:00")
    add("b", "12.01.2021 09:00", "im", "Дороги", "Дороги", "12.01.2021 11:00", 120, "12.01.2021 18:00")
    add("c", "13.01.2021 09:00", "direct_admin", "Дороги", "Дороги", "14.01.2021 10:00", 600, "13.01.2021 18:00")
    add("d", "18.01.2021 10:00", "public", "Благоустройство", "Дороги", "18.01.2021 10:30", 30, "19.01.2021 10:00")
    add("e", "01.03.2021 10:00", "im", "Дороги", "Дороги", due="02.03.2021 10:00")  # overdue now
    add("f", "02.03.2021 10:00", "im", "Дороги", "Дороги", due=LATER, status="in_progress")
    add("g", "05.07.2021 10:00", "live_mayor", "Общественный транспорт", "Транспорт", "05.07.2021 10:45", 45,
        "06.07.2021 10:00")
    add("h", "06.07.2021 17:45", "im", "Общественный транспорт", "Транспорт", "06.07.2021 18:00", 15,
        "07.07.2021 17:45")
    add("i", "07.07.2021 10:00", "self_search", "Общественный транспорт", "Транспорт", "08.07.2021 11:00", 600,
        "08.07.2021 10:00")
    add("k", "10.11.2021 12:00", "direct_mayor", None, None, due=LATER)
    add("j", "11.01.2021 12:00", "im", "Дороги", "Дороги", "11.01.2021 13:00", 60, "12.01.2021 12:00",
        status="rejected", duplicate_of_id=ids["a"])
    add("n", "30.12.2020 10:00", "im", "Дороги", "Дороги", "12.01.2021 10:00", 1560, "31.12.2020 11:00")
    add("o", "10.03.2020 10:00", "im", "Общественный транспорт", "Транспорт", "10.03.2020 11:00", 60,
        "11.03.2020 10:00")
    add("p", "11.03.2020 10:00", "im", "Общественный транспорт", "Транспорт", "11.03.2020 11:00", 60,
        "12.03.2020 10:00")
    add("q", "12.03.2020 10:00", "direct_admin", "Общественный транспорт", "Транспорт", "12.03.2020 11:00", 60,
        "13.03.2020 10:00")
    add("r", "13.03.2020 10:00", "public", "Общественный транспорт", "Транспорт", "13.03.2020 11:00", 60,
        "16.03.2020 10:00")
    returned(app, ids["d"])
    returned(app, ids["h"], times=2)  # counted once: a message returned for revision
    return ids


HEADERS = {
    "channels": ["Канал", "Инцидент-менеджмент", "2021 год", "2020 год", "Разница с «2020 год»",
                 "Рост к «2020 год», %", "Дан ответ"],
    "topics": ["Тематика", "Сообщений", "Доля, %"],
    "departments": ["Подразделение", "Поступило", "Дан ответ", "Ответ в срок", "Доля в срок, %",
                    "Медиана до первого ответа, рабочих часов", "Просрочено сейчас", "Возвращено на доработку",
                    "Первых ответов за период", "Обработано в неделю"],
    "weeks": ["Неделя с", "по", "Поступило", "Дан первый ответ"],
}
CHANNELS = [
    ["Инцидент-менеджмент", "да", "5", "3", "+2", "66,7%", "3"],
    ["Вне системы Инцидент-менеджмент", "нет", "5", "2", "+3", "150,0%", "4"],
    ["Инцидент-менеджмент ЦУР", "да", "5", "3", "+2", "66,7%", "3"],
    ["Директ администрации", "нет", "1", "1", "0", "0,0%", "1"],
    ["Директ мэра", "нет", "1", "0", "+1", "—", "0"],
    ["Прямой эфир мэра", "нет", "1", "0", "+1", "—", "1"],
    ["Прямой эфир губернатора", "нет", "0", "0", "0", "—", "0"],
    ["Сообщения в пабликах", "нет", "1", "1", "0", "0,0%", "1"],
    ["Самопоиск", "нет", "1", "0", "+1", "—", "1"],
    ["Open311", "нет", "0", "0", "0", "—", "0"],
    ["Ручной ввод", "нет", "0", "0", "0", "—", "0"],
    ["Всего", "—", "10", "5", "+5", "100,0%", "7"],
]
TOPICS = [["Дороги", "5", "50,0%"], ["Общественный транспорт", "3", "30,0%"], ["Без тематики", "1", "10,0%"],
          ["Благоустройство", "1", "10,0%"], ["Всего", "10", "100,0%"]]
IDLE = ["0", "0", "0", "—", "—", "0", "0", "0", "0,0"]
DEPARTMENTS = [
    # median: Дороги (30, 60, 120, 600) -> 90 min; Транспорт (15, 45, 600) -> 45 min; all seven -> 60 min.
    # per week: first answers given in 2021 / (365 / 7): Дороги a, b, c, d and n (received in 2020) -> 5 / 52.14
    ["Дороги", "6", "4", "3", "75,0%", "1,5", "1", "1", "5", "0,1"],
    ["Благоустройство", *IDLE],
    ["Транспорт", "3", "3", "2", "66,7%", "0,8", "0", "1", "3", "0,1"],
    *[[name, *IDLE] for name in ("Образование", "ЖКХ", "Экология", "Ливнёвки", "Соцподдержка", "Архитектура")],
    ["Не распределено", "1", "0", "0", "—", "—", "0", "0", "0", "0,0"],
    ["Всего", "10", "7", "5", "71,4%", "1,0", "1", "2", "8", "0,2"],
]
BUSY_WEEKS = {"11.01.2021": ("3", "4"), "18.01.2021": ("1", "1"), "01.03.2021": ("2", "0"),
              "05.07.2021": ("3", "3"), "08.11.2021": ("1", "0")}
PARAGRAPH = (
    "За 2021 год даны ответы на 3 сообщения по системе Инцидент-менеджмента и на 4 сообщения в социальных "
    "сетях, не включенных в систему (Директ администрации — 1; Прямой эфир мэра — 1; Сообщения в пабликах — 1; "
    "Самопоиск — 1). Рост количества сообщений по сравнению с 2020 годом составил 100\u00a0% (в 2020 году — "
    "5 сообщений, в 2021 году — 10 сообщений). Наиболее популярные среди тем сообщений: дороги (50,0%), "
    "общественный транспорт (30,0%), благоустройство (10,0%). Первый ответ в установленный срок дан на "
    "5 сообщений (71,4% от сообщений с ответом); медиана времени до первого ответа — 1 рабочий час.")


def expected_weeks() -> list[list[str]]:
    """53 rows: 01.01-03.01, then Monday to Sunday, to 27.12-31.12; the busy ones from BUSY_WEEKS."""
    from datetime import date, timedelta
    rows, monday = [["01.01.2021", "03.01.2021", "0", "0"]], date(2021, 1, 4)
    while monday.year == 2021:
        last = min(monday + timedelta(days=6), date(2021, 12, 31))
        first = monday.strftime("%d.%m.%Y")
        rows.append([first, last.strftime("%d.%m.%Y"), *BUSY_WEEKS.get(first, ("0", "0"))])
        monday += timedelta(weeks=1)
    return rows + [["Всего", "—", "10", "8"]]


def test_every_figure_on_the_page(app, client, auth, make):
    world(make, app)
    auth.as_role(make, "operator")
    response = client.get("/reports?year=2021")
    assert response.status_code == 200
    tables, paragraph = page_tables(response.get_data(as_text=True))
    assert tables["channels"] == [HEADERS["channels"], *CHANNELS]
    assert tables["topics"] == [HEADERS["topics"], *TOPICS]
    assert tables["departments"] == [HEADERS["departments"], *DEPARTMENTS]
    assert tables["weeks"] == [HEADERS["weeks"], *expected_weeks()]
    assert len(tables["weeks"]) == 1 + 53 + 1
    assert paragraph == PARAGRAPH


def test_every_figure_in_the_csv_exports(app, client, auth, make):
    world(make, app)
    auth.as_role(make, "viewer")

    def csv_of(table):
        response = client.get(f"/reports/export.csv?year=2021&table={table}")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert "attachment" in response.headers["Content-Disposition"]
        return csv_rows(response.data)

    def plain(rows):  # the page's forms as CSV writes them: no «%», no thousands grouping, empty for none
        return [[cell.replace("%", "").replace("—", "") for cell in row] for row in rows]

    assert csv_of("channels") == [HEADERS["channels"], *plain(CHANNELS)]
    assert csv_of("topics") == [HEADERS["topics"], *plain(TOPICS)]
    assert csv_of("departments") == [HEADERS["departments"], *plain(DEPARTMENTS)]
    assert csv_of("weeks") == [HEADERS["weeks"], *plain(expected_weeks())]


def test_every_figure_in_the_xlsx_export(app, client, auth, make):
    world(make, app)
    auth.as_role(make, "admin")
    response = client.get("/reports/export.xlsx?year=2021")
    assert response.status_code == 200
    book = workbook(response.data)
    assert book.sheetnames == ["Сообщения по каналам", "Тематики сообщений", "Подразделения", "По неделям"]
    channels = sheet_rows(book["Сообщения по каналам"])
    assert channels[0][0] == "Сообщения по каналам"
    assert channels[1][:2] == ["Период", "2021 год (01.01.2021–31.12.2021)"]
    assert channels[2][:2] == ["Сравнение", "2020 год"]
    assert channels[3][0] == "Сформирован" and channels[3][1].endswith("(Asia/Vladivostok)")
    assert channels[5] == HEADERS["channels"]
    assert channels[6] == ["Инцидент-менеджмент", "да", 5, 3, 2, pytest.approx(2 / 3), 3]
    assert channels[8] == ["Инцидент-менеджмент ЦУР", "да", 5, 3, 2, pytest.approx(2 / 3), 3]
    assert channels[10] == ["Директ мэра", "нет", 1, 0, 1, None, 0]
    assert channels[-1] == ["Всего", None, 10, 5, 5, pytest.approx(1.0), 7]
    sheet = book["Сообщения по каналам"]
    assert [sheet.cell(7, column).number_format for column in range(3, 7)] == [
        "#,##0", "#,##0", "+#,##0;-#,##0;0", "0.0%"]
    topics = sheet_rows(book["Тематики сообщений"])
    assert topics[6:] == [["Дороги", 5, pytest.approx(0.5)], ["Общественный транспорт", 3, pytest.approx(0.3)],
                          ["Без тематики", 1, pytest.approx(0.1)], ["Благоустройство", 1, pytest.approx(0.1)],
                          ["Всего", 10, pytest.approx(1.0)]]
    departments = sheet_rows(book["Подразделения"])
    assert departments[6] == ["Дороги", 6, 4, 3, pytest.approx(0.75), pytest.approx(1.5), 1, 1, 5,
                              pytest.approx(5 / (365 / 7))]
    assert departments[8] == ["Транспорт", 3, 3, 2, pytest.approx(2 / 3), pytest.approx(0.75), 0, 1, 3,
                              pytest.approx(3 / (365 / 7))]
    assert departments[-1] == ["Всего", 10, 7, 5, pytest.approx(5 / 7), pytest.approx(1.0), 1, 2, 8,
                               pytest.approx(8 / (365 / 7))]
    assert book["Подразделения"].cell(7, 6).number_format == "0.0"
    weeks = sheet_rows(book["По неделям"])
    assert [weeks[6][0].date().isoformat(), weeks[6][1].date().isoformat(), weeks[6][2:]] == [
        "2021-01-01", "2021-01-03", [0, 0]]
    assert weeks[8][2:] == [3, 4] and weeks[8][0].strftime("%d.%m.%Y") == "11.01.2021"
    assert book["По неделям"].cell(7, 1).number_format == "DD.MM.YYYY"
    assert weeks[-1] == ["Всего", None, 10, 8]


def test_one_table_as_xlsx_names_it_in_the_file(app, client, auth, make):
    world(make, app)
    auth.as_role(make, "viewer")
    response = client.get("/reports/export.xlsx?year=2021&table=topics")
    assert 'filename="mcu-report-topics-2021-01-01-2021-12-31.xlsx"' in response.headers["Content-Disposition"]
    assert workbook(response.data).sheetnames == ["Тематики сообщений"]
    assert client.get("/reports/export.xlsx?year=2021&table=people").status_code == 400
    assert client.get("/reports/export.csv?year=2021").status_code == 400


def test_a_head_sees_only_their_department(app, client, auth, make):
    world(make, app)
    auth.as_role(make, "head", department="Дороги")
    tables, paragraph = page_tables(client.get("/reports?year=2021").get_data(as_text=True))
    assert tables["departments"][1:] == [["Дороги", "6", "4", "3", "75,0%", "1,5", "1", "1", "5", "0,1"],
                                         ["Всего", "6", "4", "3", "75,0%", "1,5", "1", "1", "5", "0,1"]]
    assert tables["channels"][1] == ["Инцидент-менеджмент", "да", "4", "1", "+3", "300,0%", "2"]
    assert tables["channels"][-1] == ["Всего", "—", "6", "1", "+5", "500,0%", "4"]
    assert tables["topics"][1:] == [["Дороги", "5", "83,3%"], ["Благоустройство", "1", "16,7%"],
                                    ["Всего", "6", "100,0%"]]
    assert sum(int(row[2]) for row in tables["weeks"][1:-1]) == 6
    assert "Транспорт" not in str(tables) and "транспорт" not in paragraph
    book = workbook(client.get("/reports/export.xlsx?year=2021").data)
    assert [row[0] for row in sheet_rows(book["Подразделения"])[6:]] == ["Дороги", "Всего"]
    rows = csv_rows(client.get("/reports/export.csv?year=2021&table=departments").data)
    assert [row[0] for row in rows[1:]] == ["Дороги", "Всего"]


def test_a_head_without_a_department_sees_no_messages(app, client, auth, make):
    world(make, app)
    auth.as_role(make, "head")
    tables, _paragraph = page_tables(client.get("/reports?year=2021").get_data(as_text=True))
    assert tables["channels"][-1][2] == "0" and tables["departments"][1:] == [
        ["Нет сообщений за период."], ["Всего", "0", "0", "0", "—", "—", "0", "0", "0", "0,0"]]


@pytest.mark.parametrize("path", ["/reports", "/reports/chart/topics.svg", "/reports/export.xlsx",
                                  "/reports/export.csv?table=topics"])
def test_field_staff_get_a_russian_403(client, auth, make, path):
    auth.as_role(make, "field", department="Дороги")
    response = client.get(path)
    assert response.status_code == 403
    assert "Отчёты доступны администраторам, операторам, наблюдателям и руководителям" in response.get_data(
        as_text=True)


@pytest.mark.parametrize("path", ["/reports", "/reports/chart/topics.svg", "/reports/export.xlsx"])
def test_reports_ask_a_stranger_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize(("role", "shown"), [("admin", True), ("operator", True), ("viewer", True), ("head", True),
                                             ("field", False)])
def test_the_top_bar_offers_reports_to_the_roles_that_may_see_them(client, auth, make, role, shown):
    auth.as_role(make, role, department="Дороги")
    assert ('href="/reports">Отчёты</a>' in client.get("/board").get_data(as_text=True)) is shown


def test_htmx_gets_the_report_block_only(app, client, auth, make):
    world(make, app)
    auth.as_role(make, "operator")
    response = client.get("/reports?year=2021", headers={"HX-Request": "true"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and page.lstrip().startswith('<div id="report"')
    assert "<html" not in page and page_tables(page)[1] == PARAGRAPH
    assert "HX-Request" in response.headers["Vary"]


def test_the_page_links_each_chart_and_export_for_the_same_period(app, client, auth, make):
    auth.as_role(make, "viewer")
    page = client.get("/reports?quarter=2021-3").get_data(as_text=True)
    for name in ("channels", "topics", "departments", "weeks"):
        assert f'src="/reports/chart/{name}.svg?quarter=2021-3"' in page
        assert f'href="/reports/export.csv?table={name}&amp;quarter=2021-3"' in page
        assert f'href="/reports/export.xlsx?table={name}&amp;quarter=2021-3"' in page


def test_a_message_without_a_channel_counts_outside_incident_management(app, client, auth, make):
    make.incident(received_at=at("11.01.2021 10:00"), channel_id=None)
    make.incident(received_at=at("12.01.2021 10:00"))
    auth.as_role(make, "viewer")
    tables, _paragraph = page_tables(client.get("/reports?year=2021").get_data(as_text=True))
    assert tables["channels"][1][2] == "1" and tables["channels"][2][2] == "1"  # ИМ, outside it
    assert tables["channels"][-2] == ["Канал не указан", "нет", "1", "0", "+1", "—", "0"]
    assert tables["channels"][-1][2] == "2"



@pytest.mark.parametrize("path", ["/reports?year=2021", "/reports/?year=2021"])
def test_the_report_answers_with_and_without_the_slash(client, auth, make, path):
    auth.as_role(make, "viewer")
    response = client.get(path)
    assert response.status_code == 200 and "Отчёт: 2021 год" in response.get_data(as_text=True)
