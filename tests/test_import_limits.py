"""An operator's upload can never take the server down: a zip bomb, a part openpyxl would read whole, a sheet over the
row limit, one giant row: each is refused with a Russian reason before anything parses it, quickly, in little
memory, and nothing of it is kept."""
import random
import time
import tracemalloc

import openpyxl
import pytest
from importtools import (
    HEADERS,
    MAIN,
    csv_bytes,
    notices,
    post_file,
    repeated,
    rows,
    sheet_xml,
    xlsx_bytes,
    xlsx_package,
    zip_bomb,
)
from sqlalchemy import func, select

from mcu.extensions import db
from mcu.imports import table as table_module
from mcu.models import Incident


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path, monkeypatch):
    """Each test's uploads in a folder of its own."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(folder))
    return folder


@pytest.fixture
def no_openpyxl(monkeypatch):
    """Fails the test if openpyxl is asked to open a workbook."""
    calls = []

    def spy(*args, **kwargs):
        calls.append(args)
        raise AssertionError("openpyxl.load_workbook was called")
    monkeypatch.setattr(table_module, "load_workbook", spy)
    monkeypatch.setattr(openpyxl, "load_workbook", spy)
    return calls


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Incident.id)))


def test_a_zip_bomb_is_refused_in_russian_before_openpyxl_sees_it(app, client, auth, make, upload_dir, no_openpyxl):
    auth.as_role(make, "operator")
    bomb = zip_bomb(300 * 1024 * 1024)  # 300 MB of sheet in about a megabyte and a half
    assert len(bomb) < 2 * 1024 * 1024
    tracemalloc.start()
    started = time.perf_counter()
    try:
        response = post_file(client, bomb, "выгрузка.xlsx")
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Файл XLSX в распакованном виде занимает 300 МБ, а можно не больше 256 МБ." in html
    assert elapsed < 3, elapsed  # nothing was unpacked
    assert peak < 24 * 1024 * 1024, peak  # the upload itself (1.4 MB, read by werkzeug) and little else
    assert no_openpyxl == []
    assert list(upload_dir.glob("*")) == [] and stored(app) == 0


def strings_part(n: int) -> bytes:
    return (f'<sst xmlns="{MAIN}">' + "".join(f"<si><t>{i}</t></si>" for i in range(n)) + "</sst>").encode()


def noise(n: int) -> str:
    """n characters that compress about as badly as real text does."""
    return random.Random(n).randbytes(n // 2).hex()


SHEET = sheet_xml([HEADERS, *rows(3)])
GIANT_ROW = sheet_xml([HEADERS, ["1", "01.12.2026 10:00", "Житель", noise(3 * 1024 * 1024), "Дороги"]])


@pytest.mark.parametrize("parts, message", [
    # a part of spaces far more compressible than any table, small enough for the total
    ({"xl/worksheets/sheet1.xml": repeated(b" ", 64 * 1024 * 1024)},
     "часть «xl/worksheets/sheet1.xml» сжата в"),
    # styles openpyxl would build whole: 5 MB of barely compressible text
    ({"xl/worksheets/sheet1.xml": SHEET, "xl/styles.xml": noise(5_200_000).encode()},
     "часть «xl/styles.xml» в распакованном виде занимает 5,0 МБ, а можно не больше 4 МБ"),
    # more distinct texts than openpyxl may keep in memory
    ({"xl/worksheets/sheet1.xml": SHEET, "xl/sharedStrings.xml": strings_part(300_001)},
     "В файле XLSX 300\u202f001 разных текстов, а можно не больше 300\u202f000"),
    # one cell of 3 MB: a real row is kilobytes
    ({"xl/worksheets/sheet1.xml": GIANT_ROW}, "на листе есть строка или фрагмент длиннее 2 МБ"),
], ids=["ratio", "part", "shared-strings", "giant-row"])
def test_xlsx_parts_openpyxl_would_hold_whole_are_refused(app, client, auth, make, upload_dir, no_openpyxl,
                                                          monkeypatch, parts, message):
    monkeypatch.setitem(app.config, "IMPORT_BACKGROUND_BYTES", 64 * 1024 * 1024)  # read in the request: no queue
    auth.as_role(make, "operator")
    response = post_file(client, xlsx_package(parts), "выгрузка.xlsx")
    assert response.status_code == 400
    assert message in notices(response)
    assert no_openpyxl == []
    assert list(upload_dir.glob("*")) == [] and stored(app) == 0


def test_a_sheet_declaring_more_rows_than_the_limit_is_refused_naming_the_limit(app, client, auth, make, upload_dir,
                                                                             no_openpyxl):
    auth.as_role(make, "operator")
    # the <dimension> says 100,001 rows; refused from it alone, before a row is read
    response = post_file(client, xlsx_bytes([HEADERS, *rows(3)], dimension="A1:E100001"), "год.xlsx")
    assert response.status_code == 400
    assert ("В файле 100\u202f001 строк, а за один раз можно импортировать не больше 100\u202f000. "
            "Разделите файл на части.") in response.get_data(as_text=True)
    assert no_openpyxl == []
    assert list(upload_dir.glob("*")) == [] and stored(app) == 0


@pytest.mark.parametrize("name, make_file", [
    ("год.csv", lambda: csv_bytes(60)),
    ("год.xlsx", lambda: xlsx_bytes([HEADERS, *rows(60)], dimension="A1")),  # a dimension that lies: counted
])
def test_rows_past_the_limit_are_counted_while_reading_and_the_file_refused(app, client, auth, make, upload_dir,
                                                                           monkeypatch, name, make_file):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 50)
    auth.as_role(make, "operator")
    response = post_file(client, make_file(), name)
    assert response.status_code == 400
    assert "В файле больше 50 строк, а за один раз можно импортировать не больше 50." in response.get_data(as_text=True)
    assert list(upload_dir.glob("*")) == [] and stored(app) == 0


def test_a_file_at_the_row_limit_is_imported_whole(app, client, auth, make, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAX_ROWS", 50)
    auth.as_role(make, "operator")
    response = post_file(client, xlsx_bytes([HEADERS, *rows(49)], dimension="A1:E50"), "год.xlsx")
    assert response.status_code == 303, notices(response)
    preview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "готовы к импорту: 49, с ошибками: 0" in preview
