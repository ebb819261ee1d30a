"""The seed's 2021 figures on /reports?year=2021 from imported data: the seed's data set (tests/test_reports_seed.py)
written as a ЦУР export the way real ones are (channels and topics spelt the reference's way or not at all, an
unknown status), uploaded through the page, read and stored by the import's job, the unknown names mapped by the
operator in the preview."""
import csv
import io
import re

import pytest
from conftest import csrf_from
from importtools import post_file
from reporttools import CITY
from rq import SimpleWorker
from test_reports_seed import assert_seed_figures, seed_records

from mcu import queue as mcu_queue
from mcu.reference import CHANNELS

NAMES = {code: name for code, name, _in in CHANNELS}


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "IMPORT_UPLOAD_DIR", str(tmp_path / "uploads"))


def export() -> bytes:
    """The seed's 27,947 messages as an export: «ИМ» or the channel's name, the city's own «Паблики Хабаровска»
    for the public pages, «Ямы» for every tenth road message, «Непонятно» for every seventh status; and seven spam
    rows the operator leaves out."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(["ID", "Дата поступления", "Канал", "Текст", "Тематика", "Статус", "Дата ответа"])
    for n, rec in enumerate(seed_records()):
        channel = {"im": "ИМ" if n % 2 else "Инцидент-менеджмент", "public": "Паблики Хабаровска"}.get(
            rec.channel, NAMES[rec.channel])
        topic = "Ямы" if rec.topic == "Дороги" and n % 10 == 0 else rec.topic
        status = "Непонятно" if n % 7 == 0 else "Ответ дан"
        writer.writerow([rec.external_id, rec.received_at.astimezone(CITY).strftime("%d.%m.%Y %H:%M:%S"), channel,
                         rec.text, topic, status, rec.answered_at.astimezone(CITY).strftime("%d.%m.%Y %H:%M:%S")])
    for n in range(7):
        writer.writerow([f"spam-{n}", "01.06.2021 10:00", "ИМ", "Купите слона", "Прочее", "Спам", ""])
    return out.getvalue().encode()


def test_the_seed_2021_figures_from_an_imported_export(app, client, auth, make, redis_conn):
    auth.as_role(make, "operator")
    data = export()
    assert len(data) > app.config["IMPORT_BACKGROUND_BYTES"]  # read and stored by the job, as a year's export is
    location = post_file(client, data, "ЦУР 2020-2021.csv").headers["Location"]
    SimpleWorker([mcu_queue.QUEUE_NAME], connection=redis_conn).work(burst=True)
    preview = client.get(location).get_data(as_text=True)
    names = dict(re.findall(r'<tr><td>([^<]*)</td><td>[^<]*</td>\s*<td><select name="(map-[\w-]+)"', preview))
    assert set(names) == {"Паблики Хабаровска", "Ямы", "Непонятно", "Спам"}, names
    topics = {label: key for key, label in re.findall(r'<option value="(to:\d+)">([^<]+)</option>', preview)}
    choices = {names["Паблики Хабаровска"]: "to:public", names["Ямы"]: topics["Дороги"],
               names["Непонятно"]: "to:answered", names["Спам"]: "skip"}
    assert client.post(location, data={"csrf_token": csrf_from(preview), **choices}).status_code == 303
    SimpleWorker([mcu_queue.QUEUE_NAME], connection=redis_conn).work(burst=True)
    result = client.get(location).get_data(as_text=True)
    assert "Создано: 27\u202f947" in result and "Пропущено по вашему выбору строк: 7." in result, result
    assert "строк с ошибками: 0" in result
    assert '<li class="card' not in client.get("/board").get_data(as_text=True)  # two years of history: no card

    viewer = app.test_client()
    from conftest import Auth
    Auth(app, viewer).as_role(make, "viewer")
    assert_seed_figures(viewer)
