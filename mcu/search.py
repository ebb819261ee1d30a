"""Search that knows Russian (docs/search.md): a message's words as Snowball stems, the query parsed into the
same stems, the condition and the rank for the current database, and the matched words marked in a text.

The stems are computed here, in Python, for both databases: SQLite indexes them with FTS5, PostgreSQL keeps
``to_tsvector('simple', search_stems)`` in a generated column with a GIN index, so both run exactly the same
stemmer and answer alike.
"""
import html
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import Stemmer
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import column, func, literal_column, select, table, text

from .extensions import db
from .models import Incident
from .text import search_key

MAX_WORDS = 8  # words a query searches for at most (a phrase's words count one by one)
MAX_TOKEN = 100  # longer "words" are neither stored nor searched (PostgreSQL ignores lexemes past 2 KB)
RANK_NORMALISATION = 1  # ts_rank divided by 1 + log(the message's length in words), as bm25 weighs length
MAX_TOKENS = 16_000  # words of one message indexed at most (PostgreSQL keeps positions up to 16,383)
FTS_TABLE = "incident_search"  # SQLite: the FTS5 index of incident.search_stems (external content, triggers)
PG_VECTOR = "search_vector"  # PostgreSQL: to_tsvector('simple', search_stems), a stored generated column...
PG_INDEX = "ix_incident_search_vector"  # ...and its GIN index
# Snowball's Russian stop list (snowballstem.org, the list PostgreSQL's `russian` configuration uses), ё as е:
# outside quotes these words are not searched for, since nearly every message has them.
_STOP_LIST = """
и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее мне было вот от меня
еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть был него до вас нибудь опять уж вам ведь там
потом себя ничего ей может они тут где есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже
себе под будет ж тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы нее сейчас
были куда зачем всех никогда можно при наконец два об другой хоть после над больше тот через эти нас про всего них
какая много разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя такой им более всегда
конечно всю между"""
STOP_WORDS = frozenset(_STOP_LIST.split())
# a word: a run of letters and ASCII digits, which FTS5 and PostgreSQL's parser both read as one token; _WORD
# finds runs of \w but _, then the rare run holding another digit or number sign («м²», «٣») is split
_WORD = re.compile(r"[^\W_]+")
_DIGITS = frozenset("0123456789")
_OPENING, _CLOSING = "\"«„“", "\"»“”"
MEMO_SIZE = 200_000  # words whose stems a process remembers (a dictionary look-up is half a stemmer call)
_local = threading.local()  # a PyStemmer object is not to be shared between threads
_memo: dict[str, str] = {}


def _stem_words(words: list[str]) -> list[str]:
    """The Snowball Russian stems of these words, remembered per process."""
    try:
        return list(map(_memo.__getitem__, words))
    except KeyError:
        stemmer = getattr(_local, "stemmer", None)
        if stemmer is None:
            stemmer = _local.stemmer = Stemmer.Stemmer("russian", 0)
        if len(_memo) > MEMO_SIZE:
            _memo.clear()
        found = stemmer.stemWords(words)
        _memo.update(zip(words, found))
        return found


def words_of(folded: str) -> list[str]:
    """The words of a folded text (``text.search_key``), as both databases' indexes read them; over-long ones
    are left out. The usual text costs two scans in C and a check of its words joined."""
    if not folded.isascii() and not unicodedata.is_normalized("NFC", folded):
        folded = unicodedata.normalize("NFC", folded)  # «й» typed as и + a combining breve is one letter
    words = _WORD.findall(folded)
    if not words:
        return words
    if not "".join(words).isalpha():  # digits, or another number sign somewhere
        words = [part for word in words for part in
                 ((word,) if word.isalpha() or word.isascii() else _letters_and_digits(word))]
    if words and max(map(len, words)) > MAX_TOKEN:
        words = [w for w in words if len(w) <= MAX_TOKEN]
    return words


