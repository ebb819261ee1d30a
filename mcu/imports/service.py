"""Import as domain verbs (no request here): accept an upload, parse it once into records and row errors, store
them in chunks; a big file does both in a job (`mcu.jobs.import_file`) that reports progress and can be cancelled.
The same verbs serve the upload pages and `flask import`."""
import time
from datetime import UTC, datetime

from flask import current_app
from flask_babel import gettext as _
from redis.exceptions import RedisError
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus

from .. import queue as mcu_queue
from ..feeds.ingest import upsert_incidents
from ..feeds.records import RowError
from ..timefmt import city_tz
from . import limits as limits_module
from . import table as table_module
from .limits import Limits
from .mapping import Mapper
from .matching import Reference, Tally
from .table import TableError, number
from .uploads import Folder, NoSpace, Upload

SOURCE = "import"
FIRST_SHOWN = 20  # records the preview shows
ERRORS_KEPT = 200  # row errors kept for the pages (the count is always whole)
SHOWN = ("external_id", "received_at", "channel", "author", "text", "topic", "department", "status")
SHOWN_CHARS = 300
JOB = "mcu.jobs.import_file"
JOB_TIMEOUT = 3600  # seconds; 100,000 wide rows take about a minute to read and another to store
RUNNING = ("parsing", "storing")
REPORT_SECONDS = 0.5  # a job writes its progress at least this often (and once per chunk of rows)
STALE_SECONDS = 120  # a running state not updated for this long, with no job in RQ, is an orphan


class Cancelled(Exception):
    """Someone pressed «Отменить»: the job stops at the next chunk."""


class QueueDown(Exception):
    """A big file needs the job queue, and Redis does not answer."""

    def __str__(self):
        return _("Очередь фоновых задач недоступна, а большой файл обрабатывается только в ней. Попробуйте "
                 "позже или разделите файл на части до 2 МБ.")


def settings() -> tuple[Folder, Limits]:
    """The upload folder and the limits of the current app (mcu/config.py, IMPORT_*)."""
    return Folder.of(current_app.config), Limits.of(current_app.config)


def accept(stream, filename: str, user_id: int | None, folder: Folder, limits: Limits) -> Upload:
    """Keep an uploaded file and check it (size, kind, an XLSX's parts, declared rows) without parsing; a refused
    file is removed again. Says whether it is big enough to need a job."""
    token = folder.keep(stream, limits.max_bytes)
    try:
        package = limits_module.check(folder.file(token, ".data"), filename, limits)
        upload = Upload(token, filename, user_id, kind=package.kind, rows_declared=package.declared_rows,
                        background=package.work_bytes > limits.background_bytes)
        folder.save(upload)
    except BaseException:
        folder.drop(token)
        raise
    return upload


def start(folder: Folder, upload: Upload, limits: Limits) -> None:
    """Parse an accepted file now (a small one) or in a job (a big one); on any failure the upload is removed."""
    try:
        if upload.background:
            enqueue(folder, upload, "parse")
        else:
            parse(folder, upload, limits, city_tz())
    except BaseException:
        folder.drop(upload.token)
        raise


def parse(folder: Folder, upload: Upload, limits: Limits, tz, report=None) -> Upload:
    """Read the file once, row by row, into its records file and its row errors; `report(upload)` is called
    every chunk of rows (and may raise Cancelled). The parsed upload is saved; TableError if it cannot be read."""
    path = folder.file(upload.token, ".data")
    package = limits_module.check(path, upload.filename, limits)
    limits_module.scan(path, package, limits)
    upload.step = "parsing"
    tally = Tally(Reference.load(), int(current_app.config["IMPORT_MAP_MAX_VALUES"]))
    with table_module.opened(path, package.kind, limits.max_rows, package.sheet) as table, \
            folder.rows_writer(upload.token) as write:
        upload.headers, upload.columns, upload.unknown = table.headers, table.columns, table.unknown
        upload.raw_keys = list(dict.fromkeys(h or f"Столбец {i + 1}" for i, h in enumerate(table.headers)))
        next_report, last = limits.chunk_rows, time.monotonic()
        for item in table_module.records(table, tz):
            if not isinstance(item, RowError) and (wrong := tally.add(item)):
                item = RowError(item.external_id, wrong)
            if isinstance(item, RowError):
                upload.error_count += 1
                if len(upload.errors) < ERRORS_KEPT:
                    upload.errors.append([item.row, _cut(item.message)])
            else:
                write(item)
                upload.records += 1
                if len(upload.first) < FIRST_SHOWN:
                    upload.first.append({name: _cut(getattr(item, name)) for name in SHOWN})
            if report and (table.reader.rows_read >= next_report or time.monotonic() - last > REPORT_SECONDS):
                upload.rows_read, upload.fraction = table.reader.rows_read, table.reader.fraction()
                report(upload)
                next_report, last = table.reader.rows_read + limits.chunk_rows, time.monotonic()
        upload.rows_read, upload.fraction = table.reader.rows_read, 1.0
    upload.unmatched = tally.result()
    upload.step = "parsed"
    folder.save(upload)
    return upload


