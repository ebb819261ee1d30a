"""Text helpers of the domain: search keys, card excerpts, and feed texts made plain."""
import html
import logging
import re

from lxml import etree

_SPACES = re.compile(r"\s+")
log = logging.getLogger(__name__)


def search_key(*parts: str | None) -> str:
    """Lower-cased, ё-folded text for case-insensitive search on every database (SQLite's lower() is ASCII-only)."""
    joined = " ".join(p for p in parts if p)
    return _SPACES.sub(" ", joined.casefold().replace("ё", "е")).strip()


def excerpt(text: str, limit: int) -> str:
    """The first words of a message, cut at a word boundary."""
    text = " ".join((text or "")[:limit + 40].split())
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip(" ,.;:—-") + "…"


# Characters a stored text does without: C0 controls but tab and line feed, soft hyphens, zero-width and
# direction marks (they hide words from search), lone surrogates (no database can store them); Unicode spaces
# (the no-break space of «&nbsp;» first) become plain spaces, line and paragraph separators line feeds.
_DROPPED = (*range(0x09), 0x0b, 0x0c, *range(0x0e, 0x20), 0x7f, 0xad, *range(0x200b, 0x2010),
            *range(0x202a, 0x202f), *range(0x2060, 0x2070), 0xfeff)
_CHARACTERS = {**{c: None for c in _DROPPED}, **{c: " " for c in (0xa0, *range(0x2000, 0x200b), 0x202f, 0x205f,
                                                                   0x3000)},
               0x0d: "\n", 0x2028: "\n", 0x2029: "\n", **{c: "\ufffd" for c in range(0xd800, 0xe000)}}
_SUSPECT = re.compile("[<&" + "".join(f"\\U{c:08x}" for c in sorted(_CHARACTERS) if c < 0xd800)
                      + "\ud800-\udfff]")
# markup: a tag of HTML's own vocabulary with well-formed attributes, a comment or a doctype; «a < b и c > d»
# and «<Иванов>» are not
_TAGS = ("a|abbr|address|article|aside|audio|b|big|blockquote|body|br|center|cite|code|col|dd|del|details|div|"
         "dl|dt|em|embed|figcaption|figure|font|footer|form|h[1-6]|head|header|hr|html|i|iframe|img|input|ins|"
         "kbd|li|link|main|mark|meta|nav|noscript|object|ol|p|picture|pre|q|s|script|section|small|source|span|"
         "strike|strong|style|sub|summary|sup|svg|table|tbody|td|template|tfoot|th|thead|title|tr|tt|u|ul|"
         "video|wbr")
_MARKUP = re.compile(rf"<(?:/?(?:{_TAGS})(?:\s+[a-z_:][-a-z0-9_:.]*(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|"
                     rf"[^\s\"'=<>`]+))?)*\s*/?>|!--|!doctype\s)", re.IGNORECASE | re.ASCII)
_ENTITY = re.compile(r"&(?:[a-z][a-z0-9]{1,31}|#[0-9]{1,7}|#x[0-9a-f]{1,6});", re.IGNORECASE | re.ASCII)
_PARSER = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, huge_tree=True,
                           no_network=True)  # a parser serialises its use across threads (lxml)
_HIDDEN = frozenset(("script", "style", "template", "noscript", "iframe", "object", "svg", "head", "title"))
_BLOCKS = frozenset(("address", "article", "aside", "blockquote", "center", "dd", "details", "div", "dl", "dt",
                     "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
                     "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tr", "ul"))
_CELLS = frozenset(("td", "th"))
_LINE_SPACES = re.compile(r"[ \t]+")
_LINE_EDGES = re.compile(r" ?\n ?")
_BLANK_LINES = re.compile(r"\n{3,}")


def needs_cleaning(value: str) -> bool:
    """Whether clean_text or scrub could change the text; false for the usual plain text after two scans in C
    (every character _CHARACTERS changes is one str.isprintable() refuses, as a test checks)."""
    if "<" in value or "&" in value:
        return True
    return not value.replace("\n", " ").isprintable() and _SUSPECT.search(value) is not None


def clean_text(value: str) -> str:
    """A feed's or a file's text as the board keeps it: HTML markup made plain text (line breaks of <br>, <p>,
    <div>, <li> kept, scripts and styles dropped with their content), entities decoded, no-break spaces made
    spaces, invisible characters removed. Text without markup, entities or such characters is returned as
    it is, at the cost of one regular-expression scan."""
    if not needs_cleaning(value):
        return value
    value = _characters(value.replace("\r\n", "\n"))
    if "<" in value and _MARKUP.search(value):
        try:
            value = html_to_text(value)
        except (etree.LxmlError, ValueError):  # never seen; the text is then kept as it came, and escaped
            log.warning("HTML not parsed, text kept as it came: %.80r", value, exc_info=True)
    elif "&" in value and _ENTITY.search(value):
        value = _characters(html.unescape(value))
    return value.strip()


def scrub(value: str) -> str:
    """A text with the characters no text column should keep removed or replaced (see clean_text); markup and
    entities are left as they are (for identifiers, links and names of things)."""
    if not needs_cleaning(value):
        return value
    return _characters(value.replace("\r\n", "\n")).strip()


def _characters(value: str) -> str:
    """The text with the characters of _CHARACTERS changed (str.translate, slow on non-ASCII text, only when
    one of them is there: they are all unprintable)."""
    return value if value.replace("\n", " ").isprintable() else value.translate(_CHARACTERS)


def html_to_text(markup: str) -> str:
    """The text a browser would show for an HTML fragment, as plain lines (lxml's HTML parser). A block's edge
    ends the line unless it has just ended; a <br> ends the line, or makes an empty one where the line has
    just ended; the whitespace around a run of them is the source's layout, not text."""
    root = etree.fromstring(markup.encode("utf-8", "replace"), _PARSER)
    body = root.find("body") if root is not None else None
    if body is None:
        return ""
    out, breaks = [], 0  # breaks: the line breaks of the run of edges and <br>s being read (0: none)
    walker = etree.iterwalk(body, events=("start", "end"))
    for event, element in walker:
        tag = element.tag
        if event == "start":
            if tag in _HIDDEN:
                walker.skip_subtree()
                continue
            edge, br, chunk = tag in _BLOCKS, tag == "br", element.text
        else:
            edge, br = tag in _BLOCKS, False
            chunk = None if element is body else element.tail
            if tag in _CELLS:
                chunk = " " + (chunk or "")
        if edge or br:
            if not breaks:  # a run starts: the whitespace before it belongs to it
                while out and not out[-1].strip():
                    out.pop()
                if out:
                    out[-1] = out[-1].rstrip()
                breaks = 1
            elif br:
                breaks += 1
        if chunk:
            if breaks:
                chunk = chunk.lstrip()
                if not chunk:
                    continue
                out.append("\n" * breaks)
                breaks = 0
            out.append(chunk)
    text = _characters("".join(out).replace("\xa0", " "))  # no-break spaces: the usual entity, the fast way
    text = _LINE_EDGES.sub("\n", _LINE_SPACES.sub(" ", text))
    return _BLANK_LINES.sub("\n\n", text).strip()
