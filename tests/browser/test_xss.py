"""Hostile text from feeds and people never runs in a browser: 70 XSS payloads through every text field
that reaches a page (incident, comment, history, people, topics, departments, channels, feed sources),
then the board (full, filtered, refreshed by htmx), the detail pages, the list and reflected query values
are checked in Chromium: no script ran, no request went to the probe, no injected element or handler
exists, the page keeps its structure and the payload reads as text."""
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, unquote, urlsplit

import pytest
from conftest import ON_POSTGRES
from playwright.sync_api import expect

from mcu.board.filters import MAX_QUERY
from mcu.extensions import db
from mcu.lanes import bump
from mcu.models import (
    Channel,
    Comment,
    Department,
    Event,
    FeedSource,
    Incident,
    Topic,
    User,
)
from mcu.search import search_columns
from mcu.text import excerpt
from mcu.workflow import BOARD_COLUMNS

from .conftest import log_in

PROBE = "/xss-probe"  # any request to it means a payload made the browser fetch something
RUN = "window.__xss=1"  # any payload that runs sets this

PAYLOADS = [
    # script in every spelling
    f"<script>{RUN}</script>",
    f'<script src="{PROBE}?script-src"></script>',
    f"<ScRiPt>{RUN}</sCrIpT>",
    "<script>alert(1)</script>",
    f"</script><script>{RUN}</script>",
    f'"><script>{RUN}</script>',
    f"'><script>{RUN}</script>",
    f"</textarea><script>{RUN}</script>",
    f"</title><script>{RUN}</script>",
    f"]]><script>{RUN}</script><!--",
    # images, SVG and media with handlers or loads
    f'<img src=x onerror="{RUN}">',
    f'<img src="{PROBE}?img">',
    "<img src=x onerror=&#x61;lert(1)>",
    f'<svg onload="{RUN}">',
    f"<svg><script>{RUN}</script></svg>",
    f'<svg><image href="{PROBE}?svg-image"/></svg>',
    f'<svg><animate onbegin="{RUN}" attributeName="x" dur="1s"/></svg>',
    f'<video><source onerror="{RUN}"></video>',
    "<body onload=alert(1)>",
    f'<details open ontoggle="{RUN}">',
    f'<input autofocus onfocus="{RUN}">',
    f'<marquee onstart="{RUN}">',
    f'<x onclick="{RUN}">нажми</x>',
    f'<math><mtext><table><mglyph><style><img src=x onerror="{RUN}">',
    f'<noscript><p title="</noscript><img src=x onerror={RUN}>">',
    f'<template><img src=x onerror="{RUN}"></template>',
    # frames, objects, links
    '<iframe src="javascript:top.__xss=1"></iframe>',
    '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
    f'<object data="{PROBE}?object"></object>',
    f'<embed src="{PROBE}?embed">',
    f'<a href="javascript:{RUN}">открыть</a>',
    f"javascript:{RUN}",
    "JaVaScRiPt:alert(1)",
    "\tjavascript:alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:text/html,<script>alert(1)</script>",
    'https://vk.com/wall-1_1" onmouseover="window.__xss=1" x="',
    '<base href="//evil.example/">',
    f'<meta http-equiv="refresh" content="0;url={PROBE}?refresh">',
    # htmx: attributes it would act on, with either prefix, partials, inline handlers
    f'<a hx-get="{PROBE}?hx-get" hx-trigger="load">x</a>',
    f'<div hx-get="{PROBE}?hx-div" hx-trigger="load" hx-swap="outerHTML"></div>',
    f'<div data-hx-get="{PROBE}?data-hx" data-hx-trigger="load"></div>',
    f'<form hx-post="{PROBE}?hx-post" hx-trigger="load"></form>',
    f'<div hx-get="{PROBE}?every" hx-trigger="every 1s"></div>',
    f'<div hx-get="{PROBE}?vals" hx-trigger="load" hx-vals=\'js:{{a: {RUN}}}\'></div>',
    f'<img src=x hx-on:error="{RUN}">',
    f'<div hx-on::load="{RUN}" hx-get="{PROBE}?hx-on"></div>',
    f'<hx-partial hx-target="#lanes" hx-swap="innerHTML"><img src="{PROBE}?partial"></hx-partial>',
    f'" hx-get="{PROBE}?attr-break" hx-trigger="load',
    # attribute breaking, broken and unclosed markup
    f'" onmouseover="{RUN}" x="',
    f"' onfocus='{RUN}' autofocus='",
    f'" autofocus onfocus="{RUN}',
    "<!--",
    "<div",
    '<p class="x',
    "</li></ol></section></div></main><h1>Сломано</h1>",
    # encodings that must not be decoded twice
    f"&lt;script&gt;{RUN}&lt;/script&gt;",
    f"&#60;img src=x onerror={RUN}&#62;",
    "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e",
    # template injection: shown literally, never evaluated
    "{{7*7}} {{ config.SECRET_KEY }} {% raw %}",
    "${7*7} #{7*7} <%= 7*7 %> {{constructor.constructor('alert(1)')()}}",
    # CSS injection
    f'<style>*{{background:url("{PROBE}?style")}}</style>',
    f'<div style="background:url({PROBE}?style-attr)">',
    f'<link rel="stylesheet" href="{PROBE}?link">',
    "red;}</style><style>body{display:none}",
    # text people really send, and text meant to confuse
    "Выход через \u202eexe.txt\u202c — RTL override \u202b\u202bсправа налево\u202c \u2066isolate\u2069",
    "Спасибо! 👨‍👩‍👧‍👦 🏳️‍🌈 👩🏽‍🚒 ❤️‍🔥 🇷🇺 á (e\u0301)",
    "До\x00после\x01\x02\x07\x08\x0b\x0c\x1b[31mкрасный\x1b[0m\x7f\u0085 CR\rLF\r\nконец\u2028\u2029",
    "аdmin раураl ЅСRIРТ <ѕcript>alert(1)</ѕcript> ＜script＞window.__xss=1＜/script＞",
]
LONG = "Очень длинное сообщение. " * 4200 + f'<img src="{PROBE}?long" onerror="{RUN}">'  # ~100 kB
PAYLOADS.append(LONG)
assert len(PAYLOADS) >= 50 and len(set(PAYLOADS)) == len(PAYLOADS)
N = len(PAYLOADS)

