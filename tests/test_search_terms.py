"""The search's own rules without a database: how a typed query becomes stems and phrases, and how matched words
are marked in a text that is escaped first. Expected stems are Snowball's, written out by hand."""
import pytest

from mcu.search import Query, highlight, parse, stems, words_of

QUERIES = [
    ("светофоры", ("светофор",), ()),
    ("  СВЕТОФОРЫ,  Ямы! ", ("светофор", "ям"), ()),
    ("ёлка", ("елк",), ()),
    ("яма на дороге", ("ям", "дорог"), ()),  # «на» is a stop word
    ("«не горит» фонарь", ("фонар",), (("не", "гор"),)),
    ('"не горит"', (), (("не", "гор"),)),
    ("„не горят“", (), (("не", "гор"),)),
    ("“не горят”", (), (("не", "гор"),)),
    ("«не»", ("не",), ()),  # a quoted stop word is searched
    ("«не горит", (), (("не", "гор"),)),  # an unclosed quote runs to the end
    ("ямы ямой яма", ("ям",), ()),
    ("ул. Ленина, 5", ("ул", "ленин", "5"), ()),
    ("а б в", (), ()),
]


@pytest.mark.parametrize(("typed", "terms", "phrases"), QUERIES, ids=[q for q, _t, _p in QUERIES])
def test_a_typed_query_becomes_stems_and_phrases(typed, terms, phrases):
    query = parse(typed)
    assert (query.terms, query.phrases) == (terms, phrases)


def test_only_the_first_eight_words_are_searched():
    query = parse("один1 два2 три3 четыре пять шесть семь восемь девять десять")
    assert query.terms == ("один1", "два2", "три3", "четыр", "пят", "шест", "сем", "восем")
    assert query.notices == ("В поиске учитываются первые 8 слов, остальные пропущены.",)
    assert parse("«раз два три четыре пять шесть семь восемь девять»").phrases == (
        ("раз", "два", "три", "четыр", "пят", "шест", "сем", "восем"),)


def test_the_fts5_and_tsquery_expressions_say_the_same():
    query = Query(("ям", "5а"), (("не", "гор"),))
    assert query.fts5() == '"ям" "5а" "не гор"'
    assert query.tsquery() == "'ям' & '5а' & ('не' <-> 'гор')"


def test_a_message_is_stored_as_its_words_stems_in_order_stop_words_kept():
    assert stems("на ул. ленина огромная яма, светофоры не горят! дом 5а") == (
        "на ул ленин огромн ям светофор не гор дом 5а")
    assert words_of("м² 5а x1y2 ٣ под_черк " + "я" * 101) == ["м", "5а", "x1y2", "под", "черк"]
    assert words_of("и\u0306од") == ["йод"]  # a combining breve is one letter with its и
    assert words_of("² ½ ٣") == [] and parse("²").notices  # number signs but ASCII digits are not words


SVETOFOR = parse("светофоры")
MARKED = [
    ("Не работает светофор", "Не работает <mark>светофор</mark>"),
    ('<script>alert("светофор")</script>', '&lt;script&gt;alert(&quot;<mark>светофор</mark>&quot;)&lt;/script&gt;'),
    ("Светофоры &amp; фонари", "<mark>Светофоры</mark> &amp;amp; фонари"),
    ("&светофор; &#светофор;", "&amp;<mark>светофор</mark>; &amp;#<mark>светофор</mark>;"),
    ("«Светофор» 'светофора'", "«<mark>Светофор</mark>» &#x27;<mark>светофора</mark>&#x27;"),
    ("светофорный светофор", "светофорный <mark>светофор</mark>"),
    ("mark <mark> светофор", "mark &lt;mark&gt; <mark>светофор</mark>"),
]


@pytest.mark.parametrize(("text", "shown"), MARKED, ids=range(len(MARKED)))
def test_matched_words_are_marked_after_escaping(text, shown):
    assert highlight(text, SVETOFOR) == shown


def test_a_phrase_is_marked_only_where_its_words_stand_together():
    query = parse("«не горит» фонарь")
    assert highlight("Фонарь не горит, свет не работает, горит не всё", query) == (
        "<mark>Фонарь</mark> <mark>не</mark> <mark>горит</mark>, свет не работает, горит не всё")


def test_a_long_text_is_cut_around_the_first_match():
    text = "Начало сообщения. " * 20 + "Здесь светофор не работает. " + "Конец сообщения. " * 20
    shown = highlight(text, SVETOFOR, 80)
    assert shown.startswith("…") and shown.endswith("…") and "<mark>светофор</mark>" in shown
    assert len(shown.replace("<mark>", "").replace("</mark>", "")) <= 82
    assert highlight(text, parse(""), 80) == "Начало сообщения. " * 4 + "Начало…"  # no search: the start
    assert highlight("Короткий текст", SVETOFOR, 80) == "Короткий текст"
