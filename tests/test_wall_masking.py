"""Masking of citizens' contacts on the wall: hostile texts and generated phone numbers in the forms people write
them, e-mail addresses and links; ordinary numbers (house numbers, dates, times, amounts) stay."""
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from walltools import HOSTILE

from mcu.wall.masking import mask


@pytest.fixture(autouse=True)
def context(app):
    with app.test_request_context():
        yield


@pytest.mark.parametrize("text, secret", list(HOSTILE.items()))
def test_hostile_texts_lose_their_contacts(text, secret):
    assert secret not in mask(text)


@pytest.mark.parametrize("text", [
    "Яма у дома 12-34 по ул. Ленина, кв. 5", "Сумма 1 500 000 рублей", "Собрание 01.12.2026 в 10:30",
    "Автобус № 14 не пришёл в 2021 году", "Дом 45, подъезд 3",
])
def test_ordinary_numbers_stay(text):
    assert mask(text) == text


SEPARATORS = st.sampled_from(["", " ", "-", " - ", "(", ")", "."])


@st.composite
def phones(draw):
    """A Russian mobile or Khabarovsk landline number as people type it."""
    prefix = draw(st.sampled_from(["+7", "8", "+7 ", "8 ", "7"]))
    code = draw(st.sampled_from(["914", "924", "4212", "962", "909"]))
    digits = draw(st.text("0123456789", min_size=10 - len(code), max_size=10 - len(code)))
    groups = [code] + re.findall(".{1,3}", digits)
    out = prefix
    for group in groups:
        out += draw(SEPARATORS) + group
    return out


@given(phone=phones(), before=st.sampled_from(["Тел ", "звоните:", "", "номер "]),
       after=st.sampled_from(["", " срочно", ".", ", жду"]))
@settings(max_examples=300, deadline=None)
def test_generated_phone_numbers_are_masked(phone, before, after):
    masked = mask(before + phone + after)
    assert len(re.findall(r"\d", masked)) <= 2, masked
    assert "[телефон скрыт]" in masked


@given(user=st.from_regex(r"[a-z][a-z0-9._-]{1,15}", fullmatch=True),
       domain=st.sampled_from(["mail.ru", "yandex.ru", "gmail.com", "khv.gov.ru"]))
@settings(max_examples=100, deadline=None)
def test_generated_addresses_are_masked(user, domain):
    masked = mask(f"Пишите {user}@{domain} пожалуйста")
    assert user not in masked and domain not in masked and "[e-mail скрыт]" in masked
