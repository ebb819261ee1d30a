"""A changed lane as the difference from what the screen already shows (docs/live.md «Only what changed»).

A lane is rendered once per version and shared; a screen that polls from version ``a`` to ``b`` already holds the
lane as it was at ``a``. Sending it the whole lane again costs every open city board about a megabyte per poll
while 20 heads work. Instead the lane at ``b`` goes out with each cell and card the screen already has, unchanged,
replaced by a stub naming it (``<section data-keep="cell-7-new">``, ``<li data-keep="incident-42">``);
static/js/board.js puts the screen's own element back in place of each stub before the lane is morphed, and asks
for the whole lane when a stub names something the screen lacks.

"Unchanged" ignores only what a render's moment writes into a card (its age and the time left, which
static/js/deadlines.js keeps current in the page); anything else, the urgency's colour, the escalation mark, a
name, counts the card or cell as changed. The markup is the project's own (board/_macros.html, board/cards.py),
whose text is escaped, so a card is ``<li class="card…" id="incident-N" …>…</li>`` with no list item inside,
and a cell a ``<section class="cell…" id="cell-…">`` with no section inside; they are found with ``str.find``.
"""
import re
import threading
from collections import OrderedDict

CARD = ('<li class="card', "</li>")
CELL = ('<section class="cell', "</section>")
ID = re.compile(r' id="([^"]+)"')  # an element's own id: the first after its tag's class
CARD_VERSION = re.compile(r' id="incident-(\d+)" data-id="\d+" data-version="(\d+)"')
COUNT = re.compile(r'<span class="count">(\d+)</span>')
AGE = re.compile(r'(<time [^>]*>)[^<]*</time>')
LEFT = re.compile(r'<span class="due-left">[^<]*</span>')


class Mismatch(ValueError):
    """A lane's markup is not as this module reads it: the lane goes out whole."""


def _sameness(html: str) -> str:
    """The markup without what only the moment of its render wrote."""
    return LEFT.sub('<span class="due-left"></span>', AGE.sub(r"\1</time>", html))


def _spans(html: str, element: tuple, start: int = 0, end: int | None = None):
    """(start, end) of each element of this kind (cards, cells: none nested in its own kind) in html[start:end]."""
    opening, closing = element
    end = len(html) if end is None else end
    at = html.find(opening, start, end)
    while at != -1:
        stop = html.find(closing, at, end)
        if stop == -1:
            raise Mismatch(opening)
        stop += len(closing)
        yield at, stop
        at = html.find(opening, stop, end)


def _id(html: str, at: int) -> str:
    return ID.search(html, at).group(1)


def fnv(text: str) -> str:
    """FNV-1a (32 bits) of ASCII text, as static/js/board.js computes it."""
    value = 0x811C9DC5
    for byte in text.encode():
        value = ((value ^ byte) * 0x01000193) & 0xFFFFFFFF
    return format(value, "x")


def cell_sum(cell: str) -> str:
    """What a screen checks before it keeps its own cell for a stub: the count and each card's id and version."""
    count = COUNT.search(cell)
    cards = ",".join(f"{i}.{v}" for i, v in CARD_VERSION.findall(cell))
    return fnv(f"{count.group(1) if count else ''}|{cards}")


class Shape:
    """What a rendered lane holds, as compared across versions: each cell's markup and its cards' without the
    moment's words (made once per rendering and process, however many screens poll from it or to it)."""

    __slots__ = ("cards", "cell_cards", "cells")

    def __init__(self, html: str):
        plain = _sameness(html)
        self.cells, self.cell_cards, self.cards = {}, {}, set()
        for start, end in _spans(plain, CELL):
            cell = _id(plain, start)
            self.cells[cell] = plain[start:end]
            self.cell_cards[cell] = [plain[a:b] for a, b in _spans(plain, CARD, start, end)]
            self.cards.update(self.cell_cards[cell])


def thin(old: Shape, new: str, new_shape: Shape) -> str:
    """``new`` with every cell and card that ``old`` shows the same replaced by a stub naming it, with what the
    screen checks before it keeps its own (a card's version, a cell's sum); ``new`` whole on any mismatch."""
    out, done = [], 0
    try:
        for start, end in _spans(new, CELL):
            cell = _id(new, start)
            out.append(new[done:start])
            if old.cells.get(cell) == new_shape.cells[cell]:
                out.append(f'<section data-keep="{cell}" data-sum="{cell_sum(new[start:end])}"></section>')
            else:
                done = start
                for (a, b), same in zip(_spans(new, CARD, start, end), new_shape.cell_cards[cell], strict=True):
                    out.append(new[done:a])
                    if same in old.cards:
                        ident, version = CARD_VERSION.search(new, a, b).groups()
                        out.append(f'<li data-keep="incident-{ident}" data-version="{version}"></li>')
                    else:
                        out.append(new[a:b])
                    done = b
                out.append(new[done:end])
            done = end
    except (KeyError, ValueError, AttributeError):  # not the markup this module reads: the lane whole
        return new
    out.append(new[done:])
    return "".join(out)


class Thinned:
    """The thinned lanes this process made, and the shapes of the renderings they came from, by rendering (its key
    and its text's hash: two workers may render one lane version at moments a card apart): the screens polling
    from the same rendering to the same rendering (most of them, a poll every 2 s) cost one diff per worker, and
    a rendering's shape is made once. The newest ``limit`` of each are kept."""

    def __init__(self, limit: int = 512):
        self.limit = limit
        self._held: OrderedDict[tuple, str] = OrderedDict()
        self._shapes: OrderedDict[tuple, Shape] = OrderedDict()
        self._lock = threading.Lock()

    def _keep(self, table: OrderedDict, key, value):
        with self._lock:
            table[key] = value
            while len(table) > self.limit:
                table.popitem(last=False)
        return value

    def shape(self, key: tuple, html: str) -> Shape:
        found = self._shapes.get(key)
        return found if found is not None else self._keep(self._shapes, key, Shape(html))

    def get(self, old_key: str, new_key: str, old: str, new: str) -> str:
        """The lane ``new`` thinned against ``old``, both plain text (a Markup's own methods would escape): the
        strings the process holds, whose hashes Python computed once."""
        olds, news = (old_key, hash(old)), (new_key, hash(new))
        found = self._held.get((olds, news))
        if found is None:
            try:
                found = thin(self.shape(olds, old), new, self.shape(news, new))
            except (ValueError, AttributeError):  # a rendering whose shape cannot be read: the lane whole
                found = new
            self._keep(self._held, (olds, news), found)
        return found
