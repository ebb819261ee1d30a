"""Lanes rendered once per version and view, and shared by every screen that shows the same thing.

A view is what decides a lane's markup besides its cards: the filters, whose cards the role reaches (everyone
who sees a lane sees the same cards, except field staff, who see their own), the cap per cell, the solved
window and the names every card shows. 500 screens showing the city cost one render per changed lane.
"""
import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from flask import current_app, get_template_attribute, url_for
from markupsafe import Markup

from ..access import REACH
from ..extensions import db, process_cached
from ..fragments import FragmentCache
from ..lanes import EPOCH_KEY, held_versions, lane_key
from ..queue import redis_url
from ..roles import ROLES
from ..timefmt import city_tz
from ..workflow import BOARD_COLUMNS, RESOLVED, STATUS_NAMES
from .cards import CardCache, CardContext
from .delta import Thinned
from .filters import DUE_TODAY
from .queries import Cell, LaneCards, lane_cards

KEY = "mcu:lane:{epoch}:{lane}:{version}:{view}"
FLIGHT_WAIT_SECONDS = 2.0  # how long a thread waits for the same lane being drawn by another thread of its process
EMPTY = Cell(Markup(""), 0, 0)


def card_cache() -> CardCache:
    """This process's card cache."""
    return process_cached("mcu_card_cache", lambda: CardCache(current_app.config["CARD_CACHE_SIZE"]))


def fragment_cache() -> FragmentCache:
    """This process's client of the shared fragment cache."""
    return process_cached("mcu_fragments", lambda: FragmentCache(redis_url(current_app),
                                                                 current_app.config["FRAGMENT_TTL_SECONDS"]))


def reach_key(user) -> str:
    """Whose cards a lane shows to this user: everyone's ("*") for the roles that see whole lanes, the
    user's own for field staff (the same lane then shows different cards to different workers)."""
    rule = REACH.get(ROLES.get(user.role, {}).get("scope"), ())
    return f"u{user.id}" if any(attribute == "id" for _column, attribute in rule) else "*"


@dataclass
class View:
    """What a lane's markup depends on besides its cards."""

    user: object
    filters: object
    lookups: object
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self):
        cfg = current_app.config
        self.cap = cfg["BOARD_CELL_CARDS"]
        self.window = cfg["SOLVED_WINDOW_HOURS"]
        self.ctx = CardContext.build(self.lookups, self.now, city_tz(), cfg["CARD_TEXT_CHARS"],
                                     url_for("incidents.index"))
        names = repr((sorted(self.filters.args().items()), reach_key(self.user), self.cap, self.window,
                      self.ctx.fingerprint(), self.filtered_by()))
        self.key = hashlib.blake2b(names.encode(), digest_size=10).hexdigest()

    def fragment_key(self, department_id, version: int, versions: dict[str, int]) -> str:
        """Where the lane at this version, drawn for this view, is kept (the database's epoch in it)."""
        return KEY.format(epoch=versions.get(EPOCH_KEY, 0), lane=lane_key(department_id), version=version,
                          view=self.key)

    def filtered_by(self) -> tuple:
        """What else the filters' cards depend on: whose «Мои» they are, and which day «Срок сегодня» is."""
        return (self.user.id if self.filters.mine else None,
                self.now.astimezone(self.ctx.tz).date().isoformat() if self.filters.deadline == DUE_TODAY else None)

    def lane(self, department_id, version: int, cards: LaneCards | None) -> dict:
        """A lane as the template draws it."""
        department = self.lookups.departments.get(department_id)
        found = cards or LaneCards()
        counts = {s: found.cells[s].count if s in found.cells else 0 for s in BOARD_COLUMNS}
        return {"id": department_id, "key": lane_key(department_id), "version": version,
                "name": department.name if department else None, "cells": found.cells,
                "open": sum(n for s, n in counts.items() if s != RESOLVED), "overdue": found.overdue}


def columns() -> list[tuple[str, str]]:
    """The board's columns with their titles, translated once per render, not per lane."""
    return [(s, str(STATUS_NAMES[s])) for s in BOARD_COLUMNS]


def render_lanes(view: View, department_ids: list, versions: dict[str, int]) -> dict:
    """{department_id: lane markup} for these lanes: from the shared cache where another screen already had it
    rendered at this version, else rendered here (one statement for all missing lanes) and shared."""
    return {d: Markup(html) for d, html in _lanes(view, department_ids, versions).items()}


