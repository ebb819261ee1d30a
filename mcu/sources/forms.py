"""The feed source form: kind, URL, credentials (never shown back), interval, field mapping."""
import json

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    URL,
    DataRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..feeds import ADAPTERS, KIND_NAMES


class SourceForm(FlaskForm):
    """Create or edit a feed source; an empty credentials field keeps the stored ones."""

    name = StringField(_l("Название"), validators=[DataRequired(_l("Введите название")), Length(max=200)])
    kind = SelectField(_l("Тип"), choices=[])
    url = StringField(_l("Адрес (URL)"), validators=[
        DataRequired(_l("Введите адрес")), Length(max=2000),
        URL(require_tld=False, message=_l("Нужен адрес вида https://…"))])
    credentials = PasswordField(_l("Ключ доступа (токен)"), validators=[Optional(), Length(max=2000)])
    clear_credentials = BooleanField(_l("Удалить сохранённый ключ"))
    interval_seconds = IntegerField(_l("Интервал опроса, секунд"), default=60, validators=[
        DataRequired(_l("Укажите интервал")),
        NumberRange(5, 86400, _l("Интервал — от 5 секунд до суток"))])
    enabled = BooleanField(_l("Включён"), default=True)
    field_mapping = TextAreaField(_l("Сопоставление полей (JSON, необязательно)"),
                                  validators=[Optional(), Length(max=20000)])

    def validate_url(self, field):
        if not field.data.lower().startswith(("http://", "https://")):
            raise ValidationError(_l("Поддерживаются только адреса http:// и https://"))

    def validate_field_mapping(self, field):
        if field.data and field.data.strip():
            try:
                value = json.loads(field.data)
            except ValueError as exc:
                raise ValidationError(_l("Это не JSON: %(error)s", error=str(exc))) from None
            if not isinstance(value, dict):
                raise ValidationError(_l("Сопоставление полей — JSON-объект вида {\"поле\": \"наше поле\"}"))
            adapter = ADAPTERS.get(self.kind.data)
            problem = adapter.mapping_problem(value) if adapter else None
            if problem:
                raise ValidationError(_l("Сопоставление для «%(kind)s»: %(problem)s", kind=KIND_NAMES[self.kind.data],
                                         problem=problem))

    def mapping(self) -> dict | None:
        """The mapping as a dict, or None when left empty."""
        return json.loads(self.field_mapping.data) if (self.field_mapping.data or "").strip() else None
