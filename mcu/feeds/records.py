"""What every adapter hands to ingestion: records already mapped to our fields, per-row errors, a page."""
from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Record:
    """One incident as a source describes it, already mapped to our fields."""

    external_id: str
    received_at: datetime  # aware
    raw: dict  # the record as received (JSON-serialisable), kept on the incident
    text: str = ""
    author: str = ""
    platform: str = ""
    url: str = ""
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    channel: str | None = None  # channel code or name
    topic: str | None = None  # topic name (Open311: service name, mapped via the source mapping)
    department: str | None = None  # department name or short name, when the source says it
    status: str | None = None  # our status code, if the source tells one (applies on create only)
    answer_text: str = ""
    answered_at: datetime | None = None
    urgent: bool = False
    updated_at: datetime | None = None  # the source's version time (out-of-order protection)


@dataclass
class RowError:
    """A record that could not be taken, and why (in Russian, for people)."""

    row: str  # row number / external id / position in the payload
    message: str


@dataclass
class Batch:
    """One page from a source: the records, the rows that failed, and where to continue."""

    records: list[Record]
    errors: list[RowError] = field(default_factory=list)
    next_cursor: str | None = None
    has_more: bool = False


class BadValue(ValueError):
    """A value or an item that cannot be taken, whose str() is the Russian reason (a RowError's message)."""


class FeedError(Exception):
    """A source-level failure (HTTP 500, timeout, HTML instead of JSON, truncated XML, too big...),
    whose str() is a clear Russian message for the source's health panel."""


@dataclass
class Page:
    """What an adapter's parse() finds in one document: raw items and the paging information."""

    items: list[dict]
    next_cursor: str | None = None
    has_more: bool = False
