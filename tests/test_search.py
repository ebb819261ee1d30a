"""Search that knows Russian, through the list and the board over HTTP: word forms, ё, several words, quoted
phrases, ranking, marked words. The expected answers are written out by hand; the same tests run on SQLite
(FTS5) and on PostgreSQL (tsvector), so both databases give these answers."""
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from mcu.extensions import db
from mcu.feeds.ingest import upsert_incidents
from mcu.feeds.records import Record
from mcu.models import Incident
from mcu.search import stems

# key: message text (the factory adds the author «Житель»)
CORPUS = {
    "svetofor": "Не работает светофор на ул. Ленина",
    "svetofora": "Светофора на перекрёстке не видно за деревом",
    "svetofory": "Светофоры на Пушкина мигают жёлтым",
    "svetoforov": "Просим поставить побольше светофоров у школы",
    "svetlo": "Во дворе светло только днём",
    "yama": "Огромная яма у подъезда",
    "yamy": "Ямы на дороге по ул. Серышева",
    "yam": "Сколько ям ещё объезжать",
    "yamoy": "Колесо пробито ямой на въезде во двор",
    "yamshik": "Ямщиков переулок не чищен",
    "elka": "Ёлка на площади не горит",
    "elka2": "Елка упала во дворе",
    "fonar": "Фонарь не горит третий день",
    "fonari": "Фонари не горят на всей улице",
    "gorit": "Горит свет в подъезде, но не работает лифт",
    "gorit_ne": "Горит не везде, половина ламп темная",
}
SVETOFOR = {"svetofor", "svetofora", "svetofory", "svetoforov"}
YAMA = {"yama", "yamy", "yam", "yamoy"}
NE_GORIT = {"elka", "fonar", "fonari"}
GORIT = NE_GORIT | {"gorit", "gorit_ne"}
WORD_FORMS = [
    ("светофоры", SVETOFOR), ("светофор", SVETOFOR), ("светофора", SVETOFOR), ("светофоров", SVETOFOR),
    ("СВЕТОФОРЫ", SVETOFOR),
    ("яма", YAMA), ("ямы", YAMA), ("ям", YAMA), ("ямой", YAMA),
    ("ёлка", {"elka", "elka2"}), ("елка", {"elka", "elka2"}), ("ЁЛКИ", {"elka", "elka2"}),
    ("светофор ленина", {"svetofor"}), ("яма двор", {"yamoy"}), ("светофор яма", set()),
    ("«не горит»", NE_GORIT), ('"не горит"', NE_GORIT), ("„не горят“", NE_GORIT),
    ("горит", GORIT), ("не горит", GORIT),  # unquoted, «не» is not searched for
    ("«горит не»", {"gorit_ne"}),
    ("мост", set()), ("светоф", set()), ("светлая", {"svetlo"}), ("житель", set(CORPUS)),  # the author is searched too
]


def corpus(make) -> dict:
    """{incident id: key} of the corpus, the newest last."""
    now = datetime.now(UTC)
    return {make.incident(text=text, received_at=now - timedelta(minutes=len(CORPUS) - n)): key
            for n, (key, text) in enumerate(CORPUS.items())}


def found(client, query: str, path: str = "/incidents/") -> list[int]:
    """The incident ids a page shows for a search, in the page's order."""
    response = client.get(f"{path}?q={quote(query)}")
    assert response.status_code == 200, (query, response.status_code)
    ids = re.findall(r'href="/incidents/(\d+)"', response.get_data(as_text=True))
    return [int(i) for i in dict.fromkeys(ids)]


@pytest.mark.parametrize(("query", "expected"), WORD_FORMS, ids=[q for q, _e in WORD_FORMS])
def test_word_forms_ё_several_words_and_phrases_find_the_same_messages(client, auth, make, query, expected):
    auth.as_role(make, "operator")
    keys = corpus(make)
    assert {keys[i] for i in found(client, query)} == expected


def test_the_issues_case_светофоры_finds_all_32_forms_of_светофор(client, auth, make):
    """Measured before: «светофоры» found 1 message where «светофор» found 32."""
    auth.as_role(make, "operator")
    forms = ["светофор", "светофора", "светофору", "светофором", "светофоре", "светофоры", "светофоров",
             "светофорам", "светофорами", "светофорах"]
    wanted = {make.incident(text=f"Сообщение {n}: про {forms[n % len(forms)]} на перекрёстке {n}")
              for n in range(32)}
    for word in ("свет", "светлый", "светит", "Светлана", "светодиоды", "светофорный"):
        make.incident(text=f"Сообщение: {word} во дворе")
    for query in ("светофоры", "светофор"):
        page = client.get(f"/incidents/?q={quote(query)}").get_data(as_text=True)
        assert "Найдено: 32" in page
        assert set(found(client, query)) == wanted
        assert page.count("<mark>") == 32
        assert set(found(client, query, "/board")) == wanted  # one cell of the board shows up to 50