# Where a marker may legitimately stand in an attribute: text the templates escape into titles, labels, values.
DOM_CHECK = """
(markers) => {
  const TEXT_ATTRS = new Set(["title", "aria-label", "alt", "placeholder", "value"]);
  const URL_ATTRS = new Set(["href", "src", "action", "formaction", "data", "poster", "xlink:href",
                             "background", "cite", "ping", "srcset", "manifest", "codebase"]);
  const BANNED = new Set(["iframe", "frame", "frameset", "object", "embed", "base", "style", "template",
                          "math", "noscript", "hx-partial", "applet", "marquee", "portal"]);
  const problems = [];
  const hit = (v) => markers.some((m) => v.toLowerCase().includes(m));
  const show = (el) => el.outerHTML.slice(0, 160);
  for (const el of document.querySelectorAll("*")) {
    const tag = el.localName;
    if (BANNED.has(tag)) problems.push("element: " + show(el));
    if (tag === "script" && !(el.getAttribute("src") || "").startsWith("/static/")) problems.push("script: " + show(el));
    if (tag === "meta" && el.hasAttribute("http-equiv")) problems.push("meta: " + show(el));
    for (const a of el.attributes) {
      const name = a.name.toLowerCase(), value = a.value;
      if (name.startsWith("on") || name.includes("hx-on") || name === "srcdoc" || name === "style") {
        problems.push("attribute " + name + ": " + show(el));
        continue;
      }
      const isUrl = URL_ATTRS.has(name) || /^(data-)?hx-(get|post|put|patch|delete)$/.test(name);
      if (isUrl) {
        let url;
        try { url = new URL(value, location.href); } catch (e) { problems.push("bad url: " + show(el)); continue; }
        const external = tag === "a" && el.target === "_blank" && /noopener/.test(el.rel);  // the original post
        if (url.protocol !== "http:" && url.protocol !== "https:") problems.push("url scheme: " + show(el));
        else if (!external && (url.origin !== location.origin || hit(decodeURIComponent(url.pathname))))
          problems.push("url: " + show(el));
      } else if (!TEXT_ATTRS.has(name) && !(tag === "meta" && name === "content") && hit(value)) {
        problems.push("attribute value " + name + ": " + show(el));
      }
    }
  }
  return {problems, xss: window.__xss === undefined ? null : String(window.__xss),
          csp: window.__csp || [], title: document.title};
}
"""
MARKERS = ["xss", "evil.example"]


