"""Notifications as people get them: in the app (the bell, the «Уведомления» page), by e-mail (a local SMTP
server) and in Telegram (a local stand-in for the Bot API); quiet hours hold a message until the next working
morning; a failed message is tried again and logged, and nothing is sent twice; messages carry the card's link
and none of the citizen's personal data; a chat is linked by a one-time code from the «Профиль» page."""
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import csrf_from
from standins import Mailbox, TelegramStandIn

from mcu import escalation
from mcu.extensions import db
from mcu.models import Incident, Notification, NotificationSettings
from mcu.notifications import sending, telegram
from mcu.notifications.channels import DeliveryError

CITY = ZoneInfo("Asia/Vladivostok")
BASE = "https://mcu.example.ru/board-app"


@pytest.fixture
def mailbox(app, monkeypatch):
    box = Mailbox()
    monkeypatch.setitem(app.config, "SMTP_HOST", "127.0.0.1")
    monkeypatch.setitem(app.config, "SMTP_PORT", box.port)
    monkeypatch.setitem(app.config, "BASE_URL", BASE)
    yield box
    box.close()


@pytest.fixture
def bot(app, monkeypatch):
    stand_in = TelegramStandIn()
    monkeypatch.setitem(app.config, "TELEGRAM_BOT_TOKEN", stand_in.TOKEN)
    monkeypatch.setitem(app.config, "TELEGRAM_API_URL", stand_in.url)
    monkeypatch.setitem(app.config, "BASE_URL", BASE)
    yield stand_in
    stand_in.close()


def choose(app, user_id, email="", chat="", quiet=False, digest=False, channels=("app", "email", "telegram")):
    """A person's saved choices: these channels for every event."""
    with app.app_context():
        db.session.merge(NotificationSettings(
            user_id=user_id, email=email, telegram_chat_id=chat, telegram_code="", quiet_hours=quiet, digest=digest,
            channels={e: list(channels) for e in ("new_incident", "assigned", "overdue", "escalated", "returned")}))
        db.session.commit()


def sweep(app, now):
    with app.app_context():
        return escalation.sweep(now, app.config, CITY)


def deliver(app, groups, now):
    """Run the sending jobs the sweep asked for, here; failures are what RQ would retry."""
    failed = []
    with app.app_context():
        for ids in groups:
            try:
                sending.deliver(ids, now, app.config, CITY)
            except DeliveryError as exc:
                failed.append(str(exc))
    return failed


def rows(app, **where):
    with app.app_context():
        return db.session.execute(db.select(Notification.event, Notification.channel, Notification.state,
                                            Notification.user_id).filter_by(**where)
                                  .order_by(Notification.id)).all()


HOSTILE = {"author": "Иванов Иван Петрович", "address": "ул. Ленина, 5, кв. 12",
           "text": "Звоните +7 914 555-12-34 или пишите ivanov@mail.ru, Иванов Иван Петрович, кв. 12"}


def test_email_and_telegram_carry_the_cards_link_and_no_personal_data(app, make, mailbox, bot):
    head = make.user("head", "Дороги")
    choose(app, head, email="head@city.example", chat="777")
    now = datetime.now(UTC)
    card = make.incident(first_answer_due=now - timedelta(minutes=5), **HOSTILE)
    assert deliver(app, sweep(app, now), now) == []
    mail, chat = mailbox.texts("head@city.example"), bot.texts("777")
    assert len(mail) == 1 and len(chat) == 1
    for text in (mail[0], chat[0]):
        assert f"Сообщение №{card} просрочено" in text
        assert f"{BASE}/incidents/{card}" in text
        assert "Тематика: Дороги" in text and "Подразделение: Управление дорог и внешнего благоустройства" in text
        for secret in ("914", "555-12-34", "ivanov", "Иванов", "Ленина", "кв. 12", "Звоните"):
            assert secret not in text, secret


def test_quiet_hours_hold_an_email_until_the_next_working_morning(app, make, mailbox):
    quiet, awake = make.user("head", "Дороги"), make.user("head", "Дороги")
    choose(app, quiet, email="quiet@city.example", quiet=True, channels=("email",))
    choose(app, awake, email="awake@city.example", quiet=False, channels=("email",))
    make.incident(first_answer_due=datetime(2026, 12, 5, 10, 0, tzinfo=CITY))  # a Saturday
    saturday_night = datetime(2026, 12, 5, 20, 0, tzinfo=CITY)
    assert deliver(app, sweep(app, saturday_night), saturday_night) == []
    assert len(mailbox.texts("awake@city.example")) == 1 and mailbox.texts("quiet@city.example") == []
    with app.app_context():
        held = db.session.scalar(db.select(Notification).filter_by(user_id=quiet))
        assert held.state == "pending" and held.due_at == datetime(2026, 12, 7, 9, 0, tzinfo=CITY)
    monday_early = datetime(2026, 12, 7, 8, 59, tzinfo=CITY)
    assert sweep(app, monday_early) == []
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=CITY)
    assert deliver(app, sweep(app, monday), monday) == []
    assert len(mailbox.texts("quiet@city.example")) == 1 and len(mailbox.texts("awake@city.example")) == 1


