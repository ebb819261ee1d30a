"""Saved views over HTTP (issue 14): a named set of board filters per person, checked by the board's own filter
parser, shown as tabs, shareable as a link; bounded per person; only the owner removes one."""
import re

from test_moves import post, token

from mcu.extensions import db
from mcu.shortcuts.models import SavedView


def views(app):
    with app.app_context():
        return [(v.user_id, v.name, v.query) for v in db.session.scalars(db.select(SavedView).order_by(SavedView.id))]


def save(client, name, query):
    return client.post("/board/views", data={"name": name, "query": query}, headers={"X-CSRFToken": token(client)})


def test_a_head_saves_roads_without_assignee_and_the_tab_shows_just_those(app, client, auth, make):
    roads = make.department("Дороги")
    worker = make.user("field", "Дороги")
    make.incident(text="Без исполнителя яма")
    make.incident(text="С исполнителем яма", assignee_id=worker)
    head = auth.as_role(make, "head", "Дороги")
    response = save(client, "  Дороги   без исполнителя ", f"?department={roads}&unassigned=1&junk=1")
    assert response.status_code == 303
    assert views(app) == [(head, "Дороги без исполнителя", f"department={roads}&unassigned=1")]
    board = client.get(response.headers["Location"]).get_data(as_text=True)
    tab = re.search(r'<a href="(/board\?[^"]+)" aria-current="page">([^<]+)</a>', board)
    assert tab and tab.group(2) == "Дороги без исполнителя"
    assert "Без исполнителя яма" in board and "С исполнителем яма" not in board
    # the whole board shows both; the tab is still there, not current
    whole = client.get("/board").get_data(as_text=True)
    assert "С исполнителем яма" in whole and 'aria-current="page">Дороги без исполнителя' not in whole


def test_a_shared_link_shows_the_same_view_to_a_colleague_but_not_the_tab(app, client, auth, make):
    roads = make.department("Дороги")
    make.incident(text="Просроченная яма")
    auth.as_role(make, "head", "Дороги")
    save(client, "Мои просроченные", f"department={roads}&deadline=overdue")
    link = "/board?" + views(app)[0][2]
    client.post("/logout", headers={"X-CSRFToken": token(client)})
    auth.as_role(make, "head", "Дороги")
    page = client.get(link)
    assert page.status_code == 200 and 'name="deadline"' in page.get_data(as_text=True)
    assert 'value="overdue" selected' in page.get_data(as_text=True)
    assert ">Мои просроченные<" not in page.get_data(as_text=True)  # a colleague's tabs are theirs


def test_filters_the_board_does_not_know_are_refused_and_nothing_is_saved(app, client, auth, make):
    auth.as_role(make, "head", "Дороги")
    response = save(client, "Странный", "topic=99999")
    assert response.status_code == 303
    assert "Тематика «99999» не найдена" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert save(client, "", "deadline=overdue").status_code == 303
    assert save(client, "Вся доска", "").status_code == 303
    assert views(app) == []


def test_the_same_name_replaces_and_the_count_is_bounded(app, client, auth, make, monkeypatch):
    monkeypatch.setitem(app.config, "SAVED_VIEWS_MAX", 2)
    auth.as_role(make, "head", "Дороги")
    save(client, "Срочно", "deadline=overdue")
    save(client, "Срочно", "deadline=today")
    save(client, "Мои", "mine=1")
    refused = save(client, "Третий", "unassigned=1")
    assert "Сохранено уже 2 видов" in client.get(refused.headers["Location"]).get_data(as_text=True)
    assert [(n, q) for _u, n, q in views(app)] == [("Срочно", "deadline=today"), ("Мои", "mine=1")]


def test_only_the_owner_removes_a_view(app, client, auth, make):
    auth.as_role(make, "head", "Дороги")
    save(client, "Мои", "mine=1")
    view_id = 1
    client.post("/logout", headers={"X-CSRFToken": token(client)})
    auth.as_role(make, "operator")
    assert post(client, f"/board/views/{view_id}/delete", {}, htmx=False).status_code == 404
    assert len(views(app)) == 1
