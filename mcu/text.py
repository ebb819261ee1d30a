"""Text helpers of the domain: search keys and card excerpts."""
import re

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
