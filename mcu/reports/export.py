"""The report's tables as files: XLSX (openpyxl in write-only mode, the period and the time of making in the
header, number formats) and CSV (UTF-8 with a BOM and ``;``, as Excel in Russia opens it).

Names in the tables are edited by people; no text cell may become a formula: ``formula_like`` is the one rule.
"""
import csv
import io
from datetime import date, datetime

from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .tables import COUNT, DATE, DECIMAL, PERCENT, SIGNED, Table
from .text import number, title

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may read as the start of a formula
XLSX_FORMATS = {COUNT: "#,##0", SIGNED: "+#,##0;-#,##0;0", PERCENT: "0.0%", DECIMAL: "0.0", DATE: "DD.MM.YYYY"}
BOLD = Font(bold=True)
TITLE = Font(bold=True, size=14)
WIDTHS = {"text": 44, DATE: 13}
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def formula_like(value) -> bool:
    """True for text a spreadsheet would take for a formula (``=HYPERLINK(…)``, ``+7…``, ``-1…``, ``@SUM(…)``)."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_text(value: str) -> str:
    """Text for a CSV cell: formula-like text gets a leading apostrophe, which Excel shows as text."""
    return "'" + value if formula_like(value) else value


def _header(report, made_at: datetime) -> list[tuple[str, str]]:
    compared = title(report.year_before) if report.previous == report.year_before else \
        f"{title(report.previous)}; {title(report.year_before)}"
    return [(_("Период"), f"{title(report.period)} ({report.period.start:%d.%m.%Y}–{report.period.end:%d.%m.%Y})"),
            (_("Сравнение"), compared),
            (_("Сформирован"), made_at.strftime("%d.%m.%Y %H:%M") + f" ({made_at.tzinfo})")]


def _text_cell(sheet, value, font=None):
    """A text cell that stays text: typed as a string (openpyxl would make «=…» a formula) and quote-prefixed
    when it looks like one, so Excel keeps it text even after someone edits it."""
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    if formula_like(value):
        cell.quotePrefix = True
    if font is not None:
        cell.font = font
    return cell


def _cell(sheet, value, kind: str, font=None):
    if value is None:
        return None
    if isinstance(value, str):
        return _text_cell(sheet, value, font)
    cell = WriteOnlyCell(sheet, value=value / 100 if kind == PERCENT else value)
    if kind in XLSX_FORMATS:
        cell.number_format = XLSX_FORMATS[kind]
    if font is not None:
        cell.font = font
    return cell


def xlsx(report, tables: list[Table], made_at: datetime) -> bytes:
    """A workbook with a sheet per table, each headed by the report's period and the time it was made."""
    book = Workbook(write_only=True)
    for table in tables:
        sheet = book.create_sheet(table.title[:31])
        for index, (_name, kind) in enumerate(table.columns):
            sheet.column_dimensions[get_column_letter(index + 1)].width = WIDTHS.get(kind, 16)
        sheet.append([_text_cell(sheet, table.title, TITLE)])
        for label, value in _header(report, made_at):
            sheet.append([_text_cell(sheet, label, BOLD), _text_cell(sheet, value)])
        sheet.append([])
        sheet.append([_text_cell(sheet, name, BOLD) for name, _kind in table.columns])
        for row in table.rows:
            sheet.append([_cell(sheet, value, kind) for value, (_n, kind) in zip(row, table.columns)])
        if table.total is not None:
            sheet.append([_cell(sheet, value, kind, BOLD) for value, (_n, kind) in zip(table.total, table.columns)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _csv_value(value, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return csv_text(value)
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    if kind in (PERCENT, DECIMAL):
        return number(value, 1, grouped=False)
    if kind == SIGNED:
        return f"{value:+d}" if value else "0"
    return str(value)


def csv_bytes(table: Table) -> bytes:
    """One table as CSV: the column names, the rows, the total; UTF-8 with a BOM, «;» between cells, a decimal
    comma, so Excel in a Russian locale opens it as it is."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([csv_text(name) for name, _kind in table.columns])
    for row in table.rows + ([table.total] if table.total is not None else []):
        writer.writerow([_csv_value(value, kind) for value, (_n, kind) in zip(row, table.columns)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")