def stored(value: str, limit: int | None = None) -> str:
    """What a database column keeps of a payload (PostgreSQL text cannot hold NUL)."""
    if ON_POSTGRES:
        value = value.replace("\x00", "")
    return value[:limit] if limit else value


def shown(value: str) -> str:
    """The text a browser shows for stored text: the HTML parser drops NUL and turns CR and CRLF into LF."""
    return value.replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")


def length(model, column: str) -> int | None:
    return getattr(model.__table__.c[column].type, "length", None)


def unique(values: list[str], limit: int | None) -> list[str]:
    """Payloads cut to a column's length, made distinct for unique columns."""
    seen, result = set(), []
    for i, value in enumerate(values):
        value = stored(value, limit)
        if value in seen:
            value = value[: (limit or len(value)) - 6] + f" #{i:04d}"
        seen.add(value)
        result.append(value)
    return result


def p(i: int) -> str:
    return PAYLOADS[i % N]


class World:
    """The hostile data set, and what each page should show of it."""


@pytest.fixture
def world(app, monkeypatch):
    """Every text field that reaches a page filled with payloads, each payload through each field."""
    monkeypatch.setitem(app.config, "PAGE_SIZE", 1000)
    monkeypatch.setitem(app.config, "SEND_FILE_MAX_AGE_DEFAULT", 3600)  # no revalidation of static files per page
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/11")  # the feed badge pings it
    now = datetime.now(UTC)
    w = World()
    with app.app_context():
        w.department_names = unique(PAYLOADS, length(Department, "name"))
        w.short_names = unique(PAYLOADS[7:] + PAYLOADS[:7], length(Department, "short_name"))
        w.topic_names = unique(PAYLOADS[3:] + PAYLOADS[:3], length(Topic, "name"))
        w.channel_names = unique(PAYLOADS[5:] + PAYLOADS[:5], length(Channel, "name"))
        w.channel_codes = unique(PAYLOADS[11:] + PAYLOADS[:11], length(Channel, "code"))
        w.user_names = unique(PAYLOADS[2:] + PAYLOADS[:2], length(User, "name"))
        departments = [Department(name=w.department_names[i], short_name=w.short_names[i], position=100 + i,
                                  colour=stored(p(i), 7)) for i in range(N)]
        db.session.add_all(departments)
        db.session.flush()
        topics = [Topic(name=w.topic_names[i], department_id=departments[i].id, keywords=stored(p(i + 1)))
                  for i in range(N)]
        channels = [Channel(code=w.channel_codes[i], name=w.channel_names[i], position=100 + i) for i in range(N)]
        admin_hash = db.session.scalar(db.select(User.password_hash).limit(1))  # any; field staff never sign in
        users = [User(login=f"xss-field-{i}", name=w.user_names[i], role="field", password_hash=admin_hash or "x",
                      department_id=departments[i].id) for i in range(N)]
        sources = [FeedSource(name=stored(p(i), length(FeedSource, "name")) + f" #{i}", kind="cur_json",
                              url="https://cur.example/feed", last_error=stored(p(i + 1)), consecutive_failures=1,
                              last_error_at=now) for i in range(0, N, 10)]
        db.session.add_all(topics + channels + users + sources)
        db.session.flush()
        w.incidents = []
        for i in range(N):
            status = BOARD_COLUMNS[i % len(BOARD_COLUMNS)]
            fields = {
                "text": stored(p(i)), "author": stored(p(i + 1), length(Incident, "author")),
                "platform": stored(p(i + 2), length(Incident, "platform")),
                "address": stored(p(i + 3), length(Incident, "address")),
                "url": stored(p(i + 4), length(Incident, "url")), "answer_text": stored(p(i + 5)),
                "reason": stored(p(i + 6)), "source": stored(p(i + 7), length(Incident, "source")),
                "external_id": stored(p(i + 8), length(Incident, "external_id") - 8) + f" #{i:05d}",
            }
            incident = Incident(**fields, status=status, topic_id=topics[i].id, department_id=departments[i].id,
                                channel_id=channels[i].id, assignee_id=users[i].id, received_at=now - timedelta(hours=i),
                                first_answer_due=now + timedelta(hours=i - 30), urgent=i % 4 == 0,
                                resolved_at=now - timedelta(hours=1) if status == "resolved" else None,
                                # «Ответ дан», like «Решено», is on the board within the solved window only
                                answered_at=now - timedelta(hours=1) if status == "answered" else None,
                                **search_columns(fields["text"], fields["author"], fields["address"]))
            db.session.add(incident)
            db.session.flush()
            events = [
                Event(incident_id=incident.id, user_id=users[(i + 1) % N].id, kind="status", from_value=stored(p(i + 9)),
                      to_value=stored(p(i + 10)), reason=stored(p(i + 11))),
                Event(incident_id=incident.id, user_id=users[(i + 2) % N].id, kind="assignee",
                      from_value=stored(p(i + 12)), to_value=stored(p(i + 13)), reason=stored(p(i + 14))),
                Event(incident_id=incident.id, kind=stored(p(i + 15), length(Event, "kind"))),
            ]
            comment = Comment(incident_id=incident.id, user_id=users[(i + 3) % N].id, text=stored(p(i + 16)))
            db.session.add_all(events + [comment])
            w.incidents.append({"id": incident.id, "fields": fields, "topic": w.topic_names[i],
                                "department": w.department_names[i], "channel": w.channel_names[i],
                                "assignee": w.user_names[i], "events": events, "comment": comment,
                                "commenter": w.user_names[(i + 3) % N],
                                "event_users": [w.user_names[(i + 1) % N], w.user_names[(i + 2) % N]]})
        # two merged duplicates: off the board, on the list, shown on their original's page
        for k, original in enumerate(w.incidents[:2]):
            duplicate = Incident(source="dup", external_id=f"dup-{k}", text=stored(p(k + 20)),
                                 author=stored(p(k + 21), length(Incident, "author")), status="rejected",
                                 duplicate_of_id=original["id"], department_id=departments[k].id,
                                 topic_id=topics[k].id, channel_id=channels[k].id, received_at=now,
                                 **search_columns(p(k + 20), None, None))
            db.session.add(duplicate)
        db.session.commit()
        for item in w.incidents:
            item["events"] = [(e.from_value, e.to_value, e.reason, e.kind) for e in item["events"]]
            item["comment"] = item["comment"].text
        w.department_ids = [d.id for d in departments]
        w.topic_ids = [t.id for t in topics]
        w.lanes = db.session.scalar(db.select(db.func.count(Department.id))) + 1  # + «Не распределено»
        w.counts = {m: db.session.scalar(db.select(db.func.count(m.id))) for m in (Department, Topic, Channel)}
        w.total = db.session.scalar(db.select(db.func.count(Incident.id)))
    return w


