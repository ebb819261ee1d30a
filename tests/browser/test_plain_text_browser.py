"""A message that came from a feed as HTML reads, in a real browser, as the lines its author wrote: no tags,
no «&nbsp;», the line breaks kept by the page's styles, and the script it carried never runs."""
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from mcu.extensions import db
from mcu.feeds.ingest import upsert_incidents
from mcu.feeds.records import Record
from mcu.models import Incident

HTML = ("<p>Яма&nbsp;на дороге</p><p>ул. Ленина,&nbsp;5<br>подъезд 2</p>"
        "<script>alert(1)</script><img src=x onerror=alert(2)>")


def test_a_feed_message_in_html_shows_as_plain_lines_and_its_script_never_runs(app, desktop_page, sign_in):
    with app.app_context():
        upsert_incidents([Record(external_id="IM-1", received_at=datetime.now(UTC) - timedelta(hours=1),
                                 raw={"id": "IM-1", "text": HTML}, text=HTML, topic="Дороги")], "ЦУР")
        incident_id = db.session.scalar(db.select(Incident.id).where(Incident.external_id == "IM-1"))
    page = desktop_page
    page.dialogs = []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    sign_in(page, "operator")

    page.goto(f"/incidents/{incident_id}")

    message = page.locator(".incident-text .message").first
    expect(message).to_be_visible()
    assert message.inner_text() == "Яма на дороге\nул. Ленина, 5\nподъезд 2"  # innerText follows white-space
    page.goto("/board?q=яма на")
    expect(page.locator(f"#incident-{incident_id}")).to_contain_text("Яма на дороге ул. Ленина, 5 подъезд 2")
    assert page.dialogs == []
    page.watch.assert_clean()
