"""People: admins add, change and switch off users on a page; everyone changes their own password, and
whatever must end someone's other sessions (a new password, being switched off) does."""
from conftest import PASSWORD, csrf_from
from sqlalchemy import select

from mcu.extensions import db
from mcu.models import User


def login_of(app, user_id) -> str:
    with app.app_context():
        return db.session.get(User, user_id).login


def user(app, login) -> User:
    with app.app_context():
        found = db.session.scalar(select(User).filter_by(login=login))
        db.session.expunge(found)
        return found


def sign_in(app, login, password=PASSWORD):
    client = app.test_client()
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"login": login, "password": password, "csrf_token": token})
    return client, response


def send(client, path, **data):
    token = csrf_from(client.get("/board").get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def test_an_admin_adds_a_head_who_then_signs_in_and_sees_their_lane(app, client, auth, make):
    auth.as_role(make, "admin")
    roads = make.department("Дороги")
    page = client.get("/users/").get_data(as_text=True)
    assert "Добавить пользователя" in page and "/users/new" in page
    response = send(client, "/users/new", login="  Petrov.I ", name="Иван Петров", role="head",
                    department_id=str(roads), password="zheltyi-fonar-7")
    assert response.status_code == 303
    assert "Пользователь «petrov.i» создан" in client.get("/users/").get_data(as_text=True)
    head = user(app, "petrov.i")
    assert (head.name, head.role, head.department_id, head.active) == ("Иван Петров", "head", roads, True)
    other, signed = sign_in(app, "petrov.i", "zheltyi-fonar-7")
    assert signed.status_code == 302
    board = other.get("/board").get_data(as_text=True)
    assert f'id="lane-{roads}-title"' in board and board.count('<section class="lane ') == 1


def test_a_refused_new_user_keeps_what_was_typed_and_says_why_in_russian(app, client, auth, make):
    auth.as_role(make, "admin")
    cases = [
        ({"login": "я", "name": "Анна"}, "Логин: от 2 до 80 латинских букв"),
        ({"login": "anna", "name": "  "}, "Введите имя"),
        ({"login": "anna", "name": "Анна", "role": "field", "department_id": ""}, "нужно подразделение"),
        ({"login": "anna", "name": "Анна", "password": "short"}, "не короче 8 символов"),
        ({"login": "anna.smirnova", "name": "Анна", "password": "anna.smirnova"}, "не должен совпадать с логином"),
        ({"login": "anna", "name": "Анна", "role": "superuser"}, "Выберите роль"),
    ]
    for fields, message in cases:
        data = {"login": "anna", "name": "Анна Смирнова", "role": "operator", "department_id": "",
                "password": "dostatochno-dlinnyi", **fields}
        response = send(client, "/users/new", **data)
        html = response.get_data(as_text=True)
        assert response.status_code == 400 and message in html, (fields, html[:500])
        assert f'value="{data["login"]}"' in html
        assert 'type="password" autocomplete="new-password" maxlength="200" required>' in html  # never sent back
    make.user("viewer", login="anna")
    response = send(client, "/users/new", login="Anna", name="Анна", role="operator", password="dostatochno-dlinnyi")
    assert response.status_code == 400 and "Такой логин уже есть" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(User.id).filter_by(login="anna.smirnova")) is None


def test_switching_someone_off_ends_their_open_sessions_and_bars_sign_in(app, client, auth, make):
    auth.as_role(make, "admin")
    leaver = make.user("field", "Дороги")
    login = login_of(app, leaver)
    theirs, _signed = sign_in(app, login)
    assert theirs.get("/board").status_code == 200
    response = send(client, f"/users/{leaver}", name="Ушедший сотрудник", role="field",
                    department_id=str(make.department("Дороги")), new_password="")  # no "active": switched off
    assert response.status_code == 303
    assert theirs.get("/board").status_code == 302  # the open session has ended
    assert sign_in(app, login)[1].status_code == 401
    assert "отключён" in client.get("/users/").get_data(as_text=True)
    send(client, f"/users/{leaver}", name="Вернулся", role="field", department_id=str(make.department("Дороги")),
         active="y", new_password="")
    assert sign_in(app, login)[1].status_code == 302


