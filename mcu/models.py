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
    SmallInteger,
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


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # a stored moment older than any: "due now"
EPOCH_TEXT = "1970-01-01 00:00:00"  # the same as a server default


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
        # the board's windows (mcu.lanes.on_board): «Решено» by resolved_at, «Ответ дан» (resolved_at is NULL) by
        # answered_at; one index for both, so an insert maintains no more indexes than before (migration 0012)
        Index("ix_incident_status_resolved_answered", "status", "resolved_at", "answered_at", "department_id",
              "position", "received_at", "version", "first_answer_due", "resolve_due", "urgency", "escalated_due"),
        # the deadline sweep's work list: cards whose urgency changes at or before a moment
        Index("ix_incident_urgency_next_at", "urgency_next_at", sqlite_where=text("urgency_next_at IS NOT NULL"),
              postgresql_where=text("urgency_next_at IS NOT NULL")),
        # reports (docs/reports.md): a period's messages read from the index alone, whatever the block
        Index("ix_incident_report", "received_at", "channel_id", "topic_id", "department_id", "duplicate_of_id",
              "status", "first_answered_at", "first_answer_due", "resolve_due", "first_answer_work_minutes"),
        Index("ix_incident_first_answer", "first_answered_at", "department_id", "duplicate_of_id",
              sqlite_where=text("first_answered_at IS NOT NULL"), postgresql_where=text("first_answered_at IS NOT NULL")),
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
    # the first public answer (interim or final), stamped once and never moved by a later answer (docs/reports.md)
    first_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_answer_work_minutes: Mapped[int | None] = mapped_column(Integer)  # receipt to it, in working time
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_text: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    # Urgency of the deadline the card is held to (mcu/urgency.py): 0 overdue, 1 due soon (the rule's last
    # quarter), 2 the rest; a cell orders by it first. Kept by the writes that change a deadline or a status and
    # by the deadline sweep at `urgency_next_at` (the epoch: "assess at the next sweep", how new rows start).
    urgency: Mapped[int] = mapped_column(SmallInteger, default=2, server_default="2")
    urgency_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime, server_default=EPOCH_TEXT)
    escalated_due: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the deadline escalated to operators
    # the field worker's last progress step (workflow.FIELD_STEPS; "" none yet): the card shows it
    field_step: Mapped[str] = mapped_column(String(20), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    channel: Mapped[Channel | None] = relationship()
    topic: Mapped[Topic | None] = relationship()
    department: Mapped[Department | None] = relationship()
    assignee: Mapped[User | None] = relationship()


# Both board indexes cover what the board lists (the card text comes from the cache or by id), so listing a cell
# is an index-only read; a cell's first cards in board order (position, then newest first) are the first entries
# of its range, so a cell's cap is read without sorting its cards.
Index("ix_incident_cell", Incident.status, Incident.department_id, Incident.urgency, Incident.position,
      Incident.received_at.desc(), Incident.id.desc(), Incident.version, Incident.first_answer_due, Incident.resolve_due,
      Incident.escalated_due)


class Event(db.Model):
    """One line of an incident's history: append-only, never edited or deleted."""

    __table_args__ = (Index("ix_event_incident", "incident_id", "id"),
                      # reports count messages ever returned for revision: a few lines among all the history
                      Index("ix_event_returned", "incident_id", sqlite_where=text("kind = 'status' AND to_value = 'returned'"),
                            postgresql_where=text("kind = 'status' AND to_value = 'returned'")))

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
    """A picture attached to an incident as proof of work: stored upright, without its metadata, under a generated
    name in PHOTO_DIR (never the uploaded name), with a thumbnail; the shot's time and point kept as fields."""

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # who uploaded it
    tag: Mapped[str] = mapped_column(String(10))  # "before" or "after" the work (mcu.field.photos.TAGS)
    stored_name: Mapped[str] = mapped_column(String(100))  # path under PHOTO_DIR
    thumb_name: Mapped[str] = mapped_column(String(100))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # from the camera's EXIF, when it said
    lat: Mapped[float | None] = mapped_column(Float)  # where it was taken (EXIF GPS), when it said
    lon: Mapped[float | None] = mapped_column(Float)
    in_answer: Mapped[bool] = mapped_column(Boolean, default=False)  # a head attached it to the public answer
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user: Mapped[User | None] = relationship()


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


class EscalationStep(db.Model):
    """One rung of the escalation ladder taken for one card and one deadline: the key that makes each step fire
    once, whatever the number of workers, written in the transaction of its history line."""

    __table_args__ = (UniqueConstraint("incident_id", "deadline", "step", name="uq_escalation_step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"))
    deadline: Mapped[datetime] = mapped_column(UTCDateTime)
    step: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Notification(db.Model):
    """One message to one person about one event by one channel; its key makes it exist once (never sent twice)."""

    __table_args__ = (
        UniqueConstraint("user_id", "event", "incident_id", "channel", "occasion", name="uq_notification"),
        Index("ix_notification_user", "user_id", "channel", "read_at", "id"),
        Index("ix_notification_state", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"))
    event: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(10))
    occasion: Mapped[str] = mapped_column(String(40))  # the deadline, or the history line, it is about
    state: Mapped[str] = mapped_column(String(10))
    digest: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # not before: quiet hours, digests
    queued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NotificationAttempt(db.Model):
    """One try at delivering a notification, as the «Уведомления» page lists it."""

    __table_args__ = (Index("ix_notification_attempt", "notification_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ok: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str] = mapped_column(Text, default="")


class NotificationSettings(db.Model):
    """A person's choices on the «Профиль» page: channels per event, addresses, quiet hours, digest."""

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), default="")
    telegram_chat_id: Mapped[str] = mapped_column(String(40), default="")
    telegram_code: Mapped[str] = mapped_column(String(16), default="")
    telegram_code_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    quiet_hours: Mapped[bool] = mapped_column(Boolean, default=True)  # e-mail and Telegram wait for working time
    digest: Mapped[bool] = mapped_column(Boolean, default=False)  # new cards by e-mail/Telegram as a digest
    channels: Mapped[dict | None] = mapped_column(JSON)  # {event: [channel, ...]}; None: the defaults


class SweepCursor(db.Model):
    """Where a periodic job left off in a growing table (the notification scan's last history line)."""

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class DisplayToken(db.Model):
    """A wall display's read-only access (docs/wall.md): no person behind it, so no session; only the hash of the
    secret is kept, and a revoked token stays listed with the moment it stopped working."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))  # None: the whole city
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 hex of the secret
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    department: Mapped[Department | None] = relationship()