def test_the_list_shows_the_best_matches_first(client, auth, make):
    auth.as_role(make, "operator")
    now = datetime.now(UTC)
    # the word twice beats once in a message as long; once in a short message beats once in a long one
    best = make.incident(text="Светофор сломан, светофор мигает", received_at=now - timedelta(hours=3))
    short = make.incident(text="Не работает совсем светофор", received_at=now - timedelta(hours=2))
    long = make.incident(text="Во дворе дома по улице Ленина третью неделю не вывозят мусор, контейнеры переполнены, "
                              "вокруг бегают собаки, управляющая компания не отвечает на звонки, жители жалуются "
                              "на запах, а ещё на перекрёстке рядом давно сломан светофор",
                         received_at=now - timedelta(hours=1))
    make.incident(text="Яма на дороге", received_at=now)
    assert found(client, "светофоры") == [best, short, long]
    newest_first = found(client, "")  # no search: newest first
    assert newest_first.index(long) < newest_first.index(short) < newest_first.index(best)


HOSTILE = [
    ('<script>alert("светофор")</script>', '&lt;script&gt;alert(&quot;<mark>светофор</mark>&quot;)&lt;/script&gt;'),
    ("Светофоры &amp; фонари", "<mark>Светофоры</mark> &amp;amp; фонари"),
    ("«Светофор» 'светофора' \"светофоре\"",
     "«<mark>Светофор</mark>» &#x27;<mark>светофора</mark>&#x27; &quot;<mark>светофоре</mark>&quot;"),
    ("&lt;b&gt;светофор&lt;/b&gt;", "&amp;lt;b&amp;gt;<mark>светофор</mark>&amp;lt;/b&amp;gt;"),
]


@pytest.mark.parametrize(("text", "shown"), HOSTILE, ids=range(len(HOSTILE)))
def test_matched_words_are_marked_in_escaped_text_on_the_list(client, auth, make, text, shown):
    auth.as_role(make, "operator")
    make.incident(text=text)
    page = client.get("/incidents/?q=светофоры").get_data(as_text=True)
    assert shown in page
    assert "<script>" not in page.split("<main", 1)[1] and "<b>" not in page


def test_the_board_shows_only_matching_cards_and_counts_them_all(app, client, auth, make, monkeypatch):
    monkeypatch.setitem(app.config, "BOARD_CELL_CARDS", 2)
    auth.as_role(make, "operator")
    now = datetime.now(UTC)
    transport = make.department("Транспорт")
    roads = [make.incident(text=f"Яма номер {n}", received_at=now - timedelta(minutes=n)) for n in range(3)]
    make.incident(text="Светофор не работает")
    make.incident(text="Автобус не пришёл", department_id=transport, topic_id=make.topic("Общественный транспорт"))
    page = client.get("/board?q=ямы").get_data(as_text=True)
    assert found(client, "ямы", "/board")[:2] == roads[:2]  # the cell's first two, newest first
    assert f'id="incident-{roads[2]}"' not in page and "Светофор не работает" not in page
    assert "и ещё 1" in page
    assert f'id="lane-{transport}' not in page  # a filtered board draws only lanes with cards
    assert "Автобус не пришёл" in client.get("/board?q=автобусы").get_data(as_text=True)


def test_the_cells_a_move_redraws_keep_the_search(client, auth, make):
    auth.as_role(make, "operator")
    roads = make.department("Дороги")
    moved = make.incident(text="Яма у школы")
    make.incident(text="Ямы во дворе", status="in_progress")
    make.incident(text="Светофор не работает", status="in_progress")
    page = client.get("/board?q=яма").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    body = client.post(f"/incidents/{moved}/move", data={"version": 1, "to_status": "in_progress",
                                                         "from_status": "new", "from_department": roads,
                                                         "board": "?q=" + quote("яма")},
                       headers={"HX-Request": "true", "X-CSRFToken": token}).get_data(as_text=True)
    assert f'hx-target="#cell-{roads}-in_progress"' in body
    assert "Яма у школы" in body and "Ямы во дворе" in body and "Светофор не работает" not in body