def _cut(value):
    """A text as the state keeps it for a page: a cell or a message may be megabytes long."""
    return value[:SHOWN_CHARS] + "…" if isinstance(value, str) and len(value) > SHOWN_CHARS else value


def first_records(upload: Upload) -> list[dict]:
    """The records the preview shows, their received time as a datetime again."""
    return [{**shown, "received_at": _moment(shown["received_at"])} for shown in upload.first]


def _moment(value) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def store(folder: Folder, upload: Upload, limits: Limits, report=None, source: str = SOURCE,
          default_channel: str = "im") -> Upload:
    """Store the parsed records through ingestion, one transaction per chunk; `report(upload)` before each chunk
    (it may raise Cancelled: what is stored stays). The stored upload's files are removed, its state kept."""
    upload.step = "storing"
    upload.stored = upload.created = upload.updated = upload.unchanged = upload.store_error_count = 0
    upload.skipped, upload.store_errors = 0, []
    mapper = Mapper.prepare(upload.unmatched, upload.mapping, datetime.now(UTC))
    upload.made = mapper.created
    for chunk in folder.rows(upload.token, upload.raw_keys, limits.chunk_rows):
        if report:  # before each chunk: a cancel asked meanwhile stores nothing more
            report(upload)
        records, skipped, unmapped = mapper.apply(chunk)
        result = upsert_incidents(records, source, default_channel=default_channel)
        upload.stored += len(chunk)
        upload.skipped += skipped
        upload.created += result.created
        upload.updated += result.updated
        upload.unchanged += result.unchanged
        errors = [(row, message) for row, message in unmapped] + [(e.row, e.message) for e in result.errors]
        upload.store_error_count += len(errors)
        room = max(ERRORS_KEPT - len(upload.store_errors), 0)
        upload.store_errors.extend([_cut(row), _cut(message)] for row, message in errors[:room])
        upload.fraction = upload.stored / max(upload.records, 1)
    upload.step = "done"
    folder.save(upload)
    folder.drop(upload.token, keep_state=True)
    return upload


def enqueue(folder: Folder, upload: Upload, step: str) -> None:
    """Hand a step ("parse" or "store") of a big file to the job queue; QueueDown when Redis does not answer."""
    try:  # a ping bounded like the queue badge's: an absent Redis is told at once, not after a connect timeout
        mcu_queue.connect(current_app, mcu_queue.PROBE_TIMEOUT).ping()
    except (RedisError, OSError):
        raise QueueDown() from None
    upload.step = "parsing" if step == "parse" else "storing"
    upload.job_id = f"import-{step}-{upload.token}"
    upload.fraction = 0.0
    folder.save(upload)
    try:
        connection = mcu_queue.connect(current_app, mcu_queue.PROBE_TIMEOUT * 10)
        mcu_queue.queue(current_app, connection).enqueue(
            JOB, upload.token, step, job_id=upload.job_id, job_timeout=JOB_TIMEOUT, result_ttl=86400,
            failure_ttl=7 * 86400, description=f"import {step} of {upload.filename!r}")
    except (RedisError, OSError):
        upload.step = "received" if step == "parse" else "parsed"
        folder.save(upload)
        raise QueueDown() from None


