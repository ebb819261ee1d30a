"""Where uploads wait between the steps of an import (IMPORT_UPLOAD_DIR: one folder for the web and the workers).
Per upload, under a random token: the file as sent (`.data`), its state (`.json`: who sent what and how far its
import has got), its records once parsed (`.rows`, JSON lines) and, while a job runs, a cancel flag (`.cancel`).
Every file is written to a temporary name and renamed into place, so a reader never sees half of one and a full
disk or a crash leaves nothing under a real name; files older than a day are swept away."""
import dataclasses
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import orjson

from ..feeds.records import Record
from ..files import NoSpace, atomic_file  # noqa: F401  (NoSpace: the views catch uploads.NoSpace)

TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
KEEP_SECONDS = 24 * 3600
COPY_CHUNK = 1024 * 1024
CHUNK_BYTES = 4 * 1024 * 1024  # records stored in one transaction: a chunk's memory is about 10x their JSON
SUFFIXES = (".data", ".json", ".rows", ".cancel")
RECORD_FIELDS = tuple(f.name for f in dataclasses.fields(Record) if f.name != "raw")
DATE_FIELDS = {"received_at", "answered_at", "updated_at"}


class TooBig(Exception):
    """The upload is larger than IMPORT_MAX_BYTES: nothing was kept."""


@dataclass
class Upload:
    """An upload's state: who sent which file, and how far its import has got (kept beside it as JSON)."""

    token: str
    filename: str
    user_id: int | None
    kind: str = ""
    background: bool = False  # parsed and stored by a job (with progress), not in the request
    step: str = "received"  # received → parsing → parsed → storing → done; or refused, cancelled, failed
    job_id: str | None = None
    rows_read: int = 0
    rows_declared: int | None = None  # the XLSX sheet's <dimension>, when it has one
    fraction: float = 0.0  # of the file read (parsing) or of the records stored (storing)
    headers: list = field(default_factory=list)
    columns: dict = field(default_factory=dict)  # our field -> column index
    unknown: list = field(default_factory=list)
    raw_keys: list = field(default_factory=list)  # the keys of every record's raw dict, in order
    records: int = 0  # rows read into records
    first: list = field(default_factory=list)  # the first records as the preview shows them (texts cut)
    errors: list = field(default_factory=list)  # the first rows that could not be read, as [row, message]
    error_count: int = 0
    unmatched: dict = field(default_factory=dict)  # names the reference does not know: {field: [[name, rows]]}
    mapping: dict = field(default_factory=dict)  # what was chosen for them: {field: {normal form: choice}}
    stored: int = 0  # records handed to the database so far
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # rows left out by the operator's choice («пропустить строки»)
    made: list = field(default_factory=list)  # reference values this import created, as [field, name, note]
    store_errors: list = field(default_factory=list)  # the first records ingestion refused, as [id, message]
    store_error_count: int = 0
    message: str = ""  # why it was refused, failed or stopped (Russian, for the page)


class Folder:
    """The upload folder: paths by token, atomic writes, the state, the parsed records and the cancel flag."""

    def __init__(self, path):
        self.path = Path(path)

    @classmethod
    def of(cls, config) -> "Folder":
        return cls(config["IMPORT_UPLOAD_DIR"])

    def file(self, token: str, suffix: str) -> Path:
        return self.path / f"{token}{suffix}"

    @contextmanager
    def _writing(self, target: Path, mode: str = "wb"):
        """A file of this folder written whole or not at all (a full disk becomes NoSpace)."""
        with atomic_file(target, mode) as out:
            yield out

    def keep(self, stream, max_bytes: int) -> str:
        """Copy an uploaded stream into the folder under a new token, in chunks; TooBig past `max_bytes`."""
        self.sweep()
        token = secrets.token_urlsafe(24)
        with self._writing(self.file(token, ".data")) as out:
            size = 0
            while chunk := stream.read(COPY_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    raise TooBig()
                out.write(chunk)
        return token

    def sweep(self) -> None:
        """Remove files older than a day (uploads never confirmed, results nobody came back for, leftovers)."""
        cutoff = time.time() - KEEP_SECONDS
        for old in self.path.glob("*") if self.path.is_dir() else ():
            try:  # another process may be clearing the same folder
                if old.stat().st_mtime < cutoff:
                    old.unlink(missing_ok=True)
            except FileNotFoundError:
                continue

    def save(self, upload: Upload) -> None:
        with self._writing(self.file(upload.token, ".json")) as out:
            out.write(orjson.dumps(upload))

    def load(self, token: str) -> Upload | None:
        """The upload's state, or None for an unknown or malformed token."""
        if not TOKEN.match(token or ""):
            return None
        try:
            return Upload(**orjson.loads(self.file(token, ".json").read_bytes()))
        except (OSError, ValueError, TypeError):
            return None

    def drop(self, token: str, keep_state: bool = False) -> None:
        """Remove the upload's files (all but its state, when the page still has to show how it ended)."""
        if TOKEN.match(token or ""):
            for suffix in SUFFIXES:
                if not (keep_state and suffix == ".json"):
                    self.file(token, suffix).unlink(missing_ok=True)

    def ask_cancel(self, token: str) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        self.file(token, ".cancel").touch()

    def cancel_asked(self, token: str) -> bool:
        return self.file(token, ".cancel").exists()

    @contextmanager
    def rows_writer(self, token: str):
        """A function that appends one record to the upload's parsed records; the file appears when complete."""
        with self._writing(self.file(token, ".rows")) as out:
            yield lambda record: out.write(encode(record) + b"\n")

    def rows(self, token: str, raw_keys: list, chunk: int, chunk_bytes: int = CHUNK_BYTES) -> Iterator[list[Record]]:
        """The parsed records, `chunk` at a time, or fewer when they hold more than `chunk_bytes` (long texts)."""
        batch, size = [], 0
        with open(self.file(token, ".rows"), "rb") as source:
            for line in source:
                batch.append(decode(orjson.loads(line), raw_keys))
                size += len(line)
                if len(batch) == chunk or size >= chunk_bytes:
                    yield batch
                    batch, size = [], 0
        if batch:
            yield batch


def encode(record: Record) -> bytes:
    """A record as one compact JSON array: its fields in order, then its raw values (keys are kept once)."""
    return orjson.dumps([*(getattr(record, name) for name in RECORD_FIELDS), list(record.raw.values())])


def decode(values: list, raw_keys: list) -> Record:
    fields = dict(zip(RECORD_FIELDS, values, strict=False))
    for name in DATE_FIELDS:
        if isinstance(fields.get(name), str):
            fields[name] = datetime.fromisoformat(fields[name])
    return Record(**fields, raw=dict(zip(raw_keys, values[-1], strict=False)))
