"""Imports that reports can trust: a name the reference does not know (channel, topic, department, status) is never
replaced silently; the preview lists each with its rows and the operator maps it (existing, new, skip), checked on
the server; the command takes the same mapping as options; and history is history: rows answered before the solved
window land answered, off the board, counted in reports."""
import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from conftest import Auth, csrf_from
from importtools import notices, post_file
from reporttools import CITY, page_tables
from sqlalchemy import select

from mcu.extensions import db
from mcu.models import Channel, Department, Incident, Topic

HEAD = "ID;Дата поступления;Канал;Текст;Тематика;Подразделение;Статус;Дата ответа"


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path, monkeypatch):
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(folder))
    return folder


def when(moment: datetime) -> str:
    return moment.astimezone(CITY).strftime("%d.%m.%Y %H:%M")


def csv_of(lines: list[str]) -> bytes:
    return ("\n".join([HEAD, *lines]) + "\n").encode()


def mixed() -> bytes:
    """Two hours ago, six rows whose names the reference partly does not know (spelt in several ways)."""
    at = when(datetime.now(UTC) - timedelta(hours=2))
    answered = when(datetime.now(UTC) - timedelta(hours=1))
    return csv_of([
        f"M-1;{at};Паблики Хабаровска;Яма у школы;Ямы;;Непонятно;",
        f"M-2;{at};паблики   хабаровска;Яма во дворе;ямы;;Новое;",
        f"M-3;{at};Паблики Хабаровска;Ещё яма;Дороги;;непонятно;",
        f"M-4;{at};ИМ;Сугроб;Благоустройство;Отдел снега;Новое;",
        f"M-5;{at};Инцидент  менеджмент;Яму заделали?;ДОРОГИ ;;ответ дан;{answered}",
        f"M-6;{at};Директ мэра;Купите слона;Снег;;Спам;",
    ])


def unmatched(page: str) -> dict:
    """{field: [(name, rows), ...]} as the preview lists the names that match nothing."""
    found = {}
    for field, body in re.findall(r'<table class="list import-unmatched" data-field="(\w+)">(.*?)</table>', page,
                                  re.DOTALL):
        found[field] = [(html.unescape(name), rows) for name, rows in
                        re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td>", body)]
    return found


def stored(app) -> dict:
    with app.app_context():
        rows = db.session.execute(select(Incident.external_id, Channel.name, Channel.in_incident_management,
                                         Topic.name, Incident.status, Incident.department_id)
                                  .outerjoin(Channel, Channel.id == Incident.channel_id)
                                  .outerjoin(Topic, Topic.id == Incident.topic_id)).all()
        return {row[0]: tuple(row[1:]) for row in rows}


def topic_id(app, name: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Topic.id).where(Topic.name == name))


def test_the_preview_lists_unknown_names_with_their_rows_and_asks_for_each(app, client, auth, make):
    auth.as_role(make, "operator")
    location = post_file(client, mixed(), "выгрузка.csv").headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert unmatched(page) == {"channel": [("Паблики Хабаровска", "3")], "topic": [("Ямы", "2"), ("Снег", "1")],
                               "department": [("Отдел снега", "1")],
                               "status": [("Непонятно", "2"), ("Спам", "1")]}
    # «ИМ», «Инцидент  менеджмент», «ДОРОГИ », «ответ дан» are the reference's own, after normalising
    selects = dict(re.findall(r'<select name="(map-[\w-]+)"[^>]*>(.*?)</select>', page, re.DOTALL))
    assert set(selects) == {"map-channel-0", "map-topic-0", "map-topic-1", "map-department-0", "map-status-0",
                            "map-status-1"}
    assert 'value="to:public">Сообщения в пабликах<' in selects["map-channel-0"]
    assert 'value="new"' in selects["map-channel-0"] and 'value="skip"' in selects["map-channel-0"]
    assert 'value="new"' not in selects["map-status-0"]  # a status is the workflow's, never made up by a file
    assert re.search(r'<option value=""\s+selected>', selects["map-status-0"])  # nothing chosen for the operator
    assert stored(app) == {}