def probed(url: str) -> bool:
    """A request a payload made: to the probe path, or to a host that is not the test server."""
    parts = urlsplit(url)
    return PROBE in unquote(parts.path) or parts.hostname not in ("127.0.0.1", None)


@pytest.fixture
def browser_page(desktop_page):
    """A desktop page that records alerts and requests to the probe."""
    page = desktop_page
    page.dialogs, page.probes = [], []
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.on("request", lambda r: probed(r.url) and page.probes.append(r.url))
    page.on("console", lambda m: "Content Security Policy" in m.text and page.probes.append("CSP: " + m.text))
    return page


@pytest.fixture
def admin(app, make, world):
    """An admin (sees everything, every action form) whose own name is hostile."""
    from mcu.auth.passwords import hash_password
    with app.app_context():
        db.session.add(User(login="xss-admin", name=stored(PAYLOADS[0]), role="admin",
                            password_hash=hash_password("admin-pass-1")))
        db.session.commit()
    return "xss-admin"


def check_page(page, label, result=None):
    """Nothing ran, nothing was injected, nothing was fetched from the probe."""
    result = result or page.evaluate(DOM_CHECK, MARKERS)
    assert result["problems"] == [], f"{label}: injected markup: {result['problems'][:5]}"
    assert result["xss"] is None, f"{label}: a payload ran"
    assert result["csp"] == [], f"{label}: CSP violations (injected script or style): {result['csp'][:5]}"
    assert page.dialogs == [], f"{label}: alert() ran: {page.dialogs}"
    assert page.probes == [], f"{label}: requests by payloads: {page.probes[:5]}"
    return result


