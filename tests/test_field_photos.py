"""Photos as proof over HTTP: a camera JPEG is stored upright without its EXIF and GPS (the shot's time and point kept
as fields), with a thumbnail, under a generated name; what is not a photo, too big or a bomb is refused in Russian
and nothing is kept; a full disk is a Russian 503; photos are served only to those who reach the card, and a head
puts them into the answer."""
import errno
import io
import os
from datetime import UTC, datetime

import pytest
from conftest import Auth
from fieldtools import GPS_POINT, GREEN, RED, TEXT_AS_JPEG, camera_jpeg, heic, hidden_fields, jpeg_segments, png_bomb
from PIL import Image
from sqlalchemy import select

from mcu import files
from mcu.extensions import db
from mcu.models import Event, Photo

HX = {"HX-Request": "true"}


@pytest.fixture(autouse=True)
def photo_dir(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_DIR", str(tmp_path / "photos"))
    return tmp_path / "photos"


def files_in(folder) -> list:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def send_photos(client, incident_id, files, **fields):
    page = client.get(f"/field/tasks/{incident_id}").get_data(as_text=True)
    data = {**hidden_fields(page, f"/field/tasks/{incident_id}"), "text": "", **fields,
            "photos": [(io.BytesIO(raw), name) for raw, name in files]}
    return client.post(f"/field/tasks/{incident_id}", data=data, headers=HX, content_type="multipart/form-data")


def all_photos(app) -> list[Photo]:
    with app.app_context():
        return db.session.scalars(select(Photo).order_by(Photo.id)).all()


def near(colour, expected) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(colour, expected, strict=True))


def test_a_camera_jpeg_is_stored_upright_without_exif_or_gps(app, client, auth, make, photo_dir):
    me = auth.as_role(make, "field", "Дороги")
    card = make.incident(assignee_id=me)
    response = send_photos(client, card, [(camera_jpeg(400, 300), "IMG_0001.JPG")], tag="before")
    assert response.status_code == 200, response.get_data(as_text=True)
    [photo] = all_photos(app)
    assert (photo.tag, photo.width, photo.height, photo.content_type) == ("before", 300, 400, "image/jpeg")
    assert (round(photo.lat, 5), round(photo.lon, 5)) == (round(GPS_POINT[0], 5), round(GPS_POINT[1], 5))
    assert photo.taken_at == datetime(2026, 1, 12, 0, 5, tzinfo=UTC)  # 10:05 in Khabarovsk (UTC+10)
    assert "IMG_0001" not in photo.stored_name and photo.stored_name.endswith(".jpg")
    assert files_in(photo_dir) == sorted([photo.stored_name, photo.thumb_name])
    data = (photo_dir / photo.stored_name).read_bytes()
    assert 0xE1 not in jpeg_segments(data) and 0xFE not in jpeg_segments(data)  # no EXIF/XMP, no comment
    assert b"TestPhone" not in data and b"secret comment" not in data
    image = Image.open(io.BytesIO(data))
    assert image.size == (300, 400) and not image.getexif()
    # stored sideways with red at its top-left; turned 90° clockwise, red is at the top right
    assert near(image.getpixel((280, 20)), RED) and near(image.getpixel((20, 20)), GREEN)
    thumb = Image.open(photo_dir / photo.thumb_name)
    assert max(thumb.size) == 320 and thumb.size == (240, 320) and 0xE1 not in jpeg_segments(
        (photo_dir / photo.thumb_name).read_bytes())
    with app.app_context():
        assert [(e.kind, e.to_value) for e in db.session.scalars(select(Event).where(Event.incident_id == card))] == [
            ("photo", "before")]


