"""Test helpers for reports: moments of the city's wall clock, history lines, and reading back what a person gets
(the page's tables and paragraph, the XLSX workbook, the CSV file)."""
import csv
import html
import io
from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from mcu.extensions import db
from mcu.models import Event

CITY = ZoneInfo("Asia/Vladivostok")


def at(text: str, tz=CITY) -> datetime:
    """«11.01.2021 10:00» on the city's wall clock, as an aware moment."""
    return datetime.strptime(text, "%d.%m.%Y %H:%M").replace(tzinfo=tz)


def returned(app, incident_id: int, times: int = 1) -> None:
    """History lines of the answer being sent back for revision, as a move to «На доработке» writes them."""
    with app.app_context():
        for _ in range(times):
            db.session.add(Event(incident_id=incident_id, kind="status", from_value="answered", to_value="returned",
                                 reason="Ответ неполный"))
        db.session.commit()


class _Tables(HTMLParser):
    """Every <table data-table=…> as rows of cell texts (head, body and foot), and the report paragraph."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tables, self.paragraph = {}, None
        self._table = self._row = self._cell = None
        self._in_paragraph = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "data-table" in attrs:
            self._table = self.tables.setdefault(attrs["data-table"], [])
        elif tag == "tr" and self._table is not None:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "p" and "report-paragraph" in (attrs.get("class") or ""):
            self._in_paragraph, self.paragraph = True, ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._table.append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        elif tag == "p":
            self._in_paragraph = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._in_paragraph:
            self.paragraph += data


def page_tables(page: str) -> tuple[dict, str]:
    """{table name: [[cell text, ...], ...]} with the header row first, and the paragraph's text."""
    parser = _Tables()
    parser.feed(page)
    return parser.tables, html.unescape(parser.paragraph or "")


def workbook(data: bytes):
    return load_workbook(io.BytesIO(data))


def sheet_rows(sheet) -> list[list]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode()), "no BOM: Excel would not read it as UTF-8"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