def _letters_and_digits(word: str) -> list[str]:
    """A run of \\w split at what is neither a letter nor an ASCII digit («5а» stays, «м²» is «м»)."""
    return "".join(c if c.isalpha() or c in _DIGITS else " " for c in word).split()


def stems(search_text: str) -> str:
    """A message's search stems from its search text (``Incident.search_stems``): each word's Snowball stem, in
    order, stop words kept (a quoted phrase may hold them), separated by single spaces."""
    return " ".join(_stem_words(words_of(search_text)[:MAX_TOKENS]))


def search_columns(text_: str | None, author: str | None, address: str | None) -> dict:
    """The two search columns of a message: ``search_text`` (the folded text, author and address, which routing's
    keywords read) and ``search_stems``; every writer of a message's text stores both."""
    folded = search_key(text_, author, address)
    return {"search_text": folded, "search_stems": stems(folded)}


@dataclass(frozen=True)
class Query:
    """What a search asks for: stems that must all occur, and runs of stems that must occur in order, next to
    each other (quoted phrases); notices say what of the query was not used."""

    terms: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    notices: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.terms or self.phrases)

    def fts5(self) -> str:
        """The query as an FTS5 MATCH expression: quoted strings, implicitly ANDed (words hold no quotes)."""
        return " ".join(f'"{part}"' for part in (*self.terms, *(" ".join(p) for p in self.phrases)))

    def tsquery(self) -> str:
        """The query as a PostgreSQL tsquery over the 'simple' configuration."""
        parts = [f"'{t}'" for t in self.terms] + ["(" + " <-> ".join(f"'{s}'" for s in p) + ")" for p in self.phrases]
        return " & ".join(parts)


def _segments(query: str):
    """(quoted, text) pieces of a query: «…», "…", „…“ and “…” are phrases; an unclosed one runs to the end."""
    out, start, inside = [], 0, False
    for i, char in enumerate(query):
        if (char in _CLOSING) if inside else (char in _OPENING):
            out.append((inside, query[start:i]))
            start, inside = i + 1, not inside
    out.append((inside, query[start:]))
    return out


@lru_cache(maxsize=512)
def parse(query: str) -> Query:
    """A typed query as stems: case and ё do not matter, punctuation separates words, stop words and
    one-letter words count only inside quotes, a phrase of one word is a word; at most MAX_WORDS words."""
    terms: list[str] = []
    phrases: list[tuple[str, ...]] = []
    room, cut = MAX_WORDS, False
    for quoted, piece in _segments(search_key(query)):
        words = words_of(piece)
        if not quoted:
            words = [w for w in words if w not in STOP_WORDS and (len(w) > 1 or w.isdigit())]
        if len(words) > room:
            words, cut = words[:room], True
        room -= len(words)
        found = _stem_words(words)
        if quoted and len(found) > 1:
            if tuple(found) not in phrases:
                phrases.append(tuple(found))
        else:
            terms.extend(s for s in found if s not in terms)
    notices = []
    if cut:
        notices.append(_("В поиске учитываются первые %(n)d слов, остальные пропущены.", n=MAX_WORDS))
    if not terms and not phrases and query.strip():
        notices.append(_("В строке поиска нет слов, по которым можно искать (предлоги, союзы и знаки не "
                         "ищутся; возьмите их в кавычки), поиск не применён."))
    return Query(tuple(terms), tuple(phrases), tuple(notices))


def _dialect() -> str:
    return db.session.get_bind().dialect.name


_FTS = table(FTS_TABLE, column("rowid"), column("rank"))
_MATCH = literal_column(FTS_TABLE)
_VECTOR = literal_column(f"incident.{PG_VECTOR}")  # not in the model: SQLite has no such column
_SIMPLE = literal_column("'simple'::regconfig")


def _tsquery(query: Query):
    return func.to_tsquery(_SIMPLE, query.tsquery())


