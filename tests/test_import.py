"""Import of CSV/XLSX exports: headers in any order and by synonyms, cp1251, bad rows by row number,
the upload page (upload → preview → confirm) and the command line."""
import io
from datetime import UTC, datetime

import pytest
from conftest import csrf_from
from importtools import post_file
from openpyxl import Workbook
from sqlalchemy import func, select

from mcu.extensions import db
from mcu.feeds.records import Record
from mcu.imports import limits
from mcu.imports import table as table_module
from mcu.models import Incident

CSV_SHUFFLED = (
    "Текст ответа;Статус;Текст;Дата поступления;ID;Канал;Автор;Тематика;Ссылка;Подразделение;Дата ответа;Платформа;Район\n"
    "Яму заделали;Ответ дан;Яма на Ленина, 5;30.11.2026 09:15;A-1;Директ мэра;Анна К.;Дороги;https://vk.com/wall-1_1;;"
    "30.11.2026 12:00;ВКонтакте;Центральный\n"
    ";;Не вывозят мусор;30.11.2026 10:00;A-2;;Пётр;;;ЖКХ;;Telegram;Кировский\n"
    ";;Плохая дата;позавчера;A-3;;;;;;;;\n"
    ";;Без даты;;A-4;;;;;;;;\n"
    ";;;;;;;;;;;;\n"
)


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path, monkeypatch):
    """Each test's uploads in a folder of its own."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(folder))
    return folder


def read(app, tmp_path, data: bytes, name: str, tz):
    """A file through the same checks and reader as an upload: its table, its records and its row errors."""
    path = tmp_path / "file.data"
    path.write_bytes(data)
    found = limits.check(path, name, limits.Limits.of(app.config))
    with table_module.opened(path, found.kind, 1000, found.sheet) as table:
        items = list(table_module.records(table, tz))
    return (table, [i for i in items if isinstance(i, Record)], [i for i in items if not isinstance(i, Record)])


def incidents(app):
    with app.app_context():
        return {i.external_id: i for i in db.session.scalars(select(Incident)).all()}


def test_csv_with_shuffled_headers_is_read_by_header_names(app, tmp_path):
    from zoneinfo import ZoneInfo
    table, records, errors = read(app, tmp_path, CSV_SHUFFLED.encode(), "export.csv", ZoneInfo("Asia/Vladivostok"))
    assert table.unknown == ["Район"]
    assert [table.headers[table.columns[f]] for f in ("external_id", "received_at", "text")] == [
        "ID", "Дата поступления", "Текст"]
    assert [r.external_id for r in records] == ["A-1", "A-2"]
    assert [(e.row, e.message) for e in errors] == [
        ("4", "«Дата поступления»: не удалось прочитать дату «позавчера»"), ("5", "не заполнена «Дата поступления»")]
    one = records[0]
    assert one.received_at == datetime(2026, 11, 29, 23, 15, tzinfo=UTC)  # 09:15 in Khabarovsk
    assert (one.channel, one.status, one.answer_text, one.platform) == ("Директ мэра", "Ответ дан", "Яму заделали",
                                                                        "ВКонтакте")
    assert one.raw["Район"] == "Центральный"


def test_synonyms_any_case_and_cp1251_with_commas(app, tmp_path):
    csv = ("номер,ДАТА,Источник,Соцсеть,Сообщение,URL,Рубрика,Ответственный,  Ответ  \n"
           "77,01.12.2026 08:00,ИМ,ОК,Ёлка упала,https://ok.ru/1,Благоустройство,,Уберём\n")
    table, records, errors = read(app, tmp_path, csv.encode("cp1251"), "выгрузка.csv", UTC)
    assert set(table.columns) == {"external_id", "received_at", "channel", "platform", "text", "url", "topic",
                                  "department", "answer_text"}
    assert errors == [] and records[0].text == "Ёлка упала" and records[0].answer_text == "Уберём"


def test_a_file_without_the_needed_columns_is_refused_in_words(app, tmp_path):
    with pytest.raises(table_module.TableError, match="заголовков"):
        read(app, tmp_path, b"a;b\n1;2\n", "x.csv", UTC)
    with pytest.raises(table_module.TableError, match="Дата поступления"):
        read(app, tmp_path, "ID;Текст\n1;2\n".encode(), "x.csv", UTC)
    with pytest.raises(table_module.TableError, match="XLSX"):
        read(app, tmp_path, b"PK\x03\x04 broken", "x.xlsx", UTC)


def xlsx_bytes() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(["Выгрузка Инцидент-менеджмента за ноябрь"])  # a title line above the header row
    sheet.append(["Тематика", "Дата", "Сообщение", "Номер", "Канал", "Статус", "Примечание"])
    sheet.append(["Дороги", datetime(2026, 11, 30, 9, 15), "Яма во дворе", 1001, "Инцидент-менеджмент ЦУР",
                  "В работе", "проверить"])
    sheet.append(["Образование", "30.11.2026 10:30", "Холодно в школе №5", 1002, None, None, None])
    sheet.append(["Дороги", "не дата", "Плохая строка", 1003, None, None, None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_xlsx_export_through_the_upload_page(app, client, auth, make):
    auth.as_role(make, "operator")
    response = post_file(client, xlsx_bytes(), "ноябрь.xlsx")
    assert response.status_code == 303
    preview = client.get(response.headers["Location"])
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "Строк с данными: 3, готовы к импорту: 2, с ошибками: 1." in html
    assert "Яма во дворе" in html and "Примечание" in html
    assert "не удалось прочитать дату «не дата»" in html
    assert incidents(app) == {}  # nothing stored before the confirmation
    confirm = client.post(response.headers["Location"], data={"csrf_token": csrf_from(html)}, follow_redirects=True)
    result = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert "Создано: 2, обновлено: 0, без изменений: 0, строк с ошибками: 1." in result
    stored = incidents(app)
    assert set(stored) == {"1001", "1002"}
    assert stored["1001"].status == "in_progress" and stored["1001"].department_id == make.department("Дороги")
    assert stored["1001"].received_at == datetime(2026, 11, 29, 23, 15, tzinfo=UTC)
    assert stored["1002"].department_id == make.department("Образование")
    assert stored["1001"].raw["Примечание"] == "проверить"
    again = client.post(response.headers["Location"], data={"csrf_token": csrf_from(html)}, follow_redirects=True)
    assert "уже импортируется или импортирован" in again.get_data(as_text=True)  # confirmed once only
    assert "Создано: 2" in client.get(response.headers["Location"]).get_data(as_text=True)  # the result stays
    assert len(incidents(app)) == 2


def test_the_same_file_imported_twice_changes_nothing(app, client, auth, make):
    auth.as_role(make, "operator")
    for expected in ("Создано: 2, обновлено: 0, без изменений: 0", "Создано: 0, обновлено: 0, без изменений: 2"):
        location = post_file(client, CSV_SHUFFLED.encode(), "export.csv").headers["Location"]
        token = csrf_from(client.get(location).get_data(as_text=True))
        assert expected in client.post(location, data={"csrf_token": token},
                                       follow_redirects=True).get_data(as_text=True)


def test_bad_uploads_get_russian_messages_and_nothing_is_stored(app, client, auth, make, monkeypatch, upload_dir):
    auth.as_role(make, "operator")
    wrong = post_file(client, b"hello", "notes.txt.exe")
    assert wrong.status_code == 400 and "только файлы CSV и XLSX" in wrong.get_data(as_text=True)
    no_columns = post_file(client, b"a;b\n1;2\n", "x.csv")
    assert no_columns.status_code == 400 and "строка заголовков" in no_columns.get_data(as_text=True)
    monkeypatch.setitem(app.config, "IMPORT_MAX_BYTES", 1024 * 1024)
    big = post_file(client, b"ID;Date\n" + b"x" * (1024 * 1024 + 10), "big.csv")
    assert big.status_code in (400, 413) and "Файл" in big.get_data(as_text=True)
    empty = post_file(client, b"", "empty.csv")
    assert empty.status_code == 400 and "Файл пуст" in empty.get_data(as_text=True)
    assert client.get("/import/" + "A" * 30).status_code == 404
    assert client.get("/import/..%2F..%2Fsecret_key").status_code == 404
    assert incidents(app) == {}
    assert list(upload_dir.glob("*")) == []  # nothing of a refused file is kept


def test_confirm_needs_the_csrf_token(app, client, auth, make):
    auth.as_role(make, "operator")
    location = post_file(client, CSV_SHUFFLED.encode(), "export.csv").headers["Location"]
    assert client.post(location, data={}).status_code == 400
    assert incidents(app) == {}


@pytest.mark.parametrize("role, department", [("head", "Дороги"), ("field", "Дороги"), ("viewer", None)])
def test_only_operators_and_admins_may_import(app, client, auth, make, role, department):
    auth.as_role(make, role, department)
    assert client.get("/import/").status_code == 403
    token = csrf_from(client.get("/board", follow_redirects=True).get_data(as_text=True))
    response = client.post("/import/", data={"csrf_token": token, "file": (io.BytesIO(CSV_SHUFFLED.encode()), "a.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 403
    assert incidents(app) == {}


def test_another_operator_cannot_confirm_my_upload(app, client, auth, make):
    auth.as_role(make, "operator")
    location = post_file(client, CSV_SHUFFLED.encode(), "export.csv").headers["Location"]
    other = app.test_client()
    from conftest import Auth
    Auth(app, other).as_role(make, "operator")
    token = csrf_from(other.get("/import/").get_data(as_text=True))
    assert other.post(location, data={"csrf_token": token}).status_code == 404
    assert incidents(app) == {}


def test_import_command(app, tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(CSV_SHUFFLED.encode("utf-8-sig"))
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["import", str(path), "--dry-run"])
    assert dry.exit_code == 0 and "к импорту: 2" in dry.output and "строка 4" in dry.output
    assert incidents(app) == {}
    done = runner.invoke(args=["import", str(path)])
    assert done.exit_code == 0, done.output
    assert "создано: 2" in done.output and "Сохранены как есть: «Район»" in done.output
    assert set(incidents(app)) == {"A-1", "A-2"}
    with app.app_context():
        assert db.session.scalar(select(func.count(Incident.id))) == 2
    bad = runner.invoke(args=["import", str(path.with_name("nope.csv"))])
    assert bad.exit_code != 0
