"""A big file is read and stored by a job (RQ, run here on the test Redis) while its page shows the progress and
offers «Отменить»; the file is parsed once whatever the preview and the confirmation do; a full disk or a missing
queue is said in words, with nothing half-written left behind and nothing else lost."""
import errno
import re

import pytest
from conftest import csrf_from
from importtools import HEADERS, csv_bytes, notices, post_file, rows, xlsx_bytes
from openpyxl.worksheet._reader import WorkSheetParser
from rq import SimpleWorker
from rq.job import Job, JobStatus
from sqlalchemy import func, select
from werkzeug.wrappers import request as werkzeug_request

from mcu import files
from mcu import queue as mcu_queue
from mcu.extensions import db
from mcu.imports import service, uploads
from mcu.imports import table as table_module
from mcu.models import Incident

POLL = {"HX-Request": "true", "X-MCU-Background": "1"}  # what the page's every-second poll sends


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path, monkeypatch):
    """Each test's uploads in a folder of its own."""
    folder = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(folder))
    return folder


@pytest.fixture
def big(app, monkeypatch):
    """Files over 1 KB count as big (read by a job), and jobs work 1,000 rows at a time."""
    monkeypatch.setitem(app.config, "IMPORT_BACKGROUND_BYTES", 1024)
    monkeypatch.setitem(app.config, "IMPORT_CHUNK_ROWS", 1000)


def work(conn):
    SimpleWorker([mcu_queue.QUEUE_NAME], connection=conn).work(burst=True)


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Incident.id)))


def progress_of(html: str) -> str:
    """The progress block as a person reads it: the bar's percent and the count line."""
    percent = re.search(r'<progress max="100" value="(\d+)"', html)
    count = re.search(r'<p class="import-count"[^>]*>(.*?)</p>', html, re.DOTALL)
    return f"{percent.group(1) if percent else '-'}% {count.group(1).strip() if count else ''}"


class Watcher:
    """Reads the upload's page as the browser's poll does each time the job writes its progress; `then` may act
    (e.g. press «Отменить») at a given moment."""

    def __init__(self, client, location, monkeypatch, then=None):
        self.seen: list[str] = []
        write = uploads.Folder.save

        def save(folder, upload):
            write(folder, upload)
            if upload.step in service.RUNNING:
                answer = client.get(location, headers=POLL)
                assert answer.status_code == 200
                self.seen.append(progress_of(answer.get_data(as_text=True)))
                if then:
                    then(upload)
        monkeypatch.setattr(uploads.Folder, "save", save)


def files_left(folder) -> list[str]:
    return sorted(p.suffix for p in folder.glob("*")) if folder.exists() else []


def test_a_big_file_is_read_and_stored_by_a_job_showing_its_progress(app, client, auth, make, redis_conn, big,
                                                                       monkeypatch, upload_dir):
    auth.as_role(make, "operator")
    response = post_file(client, csv_bytes(3500), "год.csv")
    assert response.status_code == 303
    location = response.headers["Location"]
    page = client.get(location).get_data(as_text=True)
    assert "Проверка файла" in page and "В очереди" in page and "Отменить" in page
    assert 'hx-trigger="every 1s"' in page and "X-MCU-Background" in page
    watcher = Watcher(client, location, monkeypatch)
    work(redis_conn)
    assert any(re.fullmatch(r"\d\d?% Прочитано строк: 1\u202f000 из ≈ \d\u202f\d{3}", seen)
               for seen in watcher.seen), watcher.seen  # the total is estimated from how much of the file is read
    assert any(seen.startswith(tuple(f"{p}% Прочитано строк: 3\u202f000" for p in range(50, 100)))
               for seen in watcher.seen), watcher.seen
    assert client.get(location, headers=POLL).headers["HX-Redirect"] == location  # the poll hands over
    preview = client.get(location).get_data(as_text=True)
    assert "Строк с данными: 3\u202f500, готовы к импорту: 3\u202f500, с ошибками: 0." in preview
    assert stored(app) == 0

    confirm = client.post(location, data={"csrf_token": csrf_from(preview)})
    assert confirm.status_code == 303
    watcher.seen.clear()
    assert "Сохранено записей: 0 из 3\u202f500" in client.get(location).get_data(as_text=True)
    work(redis_conn)
    assert watcher.seen == ["0% Сохранено записей: 0 из 3\u202f500", "29% Сохранено записей: 1\u202f000 из 3\u202f500",
                            "57% Сохранено записей: 2\u202f000 из 3\u202f500",
                            "86% Сохранено записей: 3\u202f000 из 3\u202f500"]
    result = client.get(location).get_data(as_text=True)
    assert "Создано: 3\u202f500, обновлено: 0, без изменений: 0, строк с ошибками: 0." in result
    assert stored(app) == 3500
    assert files_left(upload_dir) == [".json"]  # the result stays for the page, the file and its records are gone