def test_the_operators_choices_are_applied(app, client, auth, make):
    auth.as_role(make, "operator")
    location = post_file(client, mixed(), "выгрузка.csv").headers["Location"]
    token = csrf_from(client.get(location).get_data(as_text=True))
    choices = {"map-channel-0": "new", "map-topic-0": f"to:{topic_id(app, 'Дороги')}", "map-topic-1": "new",
               "map-department-0": "skip", "map-status-0": "to:in_progress", "map-status-1": "skip"}
    result = client.post(location, data={"csrf_token": token, **choices}, follow_redirects=True)
    page = html.unescape(result.get_data(as_text=True))
    assert result.status_code == 200 and "Создано: 4" in page, notices(result)
    assert "Пропущено по вашему выбору строк: 2." in page
    assert "канал «Паблики Хабаровска» (вне Инцидент-менеджмента)" in page
    assert "тематика «Снег» (без подразделения" in page
    assert stored(app) == {
        "M-1": ("Паблики Хабаровска", False, "Дороги", "in_progress", stored(app)["M-1"][4]),
        "M-2": ("Паблики Хабаровска", False, "Дороги", "new", stored(app)["M-2"][4]),
        "M-3": ("Паблики Хабаровска", False, "Дороги", "in_progress", stored(app)["M-3"][4]),
        "M-5": ("Инцидент-менеджмент ЦУР", True, "Дороги", "answered", stored(app)["M-5"][4]),
    }
    with app.app_context():
        snow = db.session.scalar(select(Topic).where(Topic.name == "Снег"))
        assert snow is not None and snow.department_id is None  # unrouted until an admin maps it


@pytest.mark.parametrize("tamper, message", [
    ({"map-status-0": "new"}, "выбран вариант, которого нет в списке"),
    ({"map-topic-0": "to:999999"}, "выбран вариант, которого нет в списке"),
    ({"map-channel-0": "to:<script>"}, "выбран вариант, которого нет в списке"),
    ({"map-department-0": ""}, "Выберите, что делать со значением «Отдел снега» (Подразделение)."),
])
def test_a_tampered_or_incomplete_mapping_is_refused_in_russian(app, client, auth, make, tamper, message):
    auth.as_role(make, "operator")
    location = post_file(client, mixed(), "выгрузка.csv").headers["Location"]
    token = csrf_from(client.get(location).get_data(as_text=True))
    choices = {"map-channel-0": "to:public", "map-topic-0": "skip", "map-topic-1": "skip", "map-department-0": "skip",
               "map-status-0": "to:new", "map-status-1": "skip"}
    refused = client.post(location, data={"csrf_token": token, **choices, **tamper})
    assert refused.status_code == 400
    assert message in notices(refused)
    assert 'value="skip" selected' in refused.get_data(as_text=True)  # what was chosen stays chosen
    assert stored(app) == {}
    fixed = client.post(location, data={"csrf_token": token, **choices}, follow_redirects=True)
    assert "Создано: 2" in fixed.get_data(as_text=True)  # M-4 (department), M-6 (status) skipped; topics skipped
    with app.app_context():
        assert db.session.scalar(select(Channel.id).where(Channel.name == "Паблики Хабаровска")) is None