def test_a_failed_message_is_tried_again_logged_and_never_sent_twice(app, client, auth, make, bot):
    head = auth.as_role(make, "head", "Дороги")
    choose(app, head, chat="555", channels=("telegram",))
    now = datetime.now(UTC)
    card = make.incident(first_answer_due=now - timedelta(minutes=5))
    bot.fail_next = 1
    groups = sweep(app, now)
    assert len(groups) == 1
    assert deliver(app, groups, now) == ["Telegram 500: Internal Server Error"]
    assert rows(app, user_id=head) == [("overdue", "telegram", "retry", head)]
    assert deliver(app, groups, now + timedelta(minutes=1)) == []  # RQ's retry
    assert deliver(app, groups, now + timedelta(minutes=2)) == []  # a stray third run claims nothing
    assert bot.texts("555") == [bot.texts("555")[0]] and f"№{card}" in bot.texts("555")[0]
    assert rows(app, user_id=head) == [("overdue", "telegram", "sent", head)]
    page = client.get("/notifications/").get_data(as_text=True)
    assert "ошибка: Telegram 500: Internal Server Error" in page and "успешно" in page and "доставлено" in page


def test_the_last_failed_try_marks_the_message_undelivered(app, make, bot, monkeypatch):
    monkeypatch.setitem(app.config, "NOTIFY_RETRY_SECONDS", (1,))
    head = make.user("head", "Дороги")
    choose(app, head, chat="556", channels=("telegram",))
    now = datetime.now(UTC)
    make.incident(first_answer_due=now - timedelta(minutes=5))
    bot.fail_next = 5
    groups = sweep(app, now)
    assert len(deliver(app, groups, now)) == 1 and rows(app, user_id=head)[0][2] == "retry"
    assert len(deliver(app, groups, now)) == 1 and rows(app, user_id=head)[0][2] == "failed"
    assert deliver(app, groups, now) == [] and bot.sent == []


def test_history_tells_the_assignee_the_heads_of_a_new_card_and_whoever_answered_of_a_return(app, make):
    roads = make.department("Дороги")
    head, worker, operator = make.user("head", "Дороги"), make.user("field", "Дороги"), make.user("operator")
    from test_live import move, signed_in
    now = datetime.now(UTC)
    sweep(app, now)  # the first scan starts at the newest history line
    head_client, head_html = signed_in(app, make, "head", "Дороги")
    with app.app_context():
        from mcu.models import User
        acting_head = db.session.scalar(db.select(User.id).where(User.role == "head", User.id != head))
    operator_client, operator_html = signed_in(app, make, "operator")
    token = csrf_from(operator_html)
    created = operator_client.post("/incidents/new", data={
        "channel": "direct_mayor", "author": "Житель", "text": "Яма во дворе", "topic": str(make.topic("Дороги")), "department": "",
        "received_at": (now - timedelta(minutes=5)).astimezone(CITY).strftime("%Y-%m-%dT%H:%M"), "csrf_token": token})
    assert created.status_code in (302, 303), re.findall(r"(?:error|notice)[^>]*>([^<]+)", created.get_data(as_text=True))
    with app.app_context():
        card = db.session.scalar(db.select(Incident.id).order_by(Incident.id.desc()))
    token = csrf_from(head_html)
    assert head_client.post(f"/incidents/{card}/assign", data={"assignee": str(worker), "version": "1"},
                            headers={"X-CSRFToken": token}).status_code in (200, 302, 303)
    assert move(head_client, head_html, card, 2, to_status="answered", text="Отремонтируем").status_code == 200
    assert move(operator_client, operator_html, card, 3, to_status="returned", text="Ответ неполный").status_code == 200
    own = make.incident(status="in_progress")  # a head who answers and sends their own answer back is not told
    assert move(head_client, head_html, own, 1, to_status="answered", text="Сделано").status_code == 200
    assert move(head_client, head_html, own, 2, to_status="returned", text="Поправлю").status_code == 200
    sweep(app, now)
    assert rows(app, incident_id=own) == []
    assert {(e, u) for e, c, s, u in rows(app, incident_id=card)} == {
        ("new_incident", head), ("new_incident", acting_head),  # both heads of the department
        ("assigned", worker),  # not the head who assigned
        ("returned", acting_head), ("returned", worker),  # whoever answered, and the worker on it
    }
    assert all(c == "app" and s == "sent" for e, c, s, u in rows(app, incident_id=card))
    assert operator not in {u for *_x, u in rows(app, incident_id=card)} and roads