def job_state(folder: Folder, upload: Upload) -> str:
    """How a running upload's job stands, for its page: "queued", "running", "dead" (its worker died or Redis
    lost it without the job recording an end) or "unknown" (Redis does not answer)."""
    try:
        connection = mcu_queue.connect(current_app, mcu_queue.PROBE_TIMEOUT * 10)
        status = Job.fetch(upload.job_id, connection=connection).get_status()
    except NoSuchJobError:
        status = None
    except (RedisError, OSError):
        return "unknown"
    if status in (JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED):
        return "queued"
    if status == JobStatus.STARTED:
        return "running"
    # the job records its own end before it finishes; a state that still says "running" a while after is orphaned
    age = time.time() - folder.file(upload.token, ".json").stat().st_mtime
    return "dead" if age > STALE_SECONDS else "running"


def cancel(folder: Folder, upload: Upload) -> None:
    """Stop an import: a queued job never runs (and is cleaned up here), a running one stops at its next chunk,
    keeping what it stored; a file waiting for confirmation is simply removed."""
    if upload.step not in RUNNING:
        folder.drop(upload.token)
        return
    folder.ask_cancel(upload.token)  # first: a job that starts from now on sees it and stops
    try:
        connection = mcu_queue.connect(current_app, mcu_queue.PROBE_TIMEOUT * 10)
        job = Job.fetch(upload.job_id, connection=connection)
        if job.get_status() == JobStatus.STARTED:
            return  # the job stops itself at its next chunk and records how far it got
        job.cancel()
    except (NoSuchJobError, InvalidJobOperation):
        pass
    except (RedisError, OSError):
        return  # the flag stays: the job, should it run, stops at once
    fresh = folder.load(upload.token)
    if fresh is not None and fresh.step in RUNNING:  # not ended by itself meanwhile
        finish_cancelled(folder, fresh)


def finish_cancelled(folder: Folder, upload: Upload) -> None:
    """Record how a cancelled import ended and remove its files."""
    if upload.step == "storing":
        upload.message = _("Импорт остановлен: сохранено записей %(n)s из %(total)s (создано: %(c)s, обновлено: "
                           "%(u)s, без изменений: %(s)s); остальные не сохранены.",
                           n=number(upload.stored), total=number(upload.records), c=number(upload.created),
                           u=number(upload.updated), s=number(upload.unchanged))
    else:
        upload.message = _("Проверка файла отменена, ничего не сохранено.")
    upload.step = "cancelled"
    folder.save(upload)
    folder.drop(upload.token, keep_state=True)


def run_step(token: str, step: str) -> str:
    """The job: parse or store one upload with progress, stopping when cancelled; a file that cannot be read is
    refused on its page; any other failure is written on the page and raised, so RQ records it."""
    folder, limits = settings()
    upload = folder.load(token)
    if upload is None or upload.step not in RUNNING:
        return f"import {token[:8]}…: nothing to do"
    if folder.cancel_asked(token):
        finish_cancelled(folder, upload)
        return f"import {token[:8]}…: cancelled before it started"

    def report(progress: Upload) -> None:
        folder.save(progress)
        if folder.cancel_asked(token):
            raise Cancelled()

    try:
        if step == "parse":
            parse(folder, upload, limits, city_tz(), report)
            return f"import {token[:8]}…: parsed {upload.records} records, {upload.error_count} row errors"
        store(folder, upload, limits, report)
        return f"import {token[:8]}…: stored {upload.stored} records"
    except Cancelled:
        finish_cancelled(folder, upload)
        return f"import {token[:8]}…: cancelled"
    except TableError as exc:
        upload.step, upload.message = "refused", str(exc)
        folder.save(upload)
        folder.drop(token, keep_state=True)
        return f"import {token[:8]}…: refused: {exc}"
    except NoSpace:
        fail(folder, upload, _("На сервере закончилось место для файлов: файл не обработан. Попробуйте позже."))
        raise
    except Exception:
        fail(folder, upload, _("Не удалось обработать файл: ошибка на сервере. Попробуйте ещё раз позже."))
        raise


def fail(folder: Folder, upload: Upload, message: str) -> None:
    """Record a failure on the upload's page; a parse starts again from the upload, a store may be repeated."""
    upload.message = message
    upload.step = "failed"
    folder.save(upload)
    if not can_store_again(folder, upload):
        folder.drop(upload.token, keep_state=True)


def can_store_again(folder: Folder, upload: Upload) -> bool:
    """A parsed file waits for confirmation; a failed store may be repeated (ingestion stores nothing twice)."""
    return upload.step == "parsed" or (upload.step == "failed" and upload.records > 0
                                       and folder.file(upload.token, ".rows").exists())
