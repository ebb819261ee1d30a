"""Import of CSV/XLSX exports: headers in any order and by synonyms, cp1251, bad rows by row number,
the upload page (upload → preview → confirm) and the command line."""
import io
from datetime import UTC, datetime

import pytest
from conftest import csrf_from
from openpyxl import Workbook
from sqlalchemy import func, select

from mcu.extensions import db
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


def post_file(client, data: bytes, name: str):
    page = client.get("/import/")
    token = csrf_from(page.get_data(as_text=True))
    return client.post("/import/", data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def incidents(app):
    with app.app_context():
        return {i.external_id: i for i in db.session.scalars(select(Incident)).all()}


def test_csv_with_shuffled_headers_is_read_by_header_names(app):
    table = table_module.read(CSV_SHUFFLED.encode(), "export.csv")
    assert table.unknown == ["Район"]
    assert [table.headers[table.columns[f]] for f in ("external_id", "received_at", "text")] == [
        "ID", "Дата поступления", "Текст"]
    from zoneinfo import ZoneInfo
    records, errors = table_module.records(table, ZoneInfo("Asia/Vladivostok"))
    assert [r.external_id for r in records] == ["A-1", "A-2"]
    assert [(e.row, e.message) for e in errors] == [
        ("4", "«Дата поступления»: не удалось прочитать дату «позавчера»"), ("5", "не заполнена «Дата поступления»")]
    one = records[0]
    assert one.received_at == datetime(2026, 11, 29, 23, 15, tzinfo=UTC)  # 09:15 in Khabarovsk
    assert (one.channel, one.status, one.answer_text, one.platform) == ("Директ мэра", "Ответ дан", "Яму заделали",
                                                                        "ВКонтакте")
    assert one.raw["Район"] == "Центральный"


def test_synonyms_any_case_and_cp1251_with_commas(app):
    csv = ("номер,ДАТА,Источник,Соцсеть,Сообщение,URL,Рубрика,Ответственный,  Ответ  \n"
           "77,01.12.2026 08:00,ИМ,ОК,Ёлка упала,https://ok.ru/1,Благоустройство,,Уберём\n")
    table = table_module.read(csv.encode("cp1251"), "выгрузка.csv")
    assert set(table.columns) == {"external_id", "received_at", "channel", "platform", "text", "url", "topic",
                                  "department", "answer_text"}
    records, errors = table_module.records(table, UTC)
    assert errors == [] and records[0].text == "Ёлка упала" and records[0].answer_text == "Уберём"


def test_a_file_without_the_needed_columns_is_refused_in_words():
    with pytest.raises(table_module.TableError, match="заголовков"):
        table_module.read(b"a;b\n1;2\n", "x.csv")
    with pytest.raises(table_module.TableError, match="Дата поступления"):
        table_module.read("ID;Текст\n1;2\n".encode(), "x.csv")
    with pytest.raises(table_module.TableError, match="XLSX"):
        table_module.read(b"PK\x03\x04 broken", "x.xlsx")


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
    confirm = client.post(response.headers["Location"], data={"csrf_token": csrf_from(html)})
    result = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert "Создано: 2, обновлено: 0, без изменений: 0, строк с ошибками: 1." in result
    stored = incidents(app)
    assert set(stored) == {"1001", "1002"}
    assert stored["1001"].status == "in_progress" and stored["1001"].department_id == make.department("Дороги")
    assert stored["1001"].received_at == datetime(2026, 11, 29, 23, 15, tzinfo=UTC)
    assert stored["1002"].department_id == make.department("Образование")
    assert stored["1001"].raw["Примечание"] == "проверить"
    again = client.post(response.headers["Location"], data={"csrf_token": csrf_from(html)})
    assert again.status_code == 404  # the kept file is gone once imported


def test_the_same_file_imported_twice_changes_nothing(app, client, auth, make):
    auth.as_role(make, "operator")
    for expected in ("Создано: 2, обновлено: 0, без изменений: 0", "Создано: 0, обновлено: 0, без изменений: 2"):
        location = post_file(client, CSV_SHUFFLED.encode(), "export.csv").headers["Location"]
        token = csrf_from(client.get(location).get_data(as_text=True))
        assert expected in client.post(location, data={"csrf_token": token}).get_data(as_text=True)


def test_bad_uploads_get_russian_messages_and_nothing_is_stored(app, client, auth, make):
    auth.as_role(make, "operator")
    wrong = post_file(client, b"hello", "notes.txt.exe")
    assert wrong.status_code == 400 and "только файлы CSV и XLSX" in wrong.get_data(as_text=True)
    no_columns = post_file(client, b"a;b\n1;2\n", "x.csv")
    assert no_columns.status_code == 400 and "строка заголовков" in no_columns.get_data(as_text=True)
    app.config["IMPORT_MAX_BYTES"] = 1024 * 1024
    try:
        big = post_file(client, b"ID;Date\n" + b"x" * (1024 * 1024 + 10), "big.csv")
    finally:
        app.config.pop("IMPORT_MAX_BYTES")
    assert big.status_code in (400, 413) and "Файл" in big.get_data(as_text=True)
    assert client.get("/import/" + "A" * 30).status_code == 404
    assert client.get("/import/..%2F..%2Fsecret_key").status_code == 404
    assert incidents(app) == {}


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
