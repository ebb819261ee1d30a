"""The shortcuts' tables: answer templates (a department's, or city-wide) and saved board views (a person's)."""
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..models import Department, User, UTCDateTime, utcnow


class AnswerTemplate(db.Model):
    """A prepared public answer with placeholders ({адрес}, {дата}, {номер}, …) filled in per message; a department's
    own, or city-wide when the department is empty (only admins keep those)."""

    __table_args__ = (Index("ix_answer_template_department", "department_id", "title"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    department: Mapped[Department | None] = relationship()


class SavedView(db.Model):
    """A named set of board filters of one person (the board's URL query), shown as a tab on their board."""

    __table_args__ = (Index("ix_saved_view_user", "user_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    name: Mapped[str] = mapped_column(String(80))
    query: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    user: Mapped[User] = relationship()