def test_names_are_escaped_in_the_preview(app, client, auth, make):
    auth.as_role(make, "operator")
    at = when(datetime.now(UTC) - timedelta(hours=2))
    location = post_file(client, csv_of([f"X-1;{at};<img src=x onerror=alert(1)>;Текст;Дороги;;;"]),
                         "x.csv").headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_a_file_with_too_many_unknown_names_is_refused_in_russian(app, client, auth, make, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_MAP_MAX_VALUES", 3)
    auth.as_role(make, "operator")
    at = when(datetime.now(UTC) - timedelta(hours=2))
    refused = post_file(client, csv_of([f"X-{n};{at};Канал {n};Текст;Дороги;;;" for n in range(4)]), "x.csv")
    assert refused.status_code == 400
    assert "В столбце «Канал» больше 3 разных значений, которых нет в справочнике" in notices(refused)
    accepted = post_file(client, csv_of([f"X-{n};{at};Канал {n % 3};Текст;Дороги;;;" for n in range(40)]), "x.csv")
    assert accepted.status_code == 303


def test_the_command_creates_channels_and_topics_and_refuses_unknown_statuses(app, tmp_path):
    at = when(datetime.now(UTC) - timedelta(hours=2))
    path = tmp_path / "export.csv"
    path.write_bytes(csv_of([f"C-1;{at};Паблики Хабаровска;Яма;Ямы;;Новое;",
                             f"C-2;{at};Инцидент Хабаровск;Яма;Дороги;;Новое;",
                             f"C-3;{at};ИМ;Яма;Дороги;;Непонятно;"]))
    runner = app.test_cli_runner()
    done = runner.invoke(args=["import", str(path)])
    assert done.exit_code == 0, done.output
    assert "Нет в справочнике — Статус «Непонятно»: строк 1; строки не импортируются (нужен --map-status)" in done.output
    assert "Создано: канал «Паблики Хабаровска» (вне Инцидент-менеджмента)" in done.output
    assert "Создано: канал «Инцидент Хабаровск» (в Инцидент-менеджменте)" in done.output
    assert "Создано: тематика «Ямы» (без подразделения" in done.output
    assert "создано: 2" in done.output and "строк с ошибками: 1" in done.output
    assert "C-3: «Статус»: значения «Непонятно» нет в справочнике" in done.output
    after = stored(app)
    assert after["C-1"][:4] == ("Паблики Хабаровска", False, "Ямы", "new") and after["C-1"][4] is None
    assert after["C-2"][:2] == ("Инцидент Хабаровск", True) and "C-3" not in after

    again = runner.invoke(args=["import", str(path), "--map-status", "непонятно=В работе"])
    assert again.exit_code == 0, again.output
    assert "Нет в справочнике — Статус «Непонятно»: строк 1; → «in_progress»" in again.output
    assert "создано: 1" in again.output and stored(app)["C-3"][3] == "in_progress"
    assert "Создано: канал" not in again.output  # made once: the names are the reference's now


@pytest.mark.parametrize("option, message", [
    (["--map-status", "Непонятно=new"], "Новый статус создать нельзя"),
    (["--map-topic", "Ямы=Космос"], "«Космос»: такого значения поля «Тематика» нет в справочнике"),
    (["--map-channel", "Паблики"], "не в виде «Имя=значение»"),
])
def test_the_commands_mapping_options_are_checked(app, tmp_path, option, message):
    path = tmp_path / "export.csv"
    path.write_bytes(csv_of([f"C-1;{when(datetime.now(UTC))};Паблики;Яма;Ямы;;Новое;"]))
    bad = app.test_cli_runner().invoke(args=["import", str(path), *option])
    assert bad.exit_code != 0 and message in bad.output
    assert stored(app) == {}


def test_the_commands_skip_leaves_rows_out(app, tmp_path):
    path = tmp_path / "export.csv"
    at = when(datetime.now(UTC) - timedelta(hours=2))
    path.write_bytes(csv_of([f"C-1;{at};Паблики Хабаровска;Яма;Ямы;;Новое;", f"C-2;{at};ИМ;Яма;Дороги;;Новое;"]))
    done = app.test_cli_runner().invoke(args=["import", str(path), "--map-channel", "Паблики Хабаровска=skip",
                                              "--map-topic", "ямы=Дороги"])
    assert done.exit_code == 0, done.output
    assert "создано: 1" in done.output and "пропущено по выбору: 1" in done.output and "Создано:" not in done.output
    assert set(stored(app)) == {"C-2"}


def answered_cards(page: str) -> list[str]:
    """The cards of the board's «Ответ дан» cells."""
    cells = re.findall(r'data-status="answered">(.*?)</section>', page, re.DOTALL)
    return [card for cell in cells for card in re.findall(r'<li class="card.*?</li>', cell, re.DOTALL)]


def test_an_archive_lands_answered_off_the_board_and_counts_in_reports(app, client, auth, make):
    auth.as_role(make, "operator")
    archive = [f"A-{n};{n % 28 + 1:02d}.{n % 12 + 1:02d}.2020 10:00;ИМ;Яма {n};Дороги;;Ответ дан;"
               f"{n % 28 + 1:02d}.{n % 12 + 1:02d}.2020 15:00" for n in range(30)]
    # «Новое» in the export, but answered long ago: history, not a new overdue card
    archive += [f"B-{n};0{n + 1}.03.2020 10:00;ИМ;Мусор {n};ЖКХ;;Новое;0{n + 1}.03.2020 12:00" for n in range(5)]
    recent = when(datetime.now(UTC) - timedelta(hours=3))
    archive += [f"R-1;{recent};ИМ;Свежий ответ;Дороги;;Ответ дан;{when(datetime.now(UTC) - timedelta(hours=1))}"]
    location = post_file(client, csv_of(archive), "архив.csv").headers["Location"]
    token = csrf_from(client.get(location).get_data(as_text=True))
    assert "Создано: 36" in client.post(location, data={"csrf_token": token}, follow_redirects=True).get_data(
        as_text=True)
    with app.app_context():
        rows = db.session.execute(select(Incident.external_id, Incident.status, Incident.first_answered_at)).all()
    assert {status for _id, status, _at in rows} == {"answered"} and all(at for _id, _s, at in rows)

    board = client.get("/board").get_data(as_text=True)
    assert len(answered_cards(board)) == 1 and "Свежий ответ" in board
    assert "Яма 1<" not in board and "Мусор" not in board
    assert "за 24 ч · все с ответом" in board

    viewer = app.test_client()
    Auth(app, viewer).as_role(make, "viewer")
    tables, _paragraph = page_tables(viewer.get("/reports?year=2020").get_data(as_text=True))
    assert tables["channels"][-1][:3] == ["Всего", "—", "35"]


def test_answered_rows_without_their_moment_follow_their_receipt(app, client, auth, make):
    """«Ответ дан» without «Дата ответа»: an old one is history, a fresh one a card; no first answer is made up."""
    auth.as_role(make, "operator")
    fresh = when(datetime.now(UTC) - timedelta(hours=2))
    location = post_file(client, csv_of(["O-1;15.03.2020 10:00;ИМ;Старый ответ;Дороги;;Ответ дан;",
                                         f"O-2;{fresh};ИМ;Новый ответ;Дороги;;Ответ дан;"]), "x.csv").headers["Location"]
    token = csrf_from(client.get(location).get_data(as_text=True))
    assert "Создано: 2" in client.post(location, data={"csrf_token": token}, follow_redirects=True).get_data(
        as_text=True)
    cards = answered_cards(client.get("/board").get_data(as_text=True))
    assert len(cards) == 1 and "Новый ответ" in cards[0]
    with app.app_context():
        assert db.session.scalars(select(Incident.first_answered_at)).all() == [None, None]


def test_the_answered_column_shows_the_recent_answers_only(app, client, auth, make):
    auth.as_role(make, "operator")
    now = datetime.now(UTC)
    make.incident(text="Ответили вчера утром", status="answered", answered_at=now - timedelta(hours=30))
    make.incident(text="Ответили только что", status="answered", answered_at=now - timedelta(minutes=5))
    board = client.get("/board").get_data(as_text=True)
    cards = answered_cards(board)
    assert len(cards) == 1 and "Ответили только что" in cards[0]
    assert "Ответили вчера утром" not in board
    counts = re.findall(r'data-status="answered">\s*<h3 class="cell-head"><span class="cell-title">Ответ дан</span> '
                        r'<span class="count">(\d+)</span>', board)
    assert "1" in counts and "2" not in counts  # the column says what it shows
    listed = client.get("/incidents/?status=answered").get_data(as_text=True)
    assert "Ответили вчера утром" in listed  # the older ones are in the list


def test_an_admin_gives_a_created_topic_its_department(app, client, auth, make):
    """A topic an import created is unrouted until an admin gives it a department on the rules page; from then on
    its new messages go there."""
    at = when(datetime.now(UTC) - timedelta(hours=2))
    path = app.instance_path + "/snow.csv"
    with open(path, "wb") as out:
        out.write(csv_of([f"S-1;{at};ИМ;Сугроб во дворе;Снег;;Новое;"]))
    assert app.test_cli_runner().invoke(args=["import", path]).exit_code == 0
    auth.as_role(make, "admin")
    page = client.get("/rules/").get_data(as_text=True)
    assert "Тематики без подразделения" in page and "Снег" in page
    snow = topic_id(app, "Снег")
    token = csrf_from(page)
    refused = client.post(f"/rules/topics/{snow}", data={"csrf_token": token, "department": "999999"})
    assert refused.status_code == 400 and "Выберите подразделение." in notices(refused)
    assert client.post("/rules/topics/999999", data={"csrf_token": token, "department": "1"}).status_code == 404
    with app.app_context():
        housing = db.session.scalar(select(Department.id).where(Department.short_name == "ЖКХ"))
    assert client.post(f"/rules/topics/{snow}", data={"csrf_token": token,
                                                      "department": str(housing)}).status_code == 303
    assert "Снег</td>" not in client.get("/rules/").get_data(as_text=True)
    with open(path, "wb") as out:
        out.write(csv_of([f"S-2;{at};ИМ;Ещё сугроб;снег;;Новое;"]))
    assert app.test_cli_runner().invoke(args=["import", path]).exit_code == 0
    with app.app_context():
        placed = dict(db.session.execute(select(Incident.external_id, Incident.department_id)).all())
    assert placed == {"S-1": None, "S-2": housing}  # the first stays where it went; the new one goes to ЖКХ
