"""Lenient readers for values as real feeds send them: "null" strings, odd datetimes, CRLF, 0,0 points.
What cannot be read is a BadValue (a ValueError) whose text says why in Russian, never another exception."""
import math
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .records import BadValue

NULLS = {"", "null", "none", "nil", "undefined", "n/a"}
TRUE = {"true", "1", "yes", "y", "да", "t", "on"}
FALSE = {"false", "0", "no", "n", "нет", "f", "off"}

# the moments a message may carry: the Unix epoch up to the end of the 21st century (docs/feeds.md);
# anything outside is a source's error ("0001-01-01", a timestamp in nanoseconds, 1e20)
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)  # excluded
_EARLIEST_STAMP, _LATEST_STAMP = EARLIEST.timestamp(), LATEST.timestamp()
_KINDS = {dict: _l("объект"), list: _l("список"), bool: _l("логическое значение"), float: _l("дробное число")}
_TZ_COLONLESS = re.compile(r"([+-]\d{2})(\d{2})$")
_FORMATS = ("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y", "%d.%m.%y %H:%M", "%d.%m.%y",
            "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M:%S %p",
            "%m/%d/%Y %H:%M", "%m/%d/%Y", "%a, %d %b %Y %H:%M:%S %z", "%Y%m%dT%H%M%S%z", "%Y%m%dT%H%M%S")


def is_null(value) -> bool:
    """True for None and the strings servers send for nothing."""
    return value is None or (isinstance(value, str) and value.strip().lower() in NULLS)


def text(value) -> str:
    """A clean string: nothing for nulls, no NUL bytes (PostgreSQL refuses them), CRLF and CR as LF, outer spaces
    dropped; numbers as written; a BadValue for an object or a list where a text is expected."""
    if is_null(value):
        return ""
    if isinstance(value, (dict, list)):
        raise BadValue(_("%(kind)s вместо текста", kind=_KINDS[type(value)]))
    if not isinstance(value, str):
        value = _written(value)
    return value.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n").strip()


def identifier(value) -> str:
    """A record's id from a text or a whole number; a BadValue for anything else (a list, an object, 1.5)."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if is_null(value) or (isinstance(value, (str, int)) and not isinstance(value, bool)):
        return text(value)
    kind = _KINDS.get(type(value), type(value).__name__)
    raise BadValue(_("идентификатор — %(kind)s, а не строка или целое число", kind=kind))


def boolean(value) -> bool:
    """True/false from booleans, numbers and the usual words; anything else is false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    return isinstance(value, str) and value.strip().lower() in TRUE


def number(value) -> float | None:
    """A float from a number or a string (comma decimal allowed); None when there is none."""
    if is_null(value) or isinstance(value, bool):
        return None
    try:
        number = float(value) if isinstance(value, (int, float)) else float(str(value).strip().replace(",", "."))
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def point(lat, lon) -> tuple[float | None, float | None]:
    """Coordinates, or (None, None) for missing, 0,0 ("null island") or out-of-range values."""
    lat, lon = number(lat), number(lon)
    if lat is None or lon is None or (lat == 0 and lon == 0) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    return lat, lon


def moment(value, tz: ZoneInfo | str | None = None, date_format: str | None = None) -> datetime | None:
    """An aware datetime from ISO 8601 (W3C or not), Russian «30.11.2026 09:15», US forms or a Unix time;
    a time without an offset is read in `tz` (the city's zone); None for a null; a BadValue when unreadable or
    outside EARLIEST..LATEST."""
    if is_null(value):
        return None
    if isinstance(tz, str):
        tz = ZoneInfo(tz)
    tz = tz or UTC
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        return _unix_time(value)
    elif isinstance(value, (dict, list)):
        raise BadValue(_("%(kind)s вместо даты", kind=_KINDS[type(value)]))
    else:
        raw = str(value).strip()
        parsed = None
        if date_format:
            try:
                parsed = datetime.strptime(raw, date_format)
            except ValueError:
                parsed = None
        if parsed is None:
            parsed = _iso(raw)
        if parsed is None:
            for fmt in _FORMATS:
                try:
                    parsed = datetime.strptime(raw, fmt)
                    break
                except ValueError:
                    continue
        if parsed is None:
            if re.fullmatch(r"\d{9,13}(\.\d+)?", raw):
                return _unix_time(float(raw))
            raise BadValue(_("не удалось прочитать дату «%(value)s»", value=raw[:40]))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    try:
        parsed = parsed.astimezone(UTC)
    except (OverflowError, ValueError):  # "0001-01-01T00:00:00+10:00" is in the year 0 in UTC
        parsed = None
    if parsed is None or not EARLIEST <= parsed < LATEST:
        raise BadValue(_out_of_range(value))
    return parsed


def _unix_time(value: float) -> datetime:
    """A Unix time in seconds, or in milliseconds when it is too big for seconds."""
    try:
        stamp = float(value)
    except OverflowError:
        stamp = math.inf
    if math.isnan(stamp):
        raise BadValue(_("дата — не число (NaN)"))
    if stamp > 1e11:
        stamp /= 1000
    if not _EARLIEST_STAMP <= stamp < _LATEST_STAMP:
        raise BadValue(_out_of_range(value))
    return datetime.fromtimestamp(stamp, UTC)


def _out_of_range(value) -> str:
    return _("дата вне допустимого диапазона (%(first)d–%(last)d гг.): «%(value)s»", first=EARLIEST.year,
             last=LATEST.year - 1, value=_written(value).strip()[:40])


def _written(value) -> str:
    """str(value), and a BadValue for an integer too long to write out (Python refuses past 4,300 digits)."""
    try:
        return str(value)
    except ValueError:
        raise BadValue(_("число из слишком многих цифр")) from None


def _iso(raw: str) -> datetime | None:
    """ISO 8601 with the usual deviations: Z, a space for T, +0400 offsets, fractions of any length."""
    s = raw.replace(" ", "T", 1) if re.match(r"\d{4}-\d{2}-\d{2} \d", raw) else raw
    s = s.replace("z", "Z")
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    s = _TZ_COLONLESS.sub(r"\1:\2", s) if re.search(r"T.*[+-]\d{4}$", s) else s
    s = re.sub(r"(\.\d{6})\d+", r"\1", s)
    s = re.sub(r"T(\d{2}:\d{2}:\d{2})\s+([+-])", r"T\1\2", s)
    try:
        return datetime.fromisoformat(s)
    except ValueError:
        return None


def dig(item, path: str):
    """The value at a dotted path ("answer.text", "items.0.id") in nested dicts and lists, or None."""
    value = item
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.lstrip("-").isdigit():
            index = int(part)
            value = value[index] if -len(value) <= index < len(value) else None
        else:
            return None
        if value is None:
            return None
    return value
