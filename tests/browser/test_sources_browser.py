"""The feed pages in a real browser: an admin maps an Open311 server's services to topics, desktop and phone."""
import json

from feedtools import FeedServer
from playwright.sync_api import expect

from mcu.extensions import db
from mcu.models import FeedSource


def test_an_admin_maps_services_to_topics_on_the_page(app, make, any_page, sign_in):
    server = FeedServer()
    server.routes["/o/services.json"] = (200, json.dumps([
        {"service_code": "P1", "service_name": "Ямы на дороге", "group": "Улицы"},
        {"service_code": "T1", "service_name": "Мусор во дворе", "group": "Чистота"}]).encode())
    try:
        with app.app_context():
            source = FeedSource(name=f"Open311 {any_page.device}", kind="open311", url=server.url("/o"),
                                interval_seconds=60, enabled=False)
            db.session.add(source)
            db.session.commit()
            source_id = source.id
        page = any_page
        sign_in(page, "admin")
        page.goto("/sources/")
        page.locator(f"a[href='/sources/{source_id}/services']").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"Open311 {page.device}")
        page.get_by_label("Ямы на дороге").select_option(label="Дороги")
        page.get_by_label("Мусор во дворе").select_option(label="Благоустройство")
        page.get_by_role("button", name="Сохранить").click()
        expect(page.locator(".flash, .notice").first).to_contain_text("задано 2 из 2")
        expect(page.get_by_label("Ямы на дороге")).to_have_value(str(make.topic("Дороги")))
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.watch.assert_clean()
        with app.app_context():
            assert db.session.get(FeedSource, source_id).field_mapping == {
                "services": {"P1": "Дороги", "T1": "Благоустройство"}}
    finally:
        server.close()