@pytest.mark.parametrize("path", ["/board", "/incidents/"])
@pytest.mark.parametrize("query", ["на и в", "?!", "— , .", "а б"])
def test_a_query_without_words_to_search_gets_a_notice_and_filters_nothing(client, auth, make, path, query):
    auth.as_role(make, "operator")
    make.incident(text="Яма у школы")
    make.incident(text="Обычный текст")
    response = client.get(f"{path}?q={quote(query)}")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert ("В строке поиска нет слов, по которым можно искать (предлоги, союзы и знаки не ищутся; возьмите их "
            "в кавычки), поиск не применён.") in page
    assert "Яма у школы" in page and "Обычный текст" in page


def test_quoted_stop_words_are_searched_and_a_long_query_is_cut_with_a_notice(client, auth, make):
    auth.as_role(make, "operator")
    keys = corpus(make)
    assert {keys[i] for i in found(client, "«не»")} == {"svetofor", "svetofora", "yamshik"} | GORIT
    long = make.incident(text="Светофор работает плохо, ул. Ленина, утром сломан")
    nine = "светофор не работает плохо на ул ленина утром сломан житель мост"  # nine words but «не», «на»
    response = client.get(f"/incidents/?q={quote(nine)}")
    assert response.status_code == 400
    assert "В поиске учитываются первые 8 слов, остальные пропущены." in response.get_data(as_text=True)
    assert f'href="/incidents/{long}"' in response.get_data(as_text=True)  # «мост», the ninth word, is left out
    assert found(client, "светофор работает плохо ул ленина утром сломан житель") == [long]


# (a message, words that find it, words that do not): what both databases read as one word
TOKENS = [("Дом 5а, площадь 200 м², код x1y2-1e5, тest под_черк",
           ["5а", "200", '"м"', '"м²"', "x1y2", "1e5", "тest", '"под"', "черк", "ПОД_ЧЕРК"], ["5", "5б", "x1y2-1e6"]),
          ("Ёжик в тумане по-русски", ["ежик", "ЁЖИК", "тумане", "туманом", "по-русски", "русские"], ["по-английски"])]


@pytest.mark.parametrize(("text", "finding", "missing"), TOKENS, ids=["digits", "hyphens"])
def test_digits_signs_and_joined_words_are_read_alike_by_both_databases(client, auth, make, text, finding, missing):
    auth.as_role(make, "operator")
    ident = make.incident(text=text)
    for word in finding:
        assert found(client, word) == [ident], word
    for word in missing:
        assert ident not in found(client, word), word


def record(n: int, text: str) -> Record:
    received = datetime(2026, 11, 30, 1, 0, tzinfo=UTC) + timedelta(minutes=n)
    return Record(external_id=f"s-{n}", received_at=received, updated_at=received, raw={"id": n, "text": text},
                  text=text, author="Анна К.", platform="ВКонтакте", channel="im", topic="Дороги")


def test_every_writer_keeps_the_search_data(app, client, auth, make):
    """Ingestion (created and updated), manual entry, the factory: stored stems are the stems of the search text,
    and the search finds each message by its new words only."""
    auth.as_role(make, "operator")
    with app.app_context():
        upsert_incidents([record(1, "Светофоры не горят"), record(2, "Яма во дворе")], "cur")
        upsert_incidents([record(2, "Открытый люк во дворе")], "cur")
        ids = dict(db.session.execute(db.select(Incident.external_id, Incident.id)).all())
    page = client.get("/incidents/new").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    assert client.post("/incidents/new", data={
        "channel": "direct_mayor", "platform": "Telegram", "author": "Анна К.", "text": "Упало дерево на гараж",
        "url": "", "address": "", "topic": str(make.topic("Благоустройство")), "department": "",
        "received_at": "2026-11-30T10:30", "csrf_token": token}).status_code == 302
    typed = make.incident(text="Гололёд на тротуаре")
    assert found(client, "светофор") == [ids["s-1"]]
    assert found(client, "люки") == [ids["s-2"]] and found(client, "ямы") == []
    assert len(found(client, "деревья")) == 1 and found(client, "гололед") == [typed]
    with app.app_context():
        for search_text, search_stems in db.session.execute(db.select(Incident.search_text, Incident.search_stems)):
            assert search_stems == stems(search_text) != ""
