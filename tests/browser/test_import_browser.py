"""The import page in a real browser: a big file is read and stored by a job while the progress bar moves under
the person's eyes, and «Отменить» stops it, keeping what was already stored."""
import threading

from importtools import csv_bytes
from playwright.sync_api import expect
from rq import SimpleWorker
from rq.timeouts import TimerDeathPenalty
from sqlalchemy import func, select

from mcu import queue as mcu_queue
from mcu.extensions import db
from mcu.imports import uploads
from mcu.models import Incident


class ThreadWorker(SimpleWorker):
    """An RQ worker that runs in a thread beside the browser: no signal handlers, a timer for job timeouts."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self):
        pass


def work_in_thread(conn) -> threading.Thread:
    thread = threading.Thread(target=lambda: ThreadWorker([mcu_queue.QUEUE_NAME], connection=conn).work(burst=True),
                              name="rq-worker", daemon=True)
    thread.start()
    return thread


def test_the_progress_bar_moves_and_cancel_stops_the_import(app, make, desktop_page, sign_in, redis_conn,
                                                           monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(tmp_path / "uploads"))
    monkeypatch.setitem(app.config, "IMPORT_BACKGROUND_BYTES", 1024)  # a 190 KB file is big here
    monkeypatch.setitem(app.config, "IMPORT_CHUNK_ROWS", 1000)
    paused, resume = threading.Event(), threading.Event()
    write = uploads.Folder.save

    def save(folder, upload):  # the job waits once it has said «1 000 из 3 500», so the browser can see it
        write(folder, upload)
        if upload.step == "storing" and upload.stored == 1000 and threading.current_thread().name == "rq-worker":
            paused.set()
            resume.wait(30)
    monkeypatch.setattr(uploads.Folder, "save", save)

    page = desktop_page
    sign_in(page, "operator")
    page.goto("/import/")
    page.locator("#import-file").set_input_files(
        files=[{"name": "год.csv", "mimeType": "text/csv", "buffer": csv_bytes(3500)}])
    page.get_by_role("button", name="Проверить файл").click()
    expect(page.locator("#import-progress")).to_contain_text("В очереди")
    work_in_thread(redis_conn).join(60)
    confirm = page.get_by_role("button", name="Импортировать 3\u202f500")
    expect(confirm).to_be_visible()  # the poll saw the job end and brought the preview...
    expect(page.locator("header.topbar")).to_have_count(1)  # ...as a page of its own, not inside the old one
    expect(page.locator("#import-progress")).to_have_count(0)
    confirm.click()
    expect(page.locator("#import-progress")).to_contain_text("Сохранение на доску")
    worker = work_in_thread(redis_conn)
    assert paused.wait(30)
    expect(page.locator(".import-count")).to_have_text("Сохранено записей: 1\u202f000 из 3\u202f500")
    expect(page.locator("#import-progress progress")).to_have_attribute("value", "29")
    page.get_by_role("button", name="Отменить").click()
    expect(page.locator("#import-progress")).to_contain_text("Отменяется")
    resume.set()
    worker.join(60)
    expect(page.locator(".notice")).to_contain_text(
        "Импорт остановлен: сохранено записей 1\u202f000 из 3\u202f500")  # the poll brought the end
    with app.app_context():
        assert db.session.scalar(select(func.count(Incident.id))) == 1000
    page.watch.assert_clean()


def test_the_preview_asks_what_each_unknown_name_is(app, make, desktop_page, sign_in, monkeypatch, tmp_path):
    """A channel and a status the reference does not know: the form cannot be sent until each is chosen, and the
    choices are what gets stored."""
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(tmp_path / "uploads"))
    data = ("ID;Дата поступления;Канал;Текст;Статус\n"
            "P-1;01.12.2026 09:00;Паблики Хабаровска;Яма у школы;Новое\n"
            "P-2;01.12.2026 09:05;Паблики Хабаровска;Яма во дворе;Непонятно\n").encode()
    page = desktop_page
    sign_in(page, "operator")
    page.goto("/import/")
    page.locator("#import-file").set_input_files(files=[{"name": "паблики.csv", "mimeType": "text/csv",
                                                         "buffer": data}])
    page.get_by_role("button", name="Проверить файл").click()
    channel = page.get_by_label("Что делать со значением «Паблики Хабаровска»")
    status = page.get_by_label("Что делать со значением «Непонятно»")
    expect(page.locator("table[data-field=channel] tbody td").nth(1)).to_have_text("2")
    expect(channel).to_have_value("")  # nothing chosen for the operator
    confirm = page.get_by_role("button", name="Импортировать 2")
    confirm.click()  # nothing chosen: the browser keeps the form (the server would refuse it too)
    expect(page.locator("#import-mapping-title")).to_be_visible()
    channel.select_option(label="Сообщения в пабликах")
    status.select_option(label="пропустить эти строки")
    confirm.click()
    expect(page.locator(".notice")).to_contain_text("Создано: 1")
    expect(page.get_by_text("Пропущено по вашему выбору строк: 1.")).to_be_visible()
    with app.app_context():
        assert [i.channel.code for i in db.session.scalars(select(Incident))] == ["public"]
    page.watch.assert_clean()