CARD_TEXTS = """() => [...document.querySelectorAll("#lanes .card")].map((c) => [
  Number(c.dataset.id), c.querySelector("b").textContent, c.querySelector("p").textContent, c.textContent])"""


def check_board(page, world, cards: list[dict], lanes: int, label: str):
    """Structure intact (lanes, six columns each, the cards, the filter form), payloads read as text."""
    check_page(page, label)
    expect(page.locator("#lanes > section.lane")).to_have_count(lanes)
    expect(page.locator("#lanes .cell")).to_have_count(lanes * len(BOARD_COLUMNS))
    expect(page.locator("#lanes .card")).to_have_count(len(cards))
    expect(page.locator("form.filters")).to_have_count(1)
    expect(page.locator("form.filters select")).to_have_count(4)  # department, topic, channel, deadline
    expect(page.locator("select[name=deadline] option")).to_have_count(3)
    expect(page.locator("form.filters input[name=mine]")).to_have_count(1)
    expect(page.locator("form.filters input[name=q]")).to_have_count(1)
    expect(page.locator("select[name=department] option")).to_have_count(world.counts[Department] + 2)
    expect(page.locator("select[name=topic] option")).to_have_count(world.counts[Topic] + 1)
    expect(page.locator("select[name=channel] option")).to_have_count(world.counts[Channel] + 1)
    shown_cards = {ident: (topic, text, whole) for ident, topic, text, whole in page.evaluate(CARD_TEXTS)}
    assert set(shown_cards) == {c["id"] for c in cards}
    for c in cards:
        topic, text, whole = shown_cards[c["id"]]
        assert topic.startswith(shown(c["topic"])), (label, c["id"])
        # the card reads its text with SQL substr(), which on SQLite ends at a NUL byte (PostgreSQL stores none)
        assert text == shown(excerpt(c["fields"]["text"][:400].split("\x00")[0], 140)), (label, c["id"])
        for part in (c["channel"], c["fields"]["platform"], c["assignee"]):
            assert shown(part) in whole, (label, c["id"], part)
    headings = page.locator("#lanes .lane-head h2").all_text_contents()
    for c in cards:
        assert shown(c["department"]) in headings