def _lanes(view: View, department_ids: list, versions: dict[str, int]) -> dict:
    """{department_id: the lane's markup as plain text}, the very strings the process holds (their hash is
    computed once: board/delta.py keys its work by it)."""
    fragments = fragment_cache()
    keys = {d: view.fragment_key(d, versions.get(lane_key(d), 0), versions) for d in department_ids}
    found = dict(zip(department_ids, fragments.get_many([keys[d] for d in department_ids]), strict=True))
    missing = [d for d in department_ids if found[d] is None]
    if missing:
        led, flights = fragments.lead([keys[d] for d in missing])
        led = set(led)
        try:
            mine = [d for d in missing if keys[d] in led]
            if mine:
                drawn = draw(view, mine, versions)
                fragments.put_many({keys[d]: html for d, html in drawn.items()})
                found.update(drawn)
        finally:
            fragments.land(list(led))
        for flight in flights:  # another thread of this process is drawing them: its result, the moment it is there
            flight.wait(FLIGHT_WAIT_SECONDS)
        late = [d for d in missing if found[d] is None and fragments.local(keys[d]) is None]
        found.update({d: fragments.local(keys[d]) for d in missing if found[d] is None and d not in late})
        if late:  # that thread failed or took too long: draw them here
            found.update(draw(view, late, versions))
    return found


def render_changed(view: View, department_ids: list, versions: dict[str, int], seen: dict[str, int]) -> dict:
    """{department_id: lane markup} for lanes a screen showed at the versions in ``seen``: each lane thinned to
    what changed since (board/delta.py) where this process or the shared cache still holds the lane as the
    screen has it, else whole."""
    new = _lanes(view, department_ids, versions)
    old_keys = {d: view.fragment_key(d, seen.get(lane_key(d), 0), versions) for d in department_ids}
    olds = dict(zip(department_ids, fragment_cache().get_many([old_keys[d] for d in department_ids]), strict=True))
    thinned = process_cached("mcu_thinned", Thinned)
    new_keys = {d: view.fragment_key(d, versions.get(lane_key(d), 0), versions) for d in department_ids}
    return {d: Markup(new[d] if olds[d] is None else thinned.get(old_keys[d], new_keys[d], olds[d], new[d]))
            for d in department_ids}


@dataclass
class Drawn:
    """A lane drawn now: its markup, and the markup of its heading and of each cell inside it."""

    html: str
    head: str
    cells: dict[str, str]


def draw(view: View, department_ids: list, versions: dict[str, int]) -> dict:
    """Render these lanes now: {department_id: markup}."""
    return {d: drawn.html for d, drawn in draw_parts(view, department_ids, versions).items()}


def draw_parts(view: View, department_ids: list, versions: dict[str, int]) -> dict[object, Drawn]:
    """Render these lanes now, keeping their headings' and cells' markup apart too."""
    cards = lane_cards(db.session.connection(), view.user, view.filters, view.ctx,
                       view.now - timedelta(hours=view.window), view.cap, card_cache(), lanes=department_ids)
    lane_macro, head_macro, cell_macro = (get_template_attribute("board/_macros.html", name)
                                          for name in ("lane", "lane_head", "cell"))
    titles = columns()
    fragments = fragment_cache()
    out = {}
    for d in department_ids:
        lane = view.lane(d, versions.get(lane_key(d), 0), cards.get(d))
        head = str(head_macro(lane["key"], lane["name"], lane["open"], lane["overdue"]))
        cells = {status: str(cell_macro(lane["key"], status, title, lane["cells"].get(status, EMPTY), view.filters,
                                        view.window)) for status, title in titles}
        out[d] = Drawn(str(lane_macro(lane, Markup(head), [Markup(c) for c in cells.values()])), head, cells)
        fragments.renders += 1
    return out


def draw_shared(view: View, department_ids: list, changed: dict[str, int]) -> dict[object, Drawn]:
    """Render these lanes now for a change's answer, and share those at the versions the change gave them
    (``changed``, {lane key: version}): the screens' next polls find them drawn instead of each worker drawing
    them again (docs/live.md «The writer draws»). Their cards are read after the change was committed, so a lane
    is never stored under a newer version than it shows."""
    versions = {**held_versions().get(), **changed}
    fragments = fragment_cache()
    keys = {d: view.fragment_key(d, changed[lane_key(d)], versions) for d in department_ids if lane_key(d) in changed}
    led, _others = fragments.lead(list(keys.values()))  # this process's polls for them wait for this drawing
    try:
        drawn = draw_parts(view, department_ids, versions)
        fragments.put_many({key: drawn[d].html for d, key in keys.items() if key in led})
    finally:
        fragments.land(led)
    return drawn
