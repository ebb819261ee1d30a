"""Text helpers of the domain: search keys, card excerpts, and feed texts made plain."""
import html
import re

from lxml import etree

_SPACES = re.compile(r"\s+")


def search_key(*parts: str | None) -> str:
    """Lower-cased, ё-folded text for case-insensitive search on every database (SQLite's lower() is ASCII-only)."""
    joined = " ".join(p for p in parts if p)
    return _SPACES.sub(" ", joined.casefold().replace("ё", "е")).strip()


def like_pattern(query: str) -> str:
    """A LIKE pattern matching the query anywhere, with the user's % and _ taken literally (escape char \\)."""
    escaped = search_key(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


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
# a block's edge ends the line unless it has just ended; a <br> ends the line, or makes an empty one where the
# line has just ended; whitespace between them is the source's layout (the characters are removed from the
# text before parsing, so only the walk below puts them there)
_BLOCK_EDGE, _LINE_BREAK = "\x00", "\x01"
_BREAKS = re.compile(r"\s*[\x00\x01][\s\x00\x01]*")
_LINE_SPACES = re.compile(r"[ \t]+")
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
    value = value.replace("\r\n", "\n").translate(_CHARACTERS)
    if "<" in value and _MARKUP.search(value):
        value = html_to_text(value)
    elif "&" in value and _ENTITY.search(value):
        value = html.unescape(value).translate(_CHARACTERS)
    return value.strip()


def scrub(value: str) -> str:
    """A text with the characters no text column should keep removed or replaced (see clean_text); markup and
    entities are left as they are (for identifiers, links and names of things)."""
    if not needs_cleaning(value):
        return value
    return value.replace("\r\n", "\n").translate(_CHARACTERS).strip()


def html_to_text(markup: str) -> str:
    """The text a browser would show for an HTML fragment, as plain lines (lxml's HTML parser)."""
    root = etree.fromstring(markup.encode("utf-8", "replace"), _PARSER)
    body = root.find("body") if root is not None else None
    if body is None:
        return ""
    out = []
    walker = etree.iterwalk(body, events=("start", "end"))
    for event, element in walker:
        tag = element.tag
        if event == "start":
            if tag in _HIDDEN:
                walker.skip_subtree()
                continue
            if tag == "br":
                out.append(_LINE_BREAK)
            elif tag in _BLOCKS:
                out.append(_BLOCK_EDGE)
            if element.text:
                out.append(element.text)
        else:
            if tag in _BLOCKS:
                out.append(_BLOCK_EDGE)
            elif tag in _CELLS:
                out.append(" ")
            if element.tail and element is not body:
                out.append(element.tail)
    text = _BREAKS.sub(_line_breaks, "".join(out)).translate(_CHARACTERS)
    lines = (_LINE_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def _line_breaks(run: re.Match) -> str:
    """The line breaks a run of block edges and <br>s (and the whitespace among them) makes."""
    marks = run.group()
    return "\n" * (marks.count(_LINE_BREAK) + (marks.lstrip()[0] == _BLOCK_EDGE))