def test_photos_are_checked_before_anything_is_stored(app, client, auth, make, photo_dir, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_MAX_BYTES", 200_000)
    me = auth.as_role(make, "field", "Дороги")
    card = make.incident(assignee_id=me)
    for raw, name, reason in [
        (TEXT_AS_JPEG, "photo.jpg", "Это не фотография: принимаются JPEG, PNG, WebP и HEIC."),
        (png_bomb(20_000), "big.png", "Снимок слишком большой: можно не больше 50 мегапикселей."),
        (camera_jpeg(2000, 1500)[:3000], "cut.jpg", "Фото повреждено или не дочитано"),
        (os.urandom(200_001), "huge.jpg", "Файл больше 0 МБ."),
        (b"", "empty.jpg", "Файл пустой."),
    ]:
        response = send_photos(client, card, [(camera_jpeg(), "good.jpg"), (raw, name)], text="Фото с места")
        html = response.get_data(as_text=True)
        assert response.status_code == 400, name
        assert f"Фото 2 не принято: {reason}" in html, (name, html[:600])
        assert response.headers["X-MCU-Refused-Files"] == "1"
        assert ">Фото с места</textarea>" in html  # what was typed comes back
    assert all_photos(app) == [] and files_in(photo_dir) == []
    with app.app_context():
        assert db.session.scalar(select(Event.id).where(Event.incident_id == card)) is None


def test_a_decompression_bomb_within_pillows_own_limit_is_refused_by_ours(app, client, auth, make, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_MAX_PIXELS", 1_000_000)
    me = auth.as_role(make, "field", "Дороги")
    card = make.incident(assignee_id=me)
    response = send_photos(client, card, [(png_bomb(1100), "a.png")])
    assert response.status_code == 400
    assert "можно не больше 1 мегапикселей" in response.get_data(as_text=True)


def test_png_webp_and_an_iphone_heic_are_photos_too(app, client, auth, make):
    me = auth.as_role(make, "field", "Дороги")
    card = make.incident(assignee_id=me)
    made = []
    for kind in ("PNG", "WEBP"):
        out = io.BytesIO()
        Image.new("RGBA", (50, 40), (*RED, 255)).save(out, kind)
        made.append((out.getvalue(), f"p.{kind.lower()}"))
    response = send_photos(client, card, [*made, (heic(64, 48), "IMG_0002.HEIC")])
    assert response.status_code == 200, response.get_data(as_text=True)
    assert [(p.width, p.height, p.content_type) for p in all_photos(app)] == [
        (50, 40, "image/jpeg"), (50, 40, "image/jpeg"), (64, 48, "image/jpeg")]


def test_a_full_disk_is_a_russian_503_and_keeps_nothing(app, client, auth, make, photo_dir, monkeypatch):
    me = auth.as_role(make, "field", "Дороги")
    card = make.incident(assignee_id=me)
    real, calls = os.fsync, []

    def second_fails(descriptor):  # the photo is written, its thumbnail finds the disk full
        calls.append(descriptor)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(descriptor)

    monkeypatch.setattr(files.os, "fsync", second_fails)  # every durable write goes through mcu.files
    response = send_photos(client, card, [(camera_jpeg(), "a.jpg")], text="Сделано", step="done")
    assert response.status_code == 503 and response.headers["Retry-After"] == "300"
    assert "закончилось место" in response.get_data(as_text=True)
    assert files_in(photo_dir) == [] and all_photos(app) == []


def test_a_refused_step_keeps_no_photo_file(app, client, auth, make, photo_dir):
    me = auth.as_role(make, "field", "Дороги")
    card = make.incident(assignee_id=me, status="answered")
    response = send_photos(client, card, [(camera_jpeg(), "a.jpg")], step="on_site")
    assert response.status_code == 400 and "уже закончена" in response.get_data(as_text=True)
    assert files_in(photo_dir) == [] and all_photos(app) == []


def test_an_after_photo_is_proof_enough_for_done(app, client, auth, make, monkeypatch):
    monkeypatch.setitem(app.config, "FIELD_DONE_REQUIRES", "photo")
    me = auth.as_role(make, "field", "Дороги")
    card = make.incident(assignee_id=me)
    assert send_photos(client, card, [(camera_jpeg(), "a.jpg")], step="done", tag="before").status_code == 400
    assert send_photos(client, card, [(camera_jpeg(), "a.jpg")], step="done", tag="after").status_code == 200


def test_photos_are_served_only_to_those_who_reach_the_card(app, client, auth, make):
    roads = "Дороги"
    me = auth.as_role(make, "field", roads)
    card = make.incident(assignee_id=me)
    assert send_photos(client, card, [(camera_jpeg(), "a.jpg")]).status_code == 200
    [photo] = all_photos(app)
    full, small = f"/field/photos/{photo.id}", f"/field/photos/{photo.id}/small"
    for path in (full, small):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "image/jpeg"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Cache-Control"] == "private, max-age=86400"
        assert Image.open(io.BytesIO(response.data)).format == "JPEG"
    for role, department, status in [("head", roads, 200), ("admin", None, 200), ("viewer", None, 200),
                                     ("field", roads, 404), ("head", "Транспорт", 404)]:
        other = app.test_client()
        Auth(app, other).as_role(make, role, department)
        assert other.get(full).status_code == status, (role, department)
        assert other.get(small).status_code == status, (role, department)
    stranger = app.test_client()
    assert stranger.get(full).status_code == 404 and stranger.get(small).status_code == 404
    assert client.get(f"/field/photos/{photo.id + 1}").status_code == 404


def test_a_head_sees_the_photos_and_puts_one_into_the_answer(app, client, auth, make):
    me = auth.as_role(make, "field", "Дороги")
    card = make.incident(assignee_id=me)
    send_photos(client, card, [(camera_jpeg(), "a.jpg")], tag="after")
    [photo] = all_photos(app)
    head = app.test_client()
    Auth(app, head).as_role(make, "head", "Дороги")
    page = head.get(f"/incidents/{card}").get_data(as_text=True)
    assert f'<img src="/field/photos/{photo.id}/small" alt="Фото №{photo.id}, после"' in page
    assert f'href="/field/photos/{photo.id}"' in page
    form = hidden_fields(page, f"/field/photos/{photo.id}/answer")
    assert form["attach"] == "1"
    response = head.post(f"/field/photos/{photo.id}/answer", data=form)
    assert response.status_code == 303 and response.headers["Location"] == f"/incidents/{card}#photos"
    assert all_photos(app)[0].in_answer
    page = head.get(f"/incidents/{card}").get_data(as_text=True)
    assert "Фото к ответу" in page and "Убрать из ответа" in page
    with app.app_context():
        assert db.session.scalars(select(Event.to_value).where(Event.kind == "photo_answer")).all() == [str(photo.id)]
    # the worker sees the photo on the task but may not put it into the answer
    own = hidden_fields(client.get(f"/field/tasks/{card}").get_data(as_text=True), f"/field/tasks/{card}")
    refused = client.post(f"/field/photos/{photo.id}/answer", data={**own, "attach": ""})
    assert refused.status_code == 403 and all_photos(app)[0].in_answer


def test_a_send_bigger_than_the_limits_allow_is_a_russian_413(app, client, auth, make, monkeypatch):
    monkeypatch.setitem(app.config, "PHOTO_MAX_BYTES", 100_000)
    monkeypatch.setitem(app.config, "PHOTO_MAX_PER_SEND", 2)
    me = auth.as_role(make, "field", "Дороги")
    card = make.incident(assignee_id=me)
    response = send_photos(client, card, [(os.urandom(700_000), "a.jpg"), (os.urandom(700_000), "b.jpg")])
    assert response.status_code == 413
    assert "Слишком много за одну отправку: не больше 2 фото по 0 МБ" in response.get_data(as_text=True)
    assert all_photos(app) == []
