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
whose text is escaped, so a card is ``<li class="card…" id="incident-N" …>…</li>`` and a cell a ``<section
class="cell…">`` with no section inside.
"""
import re
import threading
from collections import OrderedDict

CARD = re.compile(r'<li class="card[^"]*" id="(incident-\d+)"[^>]*>.*?</li>', re.DOTALL)
CELL = re.compile(r'<section class="cell[^"]*" id="(cell-[^"]+)"[^>]*>.*?</section>', re.DOTALL)
MOMENT = re.compile(r'(<time [^>]*>)[^<]*(</time>)|(<span class="due-left">)[^<]*(</span>)')


def _sameness(html: str) -> str:
    """The markup without what only the moment of its render wrote."""
    return MOMENT.sub(lambda m: "".join(g for g in m.groups() if g), html)


def thin(old: str, new: str) -> str:
    """``new`` with every cell and card that ``old`` shows the same replaced by a stub naming it."""
    had_cards = {_sameness(m.group(0)) for m in CARD.finditer(old)}
    had_cells = {m.group(1): _sameness(m.group(0)) for m in CELL.finditer(old)}

    def card(m) -> str:
        return f'<li data-keep="{m.group(1)}"></li>' if _sameness(m.group(0)) in had_cards else m.group(0)

    def cell(m) -> str:
        if had_cells.get(m.group(1)) == _sameness(m.group(0)):
            return f'<section data-keep="{m.group(1)}"></section>'
        return CARD.sub(card, m.group(0))

    return CELL.sub(cell, new)


class Thinned:
    """The thinned lanes this process made, by (old key, new key): the screens polling from the same version to
    the same version (most of them, a poll every 2 s) cost one diff per worker. The newest ``limit`` are kept."""

    def __init__(self, limit: int = 512):
        self.limit = limit
        self._held: OrderedDict[tuple, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, old_key: str, new_key: str, old: str, new: str) -> str:
        key = (old_key, new_key)
        found = self._held.get(key)
        if found is None:
            found = thin(old, new)
            with self._lock:
                self._held[key] = found
                while len(self._held) > self.limit:
                    self._held.popitem(last=False)
        return found
