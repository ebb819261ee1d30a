"""Citizens' personal data kept off the wall: phone numbers, e-mail addresses and links in a message's text are
replaced by a word saying what was there (the wall never shows an author's name either). The rules err on the
side of hiding: a long number with separators that is no phone is hidden too (docs/wall.md)."""
import re

from flask_babel import gettext as _

# a link: with a scheme, starting with www., or a bare domain of a zone people write (vk.com/id1, t.me/x, мэрия.рф)
_ZONES = "ru|рф|su|com|org|net|info|me|io|biz|pro|online|site|ly|gl|cc|to|tv|co|ua|by|kz|рус|москва"
_URL = re.compile(
    r"(?:\b(?:https?|ftp)://|\bwww\.)\S+"
    rf"|\b(?:[\w-]+\.)+(?:{_ZONES})\b(?:[/?#]\S*)?",
    re.IGNORECASE)
# an e-mail address, also with « @ » spaced or «(at)» / «[собака]» for the at sign
_EMAIL = re.compile(r"[\w.+-]+\s?(?:@|\(at\)|\[at\]|\(собака\)|\[собака\])\s?[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
# a phone: an optional +, then digits with spaces, dashes, dots or brackets between them, six digits at least
# (Khabarovsk's local numbers have six: 55-12-34)
_PHONE = re.compile(r"(?<![\w+])\+?\s?(?:\d[\s\-–.()]{0,3}){5,}\d(?!\w)")
_THOUSANDS = re.compile(r"\d{1,3}(?: \d{3})+")  # «1 500 000 рублей» is an amount, not a phone
_DATE = re.compile(r"\d{1,2}\.\d{1,2}\.\d{2,4}")  # «01.12.2026» is a date


def _phone(match: re.Match) -> str:
    found = match.group(0)
    plain = found.strip()
    if _THOUSANDS.fullmatch(plain) or _DATE.fullmatch(plain):
        return found
    return (" " if found[:1].isspace() else "") + _("[телефон скрыт]")


def mask(text: str) -> str:
    """The text with every link, e-mail address and phone number replaced by a word in brackets."""
    if not text:
        return ""
    text = _EMAIL.sub(lambda m: _("[e-mail скрыт]"), text)  # before links: an address's domain is no link
    text = _URL.sub(lambda m: _("[ссылка скрыта]"), text)
    return _PHONE.sub(_phone, text)