UNKNOWN = " (нет такого)"
REFLECTED = [  # unknown filter values come back in a Russian message; a long query is cut and said so
    "department=" + quote(PAYLOADS[11] + UNKNOWN, safe=""),
    "topic=" + quote(PAYLOADS[40] + UNKNOWN, safe=""),
    "channel=" + quote(PAYLOADS[49] + UNKNOWN, safe="") + "&status=" + quote(PAYLOADS[27], safe=""),
    "q=" + quote(PAYLOADS[1] + "x" * MAX_QUERY, safe="") + "&department=" + quote(PAYLOADS[50] + UNKNOWN, safe=""),
]


def test_board_runs_nothing_full_filtered_reflected_and_refreshed(app, world, admin, browser_page, monkeypatch):
    monkeypatch.setitem(app.config, "BOARD_POLL_SECONDS", 1)
    page = browser_page
    log_in(page, admin, "admin-pass-1")
    check_board(page, world, world.incidents, world.lanes, "full board")
    expect(page.locator(".feed-badge")).to_contain_text("источники с ошибками")
    options = page.locator("select[name=topic] option").all_text_contents()
    assert all(shown(name) in options for name in world.topic_names)
    assert shown(PAYLOADS[0]) in page.locator(".who-name").text_content()

    # by department, topic and a hostile channel code, through the URL (what a bookmark does)
    for k in (3, 44, N - 1):
        c = world.incidents[k]
        url = (f"/board?department={world.department_ids[k]}&topic={world.topic_ids[k]}"
               f"&channel={quote(world.channel_codes[k], safe='')}")
        assert page.goto(url).status == 200, url
        check_board(page, world, [c], 1, f"filtered board {k}")
        expect(page.locator("select[name=channel]")).to_have_value(shown(world.channel_codes[k]))

    # free text that matches the markup payloads: the query is echoed into the search box and the poll URL
    assert page.goto("/board?q=" + quote("<script>", safe="")).status == 200
    # the search finds the word «script» (its stem) wherever a text, author or address has it as a word
    keys = {c["id"]: search_columns(c["fields"]["text"], c["fields"]["author"], c["fields"]["address"])
            for c in world.incidents}
    expected = [c for c in world.incidents if "script" in keys[c["id"]]["search_stems"].split()]
    assert len(expected) > 5
    check_board(page, world, expected, len({c["department"] for c in expected}), "text filter")
    expect(page.locator("input[name=q]")).to_have_value("<script>")

    for query in REFLECTED:
        for path in ("/board?", "/incidents/?"):
            assert page.goto(path + query).status == 400, path + query
            check_page(page, path + query[:60])
            expect(page.get_by_role("alert").first).to_contain_text("не найден")
            expect(page.locator("form.filters")).to_have_count(1)
        expect(page.locator("table.list")).to_have_count(1)

    # the poll's lanes-only answer is swapped in by htmx, which would act on any hx- attribute in it
    page.goto("/board")
    check_page(page, "board before the poll")
    version = page.locator(f"#lane-{world.department_ids[0]}").get_attribute("data-version")
    with app.app_context():
        late = Incident(source="late", external_id="late-1", text=stored(PAYLOADS[40]), status="new",
                        author=stored(PAYLOADS[41], 300), platform=stored(PAYLOADS[42], 60),
                        department_id=world.department_ids[0], received_at=datetime.now(UTC))
        db.session.add(late)
        bump([world.department_ids[0]])
        db.session.commit()
        late_id = late.id
    expect(page.locator(f"#incident-{late_id}")).to_be_attached()
    expect(page.locator(f"#lane-{world.department_ids[0]}")).not_to_have_attribute("data-version", version)
    late_card = {"id": late_id, "fields": {"text": stored(PAYLOADS[40]), "platform": stored(PAYLOADS[42], 60)},
                 "topic": "Без тематики", "channel": "", "assignee": "", "department": world.department_names[0]}
    check_board(page, world, world.incidents + [late_card], world.lanes, "board after the htmx poll")
    assert page.url.endswith("/board")  # the swap did not navigate away