def test_cancel_stops_the_job_and_keeps_what_was_stored(app, client, auth, make, redis_conn, big, monkeypatch,
                                                       upload_dir):
    auth.as_role(make, "operator")
    location = post_file(client, csv_bytes(3500), "год.csv").headers["Location"]
    work(redis_conn)
    token = csrf_from(client.get(location).get_data(as_text=True))
    client.post(location, data={"csrf_token": token})
    answers = []

    def press_cancel(upload):
        if upload.step == "storing" and upload.stored == 1000 and not answers:
            answers.append(client.post(location + "/cancel", data={"csrf_token": token}))
            assert "Отменяется" in client.get(location).get_data(as_text=True)
    Watcher(client, location, monkeypatch, then=press_cancel)
    work(redis_conn)
    assert answers[0].status_code == 303
    page = client.get(location)
    assert ("Импорт остановлен: сохранено записей 1\u202f000 из 3\u202f500 (создано: 1\u202f000, обновлено: 0, "
            "без изменений: 0); остальные не сохранены.") in notices(page)
    assert stored(app) == 1000  # the chunk stored before «Отменить» stays; nothing after it
    assert files_left(upload_dir) == [".json"]
    job = Job.fetch(f"import-store-{location.rsplit('/', 1)[1]}", connection=redis_conn)
    assert job.get_status() == JobStatus.FINISHED  # a cancel is not a failure: nothing to retry


def test_cancelling_a_queued_import_means_its_job_never_runs(app, client, auth, make, redis_conn, big, upload_dir):
    auth.as_role(make, "operator")
    location = post_file(client, csv_bytes(3500), "год.csv").headers["Location"]
    token = csrf_from(client.get(location).get_data(as_text=True))
    assert client.post(location + "/cancel", data={"csrf_token": token}).status_code == 303
    assert "Проверка файла отменена, ничего не сохранено." in notices(client.get(location))
    job = Job.fetch(f"import-parse-{location.rsplit('/', 1)[1]}", connection=redis_conn)
    assert job.get_status() == JobStatus.CANCELED
    work(redis_conn)
    assert stored(app) == 0 and files_left(upload_dir) == [".json"]


