"""The domain as tables: departments, topics, channels, incidents, their history, users and feeds."""
from datetime import UTC, datetime

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .extensions import db
from .workflow import NEW


def utcnow() -> datetime:
    """The current moment, timezone-aware, in UTC."""
    return datetime.now(UTC)


def as_utc(value) -> datetime | None:
    """A stored datetime (text on SQLite, naive on PostgreSQL; naive UTC on both) as aware UTC: the one place
    raw database time becomes a moment, for the column type and for the hot paths that read raw values."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC)


class UTCDateTime(TypeDecorator):
    """Stores naive UTC on every database, hands back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return as_utc(value)


class Department(db.Model):
    """A structural unit of the city administration that answers incidents: one lane on the board."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    short_name: Mapped[str] = mapped_column(String(60))
    colour: Mapped[str] = mapped_column(String(7), default="#607d8b")
    position: Mapped[int] = mapped_column(Integer, default=0)


class Topic(db.Model):
    """A рубрика; its department is where routing sends it by default."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    keywords: Mapped[str] = mapped_column(Text, default="")
    department: Mapped[Department | None] = relationship()


class Channel(db.Model):
    """Where a message came from: Инцидент-менеджмент ЦУР or a channel outside it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    in_incident_management: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)


class User(UserMixin, db.Model):
    """A person who signs in; the role says what they may do, the department where."""

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_nonce: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    department: Mapped[Department | None] = relationship()

    def get_id(self):
        """Session identity: id plus a nonce, so logging out everywhere invalidates old cookies."""
        return f"{self.id}:{self.session_nonce}"

    @property
    def is_active(self):
        return self.active


class Incident(db.Model):
    """A citizen's message and its way to a public answer."""

    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_incident_source_external_id"),
        Index("ix_incident_status_resolved_at", "status", "resolved_at", "department_id", "position",
              "received_at", "version", "first_answer_due", "resolve_due"),
        Index("ix_incident_received_at", "received_at"),
        # Finding an incident's duplicates (and SQLite's foreign-key check on delete); most rows have none.
        Index("ix_incident_duplicate_of_id", "duplicate_of_id", sqlite_where=text("duplicate_of_id IS NOT NULL"),
              postgresql_where=text("duplicate_of_id IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(80))
    external_id: Mapped[str] = mapped_column(String(200))
    raw: Mapped[dict | None] = mapped_column(JSON)
    content_hash: Mapped[str] = mapped_column(String(64), default="")
    source_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    feed_source_id: Mapped[int | None] = mapped_column(ForeignKey("feed_source.id"))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channel.id"))
    platform: Mapped[str] = mapped_column(String(60), default="")
    author: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(2000), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    search_text: Mapped[str] = mapped_column(Text, default="")
    # the words of search_text as Russian stems (mcu.search.stems), indexed for search: FTS5 on SQLite, GIN on
    # PostgreSQL (migration 0006); every writer of search_text writes it too (mcu.search.search_columns)
    search_stems: Mapped[str] = mapped_column(Text, default="", server_default="")
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    status: Mapped[str] = mapped_column(String(20), default=NEW)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    first_answer_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolve_due: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_text: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    channel: Mapped[Channel | None] = relationship()
    topic: Mapped[Topic | None] = relationship()
    department: Mapped[Department | None] = relationship()
    assignee: Mapped[User | None] = relationship()


# Both board indexes cover what the board lists (the card text comes from the cache or by id), so listing a cell
# is an index-only read; a cell's first cards in board order (position, then newest first) are the first entries
# of its range, so a cell's cap is read without sorting its cards.
Index("ix_incident_cell", Incident.status, Incident.department_id, Incident.position, Incident.received_at.desc(),
      Incident.id.desc(), Incident.version, Incident.first_answer_due, Incident.resolve_due)


class Event(db.Model):
    """One line of an incident's history: append-only, never edited or deleted."""

    __table_args__ = (Index("ix_event_incident", "incident_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(40))
    from_value: Mapped[str] = mapped_column(Text, default="")
    to_value: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user: Mapped[User | None] = relationship()


class Comment(db.Model):
    """A note on an incident by a user."""

    __table_args__ = (Index("ix_comment_incident", "incident_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user: Mapped[User | None] = relationship()


class FormUse(db.Model):
    """A form submission already carried out, by its one-time token: a repeat (a double click, a resend after a
    lost answer) shows the result of the first instead of doing it again or reporting a conflict."""

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    incident_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Photo(db.Model):
    """A picture attached to an incident as proof of work."""

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    filename: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LaneState(db.Model):
    """One row per lane (a department's id, or "unrouted"): its version steps with every change of a card in
    it, in the same transaction, so an open screen asks "anything newer in the lanes I show?" cheaply."""

    lane: Mapped[str] = mapped_column(String(20), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class FeedSource(db.Model):
    """A place the board polls for incidents, with its cursor and health."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    url: Mapped[str] = mapped_column(String(2000))
    credentials: Mapped[str] = mapped_column(Text, default="")
    field_mapping: Mapped[dict | None] = mapped_column(JSON)
    interval_seconds: Mapped[int] = mapped_column(Integer, default=60)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    cursor: Mapped[str] = mapped_column(String(500), default="")
    last_poll_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    last_item_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class RoutingRule(db.Model):
    """A keyword an admin maintains: text containing it goes to the department (and topic)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    keyword: Mapped[str] = mapped_column(String(200))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    topic_id: Mapped[int | None] = mapped_column(ForeignKey("topic.id"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