def test_a_heads_digest_brings_new_cards_in_one_message(app, make, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "DIGEST_MINUTES", 60)
    head = make.user("head", "Дороги")
    choose(app, head, email="digest@city.example", digest=True, channels=("email",))
    now = datetime(2026, 12, 1, 10, 10, tzinfo=CITY)
    sweep(app, now)
    first, second = make.incident(), make.incident()
    with app.app_context():
        from mcu.history import record
        for card in (first, second):
            record(card, "created", None, "", "new", "")
        db.session.commit()
    assert sweep(app, now) == []  # the digest's slot is at the top of the hour
    top = datetime(2026, 12, 1, 11, 0, tzinfo=CITY)
    groups = sweep(app, top)
    assert len(groups) == 1 and deliver(app, groups, top) == []
    (text,) = mailbox.texts("digest@city.example")
    assert "новых сообщений в подразделении: 2" in text
    assert f"№{first}" in text and f"№{second}" in text


def test_a_chat_is_linked_by_a_one_time_code_sent_to_the_bot(app, client, auth, make, bot):
    user = auth.as_role(make, "head", "Дороги")
    page = client.post("/profile/telegram", data={"csrf_token": csrf_from(client.get("/profile").get_data(as_text=True))})
    code = re.search(r'<strong class="telegram-code">([A-Z0-9]{8})</strong>', page.get_data(as_text=True)).group(1)
    bot.updates = [{"update_id": 40, "message": {"chat": {"id": 9001}, "text": "/start ZZZZ2222"}},
                   {"update_id": 41, "message": {"chat": {"id": 4242}, "text": f"/start {code}"}}]
    with app.app_context():
        assert telegram.link_updates(datetime.now(UTC), app.config) == 1
        assert db.session.get(NotificationSettings, user).telegram_chat_id == "4242"
        assert telegram.link_updates(datetime.now(UTC), app.config) == 0  # the code is spent
    assert bot.offsets[-1] == 42  # updates are read once
    assert "Код не подошёл" in bot.texts("9001")[0] and "Готово" in bot.texts("4242")[0]
    assert "Чат привязан." in client.get("/profile").get_data(as_text=True)


def test_the_profile_saves_channels_and_refuses_a_bad_address(app, client, auth, make):
    user = auth.as_role(make, "head", "Дороги")
    token = csrf_from(client.get("/profile").get_data(as_text=True))
    bad = client.post("/profile", data={"csrf_token": token, "email": "not-an-address", "overdue:email": "1"})
    assert bad.status_code == 400 and "Это не адрес электронной почты." in bad.get_data(as_text=True)
    assert 'value="not-an-address"' in bad.get_data(as_text=True)
    good = client.post("/profile", data={"csrf_token": token, "email": "head@city.example", "overdue:email": "1",
                                         "overdue:app": "1", "new_incident:app": "1", "digest": "1"})
    assert good.status_code == 303
    with app.app_context():
        saved = db.session.get(NotificationSettings, user)
        assert saved.email == "head@city.example" and saved.quiet_hours is False and saved.digest is True
        assert saved.channels == {"new_incident": ["app"], "overdue": ["app", "email"], "returned": []}


def test_the_bell_counts_unread_and_its_poll_is_a_204_while_nothing_changed(app, client, auth, make):
    from test_live import HX, Recorder
    head = auth.as_role(make, "head", "Дороги")
    bell = client.get("/notifications/bell", headers=HX).get_data(as_text=True)
    assert '<span class="bell-count">0</span>' in bell
    url = re.search(r'hx-get="([^"]+)"', bell).group(1).replace("&amp;", "&")
    with Recorder(app) as seen:
        idle = client.get(url, headers=HX)
    assert idle.status_code == 204 and seen.templates == [] and len(seen.statements) == 1
    now = datetime.now(UTC)
    make.incident(first_answer_due=now - timedelta(minutes=5))
    sweep(app, now)
    bell = client.get(url, headers=HX).get_data(as_text=True)
    assert '<span class="bell-count">1</span>' in bell and "bell-unread" in bell
    assert "Сообщение" not in bell
    page = client.get("/notifications/").get_data(as_text=True)
    assert "Просрочено" in page and "в приложении" in page
    client.post("/notifications/read", data={"csrf_token": csrf_from(page)})
    assert '<span class="bell-count">0</span>' in client.get(url, headers=HX).get_data(as_text=True)
    assert head