DETAIL_TEXTS = """(markers) => {
  const one = (s) => document.querySelector(s);
  const link = one("article.incident a[target=_blank]");
  return {
    check: (""" + DOM_CHECK + """)(markers),
    message: one(".incident-text .message").textContent,
    comments: [...document.querySelectorAll(".incident-comments .message")].map((e) => e.textContent),
    history: one("ol.history").textContent,
    article: one("article.incident").textContent,
    link: link ? link.getAttribute("href") : null,
    forms: document.querySelectorAll("article.incident form").length,
  };
}"""


def test_detail_pages_show_payloads_as_text(app, world, admin, browser_page):
    page = browser_page
    log_in(page, admin, "admin-pass-1")
    for item in world.incidents:
        f = item["fields"]
        label = f"detail {item['id']}"
        assert page.goto(f"/incidents/{item['id']}").status == 200, label
        texts = page.evaluate(DETAIL_TEXTS, MARKERS)
        check_page(page, label, texts["check"])
        assert texts["message"] == shown(f["text"]), label
        assert shown(item["comment"]) in texts["comments"], label
        for from_value, to_value, reason, _kind in item["events"]:
            for part in (from_value, to_value, reason):
                assert shown(part) in texts["history"], (label, part[:80])
        for name in item["event_users"]:
            assert shown(name) in texts["history"], (label, name[:80])
        for part in (f["author"], f["platform"], f["address"], f["answer_text"], f["reason"], f["source"],
                     f["external_id"], item["topic"], item["department"], item["channel"], item["assignee"],
                     item["commenter"]):
            assert shown(part) in texts["article"], (label, part[:80])
        link = f["url"].strip()
        if link.lower().startswith(("http://", "https://")):
            assert texts["link"] == link, label
        else:
            assert texts["link"] is None and shown(f["url"]) in texts["article"], label
        assert texts["forms"] >= 3, label  # the action forms are still there: answer, assign, route, ...
    # merged duplicates are listed, with their hostile author, on the original's page
    page.goto(f"/incidents/{world.incidents[0]['id']}")
    expect(page.locator(".incident-duplicates")).to_contain_text(shown(stored(p(21), 300)))


def test_list_sources_users_and_login_pages_show_payloads_as_text(app, world, admin, browser_page):
    page = browser_page
    page.goto("/login?next=" + quote("javascript:" + RUN, safe=""))
    page.locator("#login").fill(PAYLOADS[50][:80])
    page.locator("#password").fill("wrong")
    page.locator("form button[type=submit]").click()
    expect(page.get_by_role("alert")).to_contain_text("Неверный логин или пароль")
    check_page(page, "login")
    expect(page.locator("#login")).to_have_value(PAYLOADS[50][:80])

    log_in(page, admin, "admin-pass-1")
    page.goto("/incidents/")
    check_page(page, "incident list")
    expect(page.locator("table.list tbody tr")).to_have_count(world.total)
    expect(page.locator("form.filters")).to_have_count(1)
    body = page.locator("table.list").text_content()
    for item in world.incidents:
        start = shown(item["fields"]["text"]).split("\n")[0][:30]
        assert start in body, start
    for name in world.short_names:
        assert shown(name) in body
    page.goto("/incidents/?q=" + quote("onerror", safe="") + "&status=new")
    check_page(page, "filtered incident list")
    expect(page.locator("input[name=q]")).to_have_value("onerror")
    page.goto("/sources/")
    check_page(page, "feed sources")
    expect(page.locator("main")).to_contain_text(shown(stored(p(1))))
    page.goto("/users/")
    check_page(page, "users")
    users = page.locator("table.users").text_content()
    for name in world.user_names[:10]:
        assert shown(name) in users, name
    first = page.locator("table.users tbody tr a").first
    first.click()
    check_page(page, "user form")