def test_an_admin_sets_a_new_password_and_the_old_one_and_its_sessions_end(app, client, auth, make):
    auth.as_role(make, "admin")
    forgot = make.user("operator")
    login = login_of(app, forgot)
    theirs, _signed = sign_in(app, login)
    short = send(client, f"/users/{forgot}", name="Оператор", role="operator", active="y", new_password="123")
    assert short.status_code == 400 and "не короче 8" in short.get_data(as_text=True)
    assert theirs.get("/board").status_code == 200  # a refused change ends nothing
    assert send(client, f"/users/{forgot}", name="Оператор", role="operator", active="y",
                new_password="novyi-parol-42").status_code == 303
    assert theirs.get("/board").status_code == 302
    assert sign_in(app, login)[1].status_code == 401
    assert sign_in(app, login, "novyi-parol-42")[1].status_code == 302


def test_an_admin_cannot_lock_themselves_out(app, client, auth, make):
    me = auth.as_role(make, "admin")
    for fields in ({"role": "viewer", "active": "y"}, {"role": "admin"}):
        response = send(client, f"/users/{me}", name="Я", new_password="", **fields)
        assert response.status_code == 400
        assert "Свою роль администратора и свою учётную запись снять нельзя" in response.get_data(as_text=True)
    mine = user(app, login_of(app, me))
    assert (mine.role, mine.active) == ("admin", True)
    assert client.get("/users/").status_code == 200


def test_everyone_changes_their_own_password_and_only_this_session_survives(app, client, auth, make):
    me = auth.as_role(make, "field", "Дороги")
    login = login_of(app, me)
    phone, _signed = sign_in(app, login)
    assert "/account/password" in client.get("/board").get_data(as_text=True)
    cases = [({"current": "wrong", "new": "novyi-parol-1", "repeat": "novyi-parol-1"}, "Текущий пароль введён неверно"),
             ({"current": PASSWORD, "new": "novyi-parol-1", "repeat": "novyi-parol-2"}, "не совпадают"),
             ({"current": PASSWORD, "new": "korotko", "repeat": "korotko"}, "не короче 8")]
    for data, message in cases:
        response = send(client, "/account/password", **data)
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert phone.get("/board").status_code == 200
    done = send(client, "/account/password", current=PASSWORD, new="novyi-parol-1", repeat="novyi-parol-1")
    assert done.status_code == 303
    assert "Пароль изменён" in client.get("/board").get_data(as_text=True)  # this session goes on
    assert phone.get("/board").status_code == 302  # the other one has ended
    assert sign_in(app, login)[1].status_code == 401
    assert sign_in(app, login, "novyi-parol-1")[1].status_code == 302


def test_only_admins_see_the_users_pages(app, client, auth, make):
    auth.as_role(make, "operator")
    assert client.get("/users/").status_code == 403
    assert client.get("/users/new").status_code == 403
    assert "/users/" not in client.get("/board").get_data(as_text=True)
    assert client.get("/account/password").status_code == 200


def test_the_command_line_and_the_page_refuse_the_same_bad_users(app):
    runner = app.test_cli_runner()
    bad = runner.invoke(args=["users", "create", "x", "--name", "Икс", "--role", "operator", "--password", "dlinnyi-parol"])
    assert bad.exit_code != 0 and "Логин" in bad.output
    good = runner.invoke(args=["users", "create", "ivanova", "--name", "Мария Иванова", "--role", "head",
                               "--department", "Дороги", "--password", "dlinnyi-parol"])
    assert good.exit_code == 0, good.output
    assert sign_in(app, "ivanova", "dlinnyi-parol")[1].status_code == 302


def test_an_admin_setting_their_own_password_on_the_users_page_stays_signed_in_here_only(app, client, auth, make):
    me = auth.as_role(make, "admin")
    other, _signed = sign_in(app, login_of(app, me))
    response = send(client, f"/users/{me}", name="Я сам", role="admin", active="y", new_password="svoi-novyi-parol")
    assert response.status_code == 303
    assert client.get("/users/").status_code == 200 and other.get("/board").status_code == 302
