"""The seed report's 2021 figures, reproduced from messages stored the way ingestion stores them: 14,827 answered
messages, 8,238 through Инцидент-менеджмент and 6,589 outside it, 13 % more than the 13,120 of 2020, topic shares
39,6 / 14,3 / 10,7 / 9,5 %, and more than 300 handled a week from July on."""
from datetime import datetime, timedelta

from reporttools import CITY, csv_rows, page_tables, sheet_rows, workbook

from mcu.feeds.ingest import upsert_incidents
from mcu.feeds.records import Record

OUTSIDE = {"direct_admin": 2000, "direct_mayor": 1500, "live_mayor": 900, "live_governor": 700, "public": 1089,
           "self_search": 400}  # 6,589
# counts whose shares of 14,827 round to the seed's: 5871 -> 39,597 %, 2120 -> 14,298 %, 1586 -> 10,697 %,
# 1409 -> 9,503 %; the other 3,841 spread below them
TOPICS = {"Дороги": 5871, "Благоустройство": 2120, "Общественный транспорт": 1586, "Образование": 1409, "ЖКХ": 1186,
          "Несанкционированные свалки и мусор": 741, "Безнадзорные животные": 593, "Ливневая канализация": 445,
          "Уличное освещение": 297, "Социальная поддержка": 222, "Градостроительство": 208, "Прочее": 149}


def spread(first: datetime, last: datetime, count: int) -> list[datetime]:
    """`count` moments evenly over [first, last)."""
    step = (last - first) / count
    return [first + step * k for k in range(count)]


def seed_records() -> list[Record]:
    channels = ["im"] * 8238 + [code for code, count in OUTSIDE.items() for _ in range(count)]
    topics = [name for name, count in TOPICS.items() for _ in range(count)]
    assert len(channels) == len(topics) == 14_827
    # the first half-year slower; from July the city's departments answer over 300 a week (seed)
    moments = spread(datetime(2021, 1, 1, tzinfo=CITY), datetime(2021, 7, 1, tzinfo=CITY), 5600) + spread(
        datetime(2021, 7, 1, tzinfo=CITY), datetime(2022, 1, 1, tzinfo=CITY), 9227)
    records = []
    for n, (channel, topic, received) in enumerate(zip(channels, topics[::-1], moments)):
        records.append(_record(f"2021-{n}", received, channel, topic))
    for n, received in enumerate(spread(datetime(2020, 1, 1, tzinfo=CITY), datetime(2021, 1, 1, tzinfo=CITY), 13_120)):
        records.append(_record(f"2020-{n}", received, "im" if n % 2 else "public", "Дороги"))
    return records


def _record(key: str, received: datetime, channel: str, topic: str) -> Record:
    answered = received + timedelta(minutes=30)
    return Record(external_id=key, received_at=received, raw={"id": key}, text="Сообщение жителя", author="Житель",
                  platform="ВКонтакте", channel=channel, topic=topic, status="answered", answer_text="Ответ дан",
                  answered_at=answered, updated_at=received)


def test_the_seed_2021_figures_from_ingested_messages(app, client, auth, make):
    with app.app_context():
        result = upsert_incidents(seed_records(), "cur")
    assert result.created == 14_827 + 13_120 and not result.errors
    auth.as_role(make, "viewer")
    assert_seed_figures(client)


def assert_seed_figures(client):
    """The seed's 2021 figures on /reports?year=2021, in its paragraph and in both exports."""
    page = client.get("/reports?year=2021")
    assert page.status_code == 200
    tables, paragraph = page_tables(page.get_data(as_text=True))
    channels = tables["channels"]
    assert channels[1] == ["Инцидент-менеджмент", "да", "8238", "6560", "+1678", "25,6%", "8238"]
    assert channels[2] == ["Вне системы Инцидент-менеджмент", "нет", "6589", "6560", "+29", "0,4%", "6589"]
    assert channels[-1] == ["Всего", "—", "14\u00a0827", "13\u00a0120", "+1707", "13,0%", "14\u00a0827"]
    assert tables["topics"][1:5] == [["Дороги", "5871", "39,6%"], ["Благоустройство", "2120", "14,3%"],
                                     ["Общественный транспорт", "1586", "10,7%"], ["Образование", "1409", "9,5%"]]
    assert (
        "За 2021 год даны ответы на 8238 сообщений по системе Инцидент-менеджмента и на 6589 сообщений в социальных "
        "сетях, не включенных в систему (Директ администрации — 2000; Директ мэра — 1500; Прямой эфир мэра — 900; "
        "Прямой эфир губернатора — 700; Сообщения в пабликах — 1089; Самопоиск — 400)." in paragraph)
    assert ("Рост количества сообщений по сравнению с 2020 годом составил 13\u00a0% (в 2020 году — "
            "13\u00a0120 сообщений, в 2021 году — 14\u00a0827 сообщений)." in paragraph)
    assert ("Наиболее популярные среди тем сообщений: дороги (39,6%), благоустройство (14,3%), общественный "
            "транспорт (10,7%), образование (9,5%)." in paragraph)
    # 14,827 answers in 2021 (the 13,120 of 2020 in 2020: each within half an hour) over 365 / 7 weeks: 284,4
    assert "В среднем еженедельно структурными подразделениями обрабатывается 284 сообщения жителей." in paragraph
    whole_weeks = [row for row in tables["weeks"][1:-1] if row[1] != "31.12.2021"]
    from_july = [row for row in whole_weeks if datetime.strptime(row[0], "%d.%m.%Y") >= datetime(2021, 7, 5)]
    assert len(from_july) == 25 and all(int(row[3]) > 300 for row in from_july)

    rows = csv_rows(client.get("/reports/export.csv?year=2021&table=channels").data)
    assert rows[1][:3] == ["Инцидент-менеджмент", "да", "8238"] and rows[2][:3] == [
        "Вне системы Инцидент-менеджмент", "нет", "6589"]
    assert rows[-1] == ["Всего", "", "14827", "13120", "+1707", "13,0", "14827"]
    book = workbook(client.get("/reports/export.xlsx?year=2021").data)
    assert sheet_rows(book["Сообщения по каналам"])[-1][:5] == ["Всего", None, 14827, 13120, 1707]
    assert [row[:2] for row in sheet_rows(book["Тематики сообщений"])[6:10]] == [
        ["Дороги", 5871], ["Благоустройство", 2120], ["Общественный транспорт", 1586], ["Образование", 1409]]