def condition(query: Query):
    """The SQL condition "the incident matches the query" for the current database."""
    if _dialect() == "postgresql":
        return _VECTOR.bool_op("@@")(_tsquery(query))
    return Incident.id.in_(select(_FTS.c.rowid).where(_MATCH.op("MATCH")(query.fts5())))


def ranked(stmt, query: Query):
    """A statement over incidents filtered by the query and ordered best match first, newest first within the
    same rank: FTS5's bm25 on SQLite, ts_rank normalised by the message's length on PostgreSQL (docs/search.md)."""
    if _dialect() == "postgresql":
        rank = func.ts_rank(_VECTOR, _tsquery(query), RANK_NORMALISATION)
        return stmt.where(condition(query)).order_by(rank.desc(), Incident.received_at.desc(), Incident.id.desc())
    hits = select(_FTS.c.rowid.label("id"), _FTS.c.rank.label("rank")).where(
        _MATCH.op("MATCH")(query.fts5())).subquery()
    return stmt.join(hits, hits.c.id == Incident.id).order_by(hits.c.rank, Incident.received_at.desc(),
                                                               Incident.id.desc())


def _marks(value: str, query: Query) -> list[tuple[int, int]]:
    """(start, end) of the words of ``value`` the query matches: a word's stem among the words searched for,
    or a run of words spelling a quoted phrase."""
    found = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(value) if len(m.group()) <= MAX_TOKEN]
    if not found:
        return []
    folded = _stem_words([search_key(w) for _s, _e, w in found])
    marked = [s in query.terms for s in folded]
    for phrase in query.phrases:
        n = len(phrase)
        for i in range(len(folded) - n + 1):
            if tuple(folded[i:i + n]) == phrase:
                marked[i:i + n] = [True] * n
    return [(s, e) for (s, e, _w), hit in zip(found, marked, strict=True) if hit]


def highlight(value: str, query: Query, limit: int | None = None) -> Markup:
    """The text escaped, with the words the query matches in <mark>; with ``limit``, about that many characters
    around the first match (the start when none), cut at spaces, with «…» where text was left out."""
    value = value or ""
    spans = _marks(value, query) if query else []
    start, end = 0, len(value)
    if limit is not None and len(value) > limit:
        first = spans[0][0] if spans else 0
        start = max(0, first - limit // 3)
        if start:
            space = value.find(" ", start, first)
            start = space + 1 if space != -1 else start
        end = min(len(value), start + limit)
        if end < len(value):
            space = value.rfind(" ", start, end)
            end = space if space > start + limit // 2 else end
    out, at = ["…" if start else ""], start
    for s, e in spans:
        if s < start or e > end:
            continue
        out.append(html.escape(value[at:s]))
        out.append(f"<mark>{html.escape(value[s:e])}</mark>")
        at = e
    out.append(html.escape(value[at:end]))
    out.append("…" if end < len(value) else "")
    return Markup("".join(out))


def restem(connection, batch: int = 5000) -> int:
    """Write ``search_stems`` of every incident from its ``search_text``, a batch of ids at a time (the
    migration's backfill; again after a stemmer upgrade changes stems). Returns how many rows were written."""
    last, written = 0, 0
    while True:
        rows = connection.execute(text("SELECT id, search_text FROM incident WHERE id > :last ORDER BY id LIMIT :n"),
                                  {"last": last, "n": batch}).all()
        if not rows:
            return written
        connection.execute(text("UPDATE incident SET search_stems = :stems WHERE id = :id"),
                           [{"id": ident, "stems": stems(folded or "")} for ident, folded in rows])
        last, written = rows[-1][0], written + len(rows)


def not_search_index(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic's include_object: leave out of the models' comparison what the models cannot describe, the FTS5
    table with its shadow tables (SQLite), the generated tsvector column and its index (PostgreSQL); everything
    else is compared."""
    if type_ == "table" and name and (name == FTS_TABLE or name.startswith(FTS_TABLE + "_")):
        return False
    return not ((type_ == "index" and name == PG_INDEX) or (type_ == "column" and name == PG_VECTOR))
