"""Manual entry: an operator types in a message from a channel outside Инцидент-менеджмент."""
import re

from sqlalchemy import select

from mcu.extensions import db
from mcu.models import Channel, Event, Incident, Topic


def form(client, **fields):
    page = client.get("/incidents/new").get_data(as_text=True)
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    data = {"channel": "direct_mayor", "platform": "Telegram", "author": "Анна К.",
            "text": "Во дворе дома на Ленина, 12 не вывозят мусор неделю", "url": "https://t.me/x/1",
            "address": "ул. Ленина, 12", "topic": "", "department": "", "received_at": "2026-01-15T10:30",
            "csrf_token": csrf}
    data.update(fields)
    return client.post("/incidents/new", data=data)


def test_operator_enters_a_message_by_hand(app, client, auth, make):
    auth.as_role(make, "operator")
    topic = make.topic("Дороги")
    response = form(client, topic=str(topic))
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        incident = db.session.scalars(select(Incident).where(Incident.source == "manual")).one()
        assert incident.external_id.startswith("M-")
        assert incident.channel_id == db.session.scalar(select(Channel.id).filter_by(code="direct_mayor"))
        assert incident.department_id == db.session.get(Topic, topic).department_id
        assert incident.first_answer_due is not None and incident.status == "new"
        assert "ленина" in incident.search_text
        assert db.session.scalars(select(Event.kind).where(Event.incident_id == incident.id)).all()[0] == "created"
        ident = incident.id
    assert f'id="incident-{ident}"' in client.get("/board").get_data(as_text=True)


def test_chosen_department_wins_over_topic(app, client, auth, make):
    auth.as_role(make, "operator")
    transport = make.department("Транспорт")
    assert form(client, topic=str(make.topic("Дороги")), department=str(transport)).status_code == 302
    with app.app_context():
        assert db.session.scalars(select(Incident.department_id)).one() == transport


def test_errors_are_russian_and_typed_values_stay(app, client, auth, make):
    auth.as_role(make, "operator")
    response = form(client, author="", url="javascript:alert(1)", text="Мусор <b>не вывезли</b> опять",
                    received_at="2099-01-01T10:00", channel="im")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in ("Укажите автора", "Ссылка должна начинаться", "не может быть в будущем", "Выберите тематику"):
        assert message in html
    assert "Мусор &lt;b&gt;не вывезли&lt;/b&gt; опять" in html
    assert 'value="javascript:alert(1)"' in html and 'value="ул. Ленина, 12"' in html
    assert "2099-01-01T10:00" in html
    with app.app_context():
        assert db.session.scalars(select(Incident)).all() == []


def test_only_operator_and_admin_may_enter(client, auth, make):
    auth.as_role(make, "head", "Дороги")
    assert client.get("/incidents/new").status_code == 403


def test_manual_entry_without_optional_fields_and_with_nul_bytes(client, auth, make, app):
    """A post missing optional fields is stored cleanly; one with a NUL byte gets a Russian 400, never a 500."""
    from conftest import csrf_from

    from mcu.extensions import db
    from mcu.models import Incident
    auth.as_role(make, "operator")
    token = csrf_from(client.get("/incidents/new").get_data(as_text=True))
    form = {"csrf_token": token, "channel": "direct_mayor", "author": " Житель ", "text": "Яма во дворе дома",
            "topic": str(make.topic("Дороги")), "received_at": "2026-01-10T10:00"}
    response = client.post("/incidents/new", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        incident = db.session.scalars(db.select(Incident).order_by(Incident.id.desc())).first()
        assert incident.text == "Яма во дворе дома" and incident.author == "Житель" and incident.platform == ""
    refused = client.post("/incidents/new", data={**form, "text": "Яма\x00 во дворе"})
    assert refused.status_code == 400
    assert "недопустимый символ" in refused.get_data(as_text=True)


def test_a_date_of_year_one_is_refused_in_russian_not_a_500(app, client, auth, make):
    auth.as_role(make, "operator")
    response = form(client, topic=str(make.topic("Дороги")), received_at="0001-01-01T00:00")
    assert response.status_code == 400
    assert "Дата поступления раньше 1970 года: проверьте год" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Incident.id).where(Incident.source == "manual")) is None


def test_a_message_of_invisible_characters_only_is_refused(app, client, auth, make):
    auth.as_role(make, "operator")
    response = form(client, topic=str(make.topic("Дороги")), text="\u200b\u200b\u200b\u200b\u200b\u2060")
    assert response.status_code == 400
    assert "В тексте нет ни одной видимой буквы или цифры" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Incident.id).where(Incident.source == "manual")) is None
