"""The manual-entry form: a message from a channel outside Инцидент-менеджмент, checked field by field."""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    URL,
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from ..feeds.values import EARLIEST
from .store import has_visible


def clean(value):
    """Typed text without NUL bytes (PostgreSQL refuses them) and outer spaces; a missing field is ""."""
    return (value or "").replace("\x00", "").strip()


# Channels an operator types in by hand: everything outside ИМ except the machine-fed Open311.
MANUAL_CHANNELS = ("direct_admin", "direct_mayor", "live_mayor", "live_governor", "public", "self_search", "manual")


class ManualEntryForm(FlaskForm):
    """Every field validated with a Russian message; on an error the form is shown again as typed."""

    channel = SelectField(_l("Канал"), validators=[InputRequired(_l("Выберите канал"))], coerce=str)
    platform = StringField(_l("Площадка"), filters=[clean], validators=[Optional(), Length(max=60, message=_l("Не длиннее 60 знаков"))])
    author = StringField(_l("Автор"), filters=[clean], validators=[DataRequired(_l("Укажите автора (имя или ник)")),
                                                  Length(max=300, message=_l("Не длиннее 300 знаков"))])
    text = TextAreaField(_l("Текст сообщения"), filters=[clean], validators=[
        DataRequired(_l("Введите текст сообщения")),
        Length(min=5, max=10000, message=_l("Текст от 5 до 10 000 знаков"))])
    url = StringField(_l("Ссылка на публикацию"), filters=[clean], validators=[
        Optional(), Length(max=2000, message=_l("Ссылка слишком длинная")),
        URL(require_tld=True, message=_l("Ссылка должна начинаться с http:// или https://"))])
    address = StringField(_l("Адрес"), filters=[clean], validators=[Optional(), Length(max=500, message=_l("Не длиннее 500 знаков"))])
    topic = SelectField(_l("Тематика"), validators=[InputRequired(_l("Выберите тематику"))], coerce=str)
    department = SelectField(_l("Подразделение"), coerce=str, validators=[Optional()])
    received_at = DateTimeLocalField(_l("Когда поступило"), format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"],
                                     validators=[InputRequired(_l("Укажите дату и время"))])
    urgent = BooleanField(_l("Срочно"))

    class Meta:
        locales = ("ru",)

    def __init__(self, *args, channels=(), topics=(), departments=(), now_local: datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now_local = now_local
        self.channel.choices = [("", _l("— выберите —"))] + [(c.code, c.name) for c in channels]
        self.topic.choices = [("", _l("— выберите —"))] + [(str(t.id), t.name) for t in topics]
        self.department.choices = [("", _l("по тематике"))] + [(str(d.id), d.name) for d in departments]
        for fld in (self.channel, self.topic, self.department):
            fld.validate_choice = True

    def validate_channel(self, field):
        if field.data == "":
            raise ValidationError(_l("Выберите канал"))

    def validate_topic(self, field):
        if field.data == "":
            raise ValidationError(_l("Выберите тематику"))

    def validate_text(self, field):
        if field.data and not has_visible(field.data):
            raise ValidationError(_l("В тексте нет ни одной видимой буквы или цифры"))

    def validate_author(self, field):
        if field.data and not has_visible(field.data):
            raise ValidationError(_l("Укажите автора (имя или ник) видимыми буквами"))

    def validate_received_at(self, field):
        if field.data and self.now_local and field.data > self.now_local.replace(tzinfo=None):
            raise ValidationError(_l("Время поступления не может быть в будущем"))
        if field.data and field.data.year < EARLIEST.year:
            raise ValidationError(_l("Дата поступления раньше %(year)d года: проверьте год", year=EARLIEST.year))
