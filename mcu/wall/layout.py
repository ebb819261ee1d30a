"""How the wall divides a 16:9 screen among its tiles, in rem (the root font is 2.6 % of the screen's height, 28 px
at 1080p and 56 px at 2160p, so one layout fits both): the columns and rows, how many cards a tile has room for,
and how many characters a card's lines hold. The sizes here are those of static/css/wall.css; the browser test
checks at both sizes that nothing overflows."""
from dataclasses import dataclass

SCREEN_W, SCREEN_H = 68.3, 38.4  # 100vw and 100vh in rem (1 / 1.4625 %, 1 / 2.6 %)
LINE = 1.25  # the height of a line of text (wall.css: line-height)
GAP = 0.3
TILES_W = SCREEN_W - 0.8  # the page's padding
TILES_H = SCREEN_H - 0.8 - 3.7 - 1.4 - 2 * 1.3 - 4 * GAP  # padding; counters, strip, health, legend; gaps
TILE_PAD = 0.5 + 0.3  # a tile's padding and spacing, top to bottom
CARD_PAD = 0.45  # a card's padding and margin
TILE_MIN_W = 9.3
CHAR_W = 0.64  # rem a character takes at most on average (DejaVu Sans, the widest of the fonts wall.css names)
CARD_MIN_W = 14.0  # a department's own screen lays its cards out in columns at least this wide
SPLIT_CHARS = 16  # a card narrower than this many characters gives its topic and its text a line each
META_CHARS = 17  # the longest time left («ещё 59 мин», «⚠ −59 мин») and age («59 мин») with a space between


@dataclass(frozen=True)
class Layout:
    columns: int  # tile columns
    rows: int
    cards: int  # cards a tile shows at most
    card_columns: int  # columns of cards inside a tile
    line_chars: int  # characters of one line of a card
    text_lines: int  # lines of a card's text (under its line of time left and age)
    counts_lines: int  # lines of a tile's counts

    @property
    def split(self) -> bool:
        """A narrow card: its topic on a line of its own, and its text on the next when it has two text lines
        (with one, the topic alone: «Дор…: Ям…» is no text a person reads from 5 m)."""
        return self.line_chars < SPLIT_CHARS

    @property
    def show_age(self) -> bool:
        """A card wide enough for its time left and its age on one line shows both; a narrower one (21 tiles at
        once) the time left alone, which says what to do."""
        return self.line_chars >= META_CHARS


def _chars(width: float) -> int:
    return max(8, int((width - 1.5) / CHAR_W))  # the tile's and the card's padding and borders


def _fit(height: float, width: float, counts_chars: int, card_columns: int = 1, prefer_two: bool = False):
    """(cards, text lines, counts lines) a tile of this size holds: two lines of text per card unless one line
    gives room for more than another row of cards."""
    counts_lines = 1 if _chars(width) >= counts_chars else 2
    room = height - TILE_PAD - LINE * (2 + counts_lines)  # the name line, the counts, «и ещё»
    if room < 0:
        return -1, 1, counts_lines
    two, one = (int(room // (LINE * (1 + lines) + CARD_PAD)) * card_columns for lines in (2, 1))
    if two >= 1 and (prefer_two or two >= one - card_columns):
        return two, 2, counts_lines
    return one, 1, counts_lines


def for_tiles(count: int, counts_chars: int = 0) -> Layout:
    """The layout that shows the most cards per tile (then the widest tiles) for this many tiles, whose longest
    counts line has ``counts_chars`` characters."""
    count = max(1, count)
    if count == 1:  # one department's screen: its cards in columns
        card_columns = max(1, int((TILES_W + GAP) // (CARD_MIN_W + GAP)))
        width = (TILES_W - 0.6 - (card_columns - 1) * GAP) / card_columns
        cards, text_lines, counts_lines = _fit(TILES_H, TILES_W, counts_chars, card_columns, prefer_two=True)
        return Layout(1, 1, max(0, cards), card_columns, _chars(width), text_lines, counts_lines)
    best = None
    for columns in range(1, count + 1):
        width = (TILES_W - (columns - 1) * GAP) / columns
        if width < TILE_MIN_W:
            break
        rows = -(-count // columns)
        cards, text_lines, counts_lines = _fit((TILES_H - (rows - 1) * GAP) / rows, width, counts_chars)
        if cards < 0:
            continue
        key = (cards, text_lines, width)
        if best is None or key > best[0]:
            best = (key, Layout(columns, rows, cards, 1, _chars(width), text_lines, counts_lines))
    if best is None:  # more tiles than the screen holds at the smallest size: as many as fit, names and counts
        columns = int((TILES_W + GAP) // (TILE_MIN_W + GAP))
        return Layout(columns, -(-count // columns), 0, 1, _chars(TILE_MIN_W), 1, 2)
    return best[1]
