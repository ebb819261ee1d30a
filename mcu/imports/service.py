"""Import as domain verbs (no request here): read a file, preview it, store it; uploads kept between steps."""
import json
import os
import re
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import current_app

from ..feeds.ingest import IngestResult, upsert_incidents
from ..feeds.records import Record, RowError
from ..timefmt import city_tz
from . import table as table_module

SOURCE = "import"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
KEEP_SECONDS = 24 * 3600


@dataclass
class Preview:
    """What a file would import: matched columns, the first records, every row error, the totals."""

    table: table_module.Table
    records: list[Record]
    errors: list[RowError]
    total: int
    first: list[Record] = field(default_factory=list)


def preview(data: bytes, filename: str, first: int = 20) -> Preview:
    """Read the whole file (every row checked), keep the first records for showing."""
    table = table_module.read(data, filename)
    records, errors = table_module.records(table, city_tz())
    return Preview(table, records, errors, len(records) + len(errors), records[:first])


def import_data(data: bytes, filename: str, source: str = SOURCE, default_channel: str = "im",
                user_id: int | None = None) -> tuple[IngestResult, Preview]:
    """Store every good row of the file in one transaction; rows that cannot be read come back as errors."""
    found = preview(data, filename)
    result = upsert_incidents(found.records, source, default_channel=default_channel)
    result.errors = found.errors + result.errors
    return result, found


def uploads_dir() -> Path:
    """Where uploads wait for confirmation: IMPORT_UPLOAD_DIR, else instance/uploads."""
    path = Path(current_app.config.get("IMPORT_UPLOAD_DIR") or Path(current_app.instance_path) / "uploads")
    path.mkdir(parents=True, exist_ok=True)
    return path


def keep_upload(data: bytes, filename: str, user_id: int) -> str:
    """Keep an uploaded file server-side under a random token until it is confirmed (or a day passes)."""
    folder = uploads_dir()
    cutoff = time.time() - KEEP_SECONDS
    for old in folder.glob("*"):
        try:  # another process may be clearing the same folder
            if old.stat().st_mtime < cutoff:
                old.unlink(missing_ok=True)
        except FileNotFoundError:
            continue
    token = secrets.token_urlsafe(24)
    (folder / f"{token}.data").write_bytes(data)
    (folder / f"{token}.json").write_text(json.dumps({"filename": filename, "user_id": user_id}))
    return token


def load_upload(token: str) -> tuple[bytes, dict] | None:
    """The kept file and its facts (name, uploader), or None for an unknown or malformed token."""
    if not TOKEN.match(token or ""):
        return None
    folder = uploads_dir()
    try:
        return (folder / f"{token}.data").read_bytes(), json.loads((folder / f"{token}.json").read_text())
    except (OSError, ValueError):
        return None


def drop_upload(token: str) -> None:
    if TOKEN.match(token or ""):
        for suffix in (".data", ".json"):
            path = uploads_dir() / f"{token}{suffix}"
            if path.exists():
                os.unlink(path)
