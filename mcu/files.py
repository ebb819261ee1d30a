"""Files the app writes (uploads, photos): whole or not at all, and a full disk said as such."""
import errno
import os
import secrets
from contextlib import contextmanager
from pathlib import Path

FULL_DISK = {errno.ENOSPC, errno.EDQUOT}


class NoSpace(Exception):
    """The disk is full (or over quota): what was being written has been removed."""


@contextmanager
def atomic_file(target: Path, mode: str = "wb", durable: bool = False):
    """A file written under a temporary name and renamed to `target` only when complete (flushed to the disk first
    when `durable`); removed on any failure, a full disk raised as NoSpace."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        with open(temporary, mode) as out:
            yield out
            if durable:
                out.flush()
                os.fsync(out.fileno())
        os.replace(temporary, target)
    except BaseException as exc:
        temporary.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno in FULL_DISK:
            raise NoSpace(str(exc)) from exc
        raise