class HalfWritten:
    """A file on a disk that fills up halfway through the first write."""

    def __init__(self, file):
        self.file = file

    def write(self, data):
        self.file.write(data[:len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    def __getattr__(self, name):
        return getattr(self.file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.file.close()


def fill_disk(monkeypatch, where: str) -> None:
    """Make the disk full for one kind of write: werkzeug spooling the request, or one of the upload's files."""
    if where == "spool":
        spool = werkzeug_request.default_stream_factory
        monkeypatch.setattr(werkzeug_request, "default_stream_factory", lambda **kw: HalfWritten(spool(**kw)))
        return

    def full_open(path, mode="r", *args, **kwargs):
        opened = open(path, mode, *args, **kwargs)  # noqa: SIM115 -- closed by whoever writes it
        return HalfWritten(opened) if "w" in mode and f"{where}." in str(path) else opened
    monkeypatch.setattr(files, "open", full_open, raising=False)  # every upload file is written by mcu.files


@pytest.mark.parametrize("where", ["spool", ".data", ".rows"],
                         ids=["spooling-the-request", "writing-the-upload", "writing-the-parsed-records"])
def test_a_full_disk_answers_503_in_russian_and_leaves_nothing_behind(app, client, auth, make, monkeypatch,
                                                                     upload_dir, where):
    auth.as_role(make, "operator")
    earlier = post_file(client, csv_bytes(3), "вчера.csv").headers["Location"]  # waits for confirmation
    before = sorted(p.name for p in upload_dir.glob("*"))
    fill_disk(monkeypatch, where)
    response = post_file(client, csv_bytes(50_000 if where == "spool" else 50), "сегодня.csv")  # spooled past 500 KB
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "300"
    assert "На сервере закончилось место для файлов: файл не сохранён." in notices(response)
    assert sorted(p.name for p in upload_dir.glob("*")) == before  # no half file, no temporary, nothing else lost
    assert stored(app) == 0
    monkeypatch.undo()
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(upload_dir))
    token = csrf_from(client.get(earlier).get_data(as_text=True))
    assert "Создано: 3" in client.post(earlier, data={"csrf_token": token}, follow_redirects=True).get_data(True)


def test_a_full_disk_in_a_job_is_said_on_the_page_and_leaves_nothing_behind(app, client, auth, make, redis_conn, big,
                                                                            monkeypatch, upload_dir):
    auth.as_role(make, "operator")
    location = post_file(client, csv_bytes(3500), "год.csv").headers["Location"]
    fill_disk(monkeypatch, ".rows")
    work(redis_conn)
    job = Job.fetch(f"import-parse-{location.rsplit('/', 1)[1]}", connection=redis_conn)
    assert job.get_status() == JobStatus.FAILED  # raised, so RQ records it
    assert "На сервере закончилось место для файлов: файл не обработан." in notices(client.get(location))
    assert files_left(upload_dir) == [".json"]


@pytest.mark.parametrize("size", ["small", "big"])
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_preview_and_confirm_read_the_parse_not_the_file(app, client, auth, make, redis_conn, monkeypatch, size, kind):
    if size == "big":
        monkeypatch.setitem(app.config, "IMPORT_BACKGROUND_BYTES", 1024)
    opened, sheet_passes = [], []
    real = table_module.opened
    monkeypatch.setattr(table_module, "opened", lambda *args, **kw: opened.append(args) or real(*args, **kw))
    for name in ("parse", "parse_dimensions"):  # openpyxl's passes over a sheet: one, to read its rows
        method = getattr(WorkSheetParser, name)
        monkeypatch.setattr(WorkSheetParser, name,
                            lambda parser, method=method, name=name: sheet_passes.append(name) or method(parser))
    auth.as_role(make, "operator")
    data = csv_bytes(40) if kind == "csv" else xlsx_bytes([HEADERS, *rows(40)])  # an XLSX without <dimension>
    location = post_file(client, data, f"месяц.{kind}").headers["Location"]
    work(redis_conn)
    for _ in range(3):
        preview = client.get(location).get_data(as_text=True)
        assert "готовы к импорту: 40" in preview
    client.post(location, data={"csrf_token": csrf_from(preview)})
    work(redis_conn)
    for _ in range(2):
        assert "Создано: 40" in client.get(location).get_data(as_text=True)
    assert len(opened) == 1
    assert sheet_passes == ([] if kind == "csv" else ["parse"])
    assert stored(app) == 40


def test_without_the_queue_a_big_file_is_refused_in_words_and_a_small_one_still_imports(
        app, client, auth, make, redis_conn, big, monkeypatch, upload_dir):
    auth.as_role(make, "operator")
    parsed = post_file(client, csv_bytes(100, prefix="B"), "большой.csv").headers["Location"]
    work(redis_conn)  # read while the queue was up: waits for confirmation
    queue_url = app.config["REDIS_URL"]
    monkeypatch.setitem(app.config, "REDIS_URL", "unix:///nonexistent/redis.sock")
    refused = post_file(client, csv_bytes(100), "ещё-большой.csv")
    assert refused.status_code == 503 and refused.headers["Retry-After"] == "60"
    assert "Очередь фоновых задач недоступна" in notices(refused)
    assert sorted(p.name.split(".")[0] for p in upload_dir.glob("*")) == [parsed.rsplit("/", 1)[1]] * 3
    small = post_file(client, csv_bytes(5, prefix="S"), "малый.csv")
    assert small.status_code == 303
    token = csrf_from(client.get(small.headers["Location"]).get_data(as_text=True))
    assert "Создано: 5" in client.post(small.headers["Location"], data={"csrf_token": token},
                                       follow_redirects=True).get_data(as_text=True)
    held = client.post(parsed, data={"csrf_token": token})  # the big one must wait for the queue...
    assert held.status_code == 503 and "Очередь фоновых задач недоступна" in notices(held)
    assert "готовы к импорту: 100" in held.get_data(as_text=True)  # ...on its preview: nothing is lost
    monkeypatch.setitem(app.config, "REDIS_URL", queue_url)
    assert client.post(parsed, data={"csrf_token": token}).status_code == 303
    work(redis_conn)
    assert stored(app) == 105
