"""Reading a CSV or XLSX export as a stream: the header row found among the first rows, columns matched by their
Russian headers in any order, then one Record or RowError per data row. The file is never held whole: a CSV is
decoded line by line, an XLSX sheet is read by openpyxl's read-only mode (shared strings and styles are read
whole: mcu/imports/limits.py bounds them before this module opens anything)."""
import codecs
import csv
import hashlib
import io
import re
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import chain
from typing import Self

from flask_babel import gettext as _
from openpyxl import load_workbook
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from ..feeds import values
from ..feeds.records import Record, RowError

# our field -> headers that mean it (compared case-, ё-, space- and punctuation-insensitively)
COLUMNS = {
    "external_id": ("ID", "Ид", "Идентификатор", "Номер", "№", "Номер сообщения", "Номер обращения",
                    "Номер инцидента", "Код", "Внешний ID"),
    "received_at": ("Дата поступления", "Дата", "Дата создания", "Дата сообщения", "Дата обращения",
                    "Дата и время", "Дата и время поступления", "Время поступления", "Поступило", "Создано"),
    "channel": ("Канал", "Источник", "Канал поступления", "Источник сообщения"),
    "platform": ("Платформа", "Соцсеть", "Социальная сеть", "Площадка", "Сеть"),
    "author": ("Автор", "Пользователь", "Заявитель", "Имя", "ФИО", "Автор сообщения"),
    "text": ("Текст", "Сообщение", "Текст сообщения", "Содержание", "Обращение", "Описание", "Текст обращения"),
    "url": ("Ссылка", "URL", "Ссылка на пост", "Ссылка на сообщение", "Ссылка на публикацию", "Link"),
    "address": ("Адрес", "Место", "Адрес проблемы"),
    "topic": ("Тематика", "Рубрика", "Тема", "Категория", "Рубрикатор"),
    "department": ("Подразделение", "Ответственный", "Ответственное подразделение", "Структурное подразделение",
                   "Исполнитель", "Ответственный исполнитель"),
    "status": ("Статус", "Состояние", "Статус сообщения"),
    "answered_at": ("Дата ответа", "Время ответа", "Дата и время ответа"),
    "answer_text": ("Текст ответа", "Ответ", "Ответ заявителю", "Официальный ответ"),
    "urgent": ("Срочно", "Срочное", "Срочность"),
}
FIELD_NAMES = {"external_id": "ID", "received_at": "Дата поступления", "channel": "Канал", "platform": "Платформа",
               "author": "Автор", "text": "Текст", "url": "Ссылка", "address": "Адрес", "topic": "Тематика",
               "department": "Подразделение", "status": "Статус", "answered_at": "Дата ответа",
               "answer_text": "Текст ответа", "urgent": "Срочно"}
HEADER_SCAN_ROWS = 10  # a report's title lines above the header row are skipped
MAX_ROW_CHARS = 2 * 1024 * 1024  # one CSV record (its lines together): far above any real row
ENCODING_CHUNK = 1024 * 1024
_PUNCT = re.compile(r"[\s:*.\"'«»()_\-]+")


class TableError(ValueError):
    """The file as a whole cannot be imported; str() is a Russian message for people."""


def header_key(header) -> str:
    """A header in comparison form: «Дата  поступления:» and «дата поступления» are the same."""
    return _PUNCT.sub(" ", str(header or "").casefold().replace("ё", "е")).strip()


SYNONYMS = {header_key(name): fld for fld, names in COLUMNS.items() for name in names}


def number(n: int) -> str:
    """A count for a message, with narrow spaces: «100 000»."""
    return f"{n:,}".replace(",", "\u202f")


class TooManyRows(TableError):
    """More rows than the limit: declared by the sheet (`rows` known) or met while reading (`rows` None)."""

    def __init__(self, rows: int | None, limit: int):
        if rows is None:
            message = _("В файле больше %(limit)s строк, а за один раз можно импортировать не больше %(limit)s. "
                        "Разделите файл на части.", limit=number(limit))
        else:
            message = _("В файле %(rows)s строк, а за один раз можно импортировать не больше %(limit)s. "
                        "Разделите файл на части.", rows=number(rows), limit=number(limit))
        super().__init__(message)


@dataclass
class Table:
    """A file's header row, how its columns were matched, and its data rows as a stream (with their row numbers
    in the file); `reader` tells how far reading has got."""

    headers: list[str]
    rows: Iterator[tuple[int, list]]
    reader: "Reader"
    columns: dict = field(default_factory=dict)  # our field -> column index
    unknown: list[str] = field(default_factory=list)


class Reader:
    """A CSV or XLSX file opened for reading row by row; counts the rows against `max_rows` as it goes."""

    def __init__(self, path, kind: str, max_rows: int, sheet: tuple[str, str] | None = None):
        self.path, self.kind, self.max_rows = path, kind, max_rows
        self.sheet_name, self.sheet_part = sheet or (None, None)
        self.rows_read = 0
        self._file = self._book = self._source = None
        self._start, self._span = 0, 1

    def __enter__(self) -> Self:
        self._file = open(self.path, "rb")
        return self

    def __exit__(self, *exc) -> None:
        if self._source is not None:
            self._source.close()  # its own cleanup first, while the file is open
        if self._book is not None:
            self._book.close()
        self._file.close()

    def fraction(self) -> float:
        """How much of the file (of the XLSX sheet's packed bytes) has been read: 0..1."""
        return min(max((self._file.tell() - self._start) / self._span, 0.0), 1.0)

    def lines(self) -> Iterator[list]:
        """Every row of the file as a list of cell values; TooManyRows past the limit."""
        self._source = self._xlsx_lines() if self.kind == "xlsx" else self._csv_lines()
        for line in self._source:
            self.rows_read += 1
            if self.rows_read > self.max_rows:
                raise TooManyRows(None, self.max_rows)
            yield line

    def _csv_lines(self) -> Iterator[list]:
        encoding = _encoding(self._file)
        self._file.seek(0)
        self._span = max(self.path.stat().st_size, 1)
        text = io.TextIOWrapper(self._file, encoding=encoding, newline="")
        sample = text.read(64 * 1024)
        delimiter = _delimiter("\n".join(sample.splitlines()[:20]))
        text.seek(0)
        pending = [0]  # characters of the record being read: one that never ends is refused, not gathered whole

        def guarded():
            for line in text:
                pending[0] += len(line)
                if pending[0] > MAX_ROW_CHARS:
                    raise TableError(_("Файл CSV не принят: в нём есть строка длиннее 2 МБ (возможно, не закрыта "
                                       "кавычка)."))
                yield line

        try:
            for row in csv.reader(guarded(), delimiter=delimiter):
                pending[0] = 0
                yield row
        except csv.Error as exc:
            raise TableError(_("Файл CSV не читается: %(e)s.", e=str(exc))) from None
        finally:
            text.detach()  # the binary file stays ours to close

    def _xlsx_lines(self) -> Iterator[list]:
        try:
            with _sizes_unread():  # keep_links=False: links to other workbooks are never read
                self._book = load_workbook(self._file, read_only=True, data_only=True, keep_links=False)
            sheet = self._book[self.sheet_name] if self.sheet_name in self._book.sheetnames else self._book.active
            if not isinstance(sheet, ReadOnlyWorksheet):
                sheet = self._book.worksheets[0]
            with zipfile.ZipFile(self._file) as package:  # where the sheet's packed bytes lie, for fraction()
                info = package.getinfo(self.sheet_part) if self.sheet_part else None
            if info is not None:
                self._start, self._span = info.header_offset, max(info.compress_size, 1)
            else:
                self._span = max(self.path.stat().st_size, 1)
            rows = sheet.iter_rows(values_only=True)
        except Exception:  # noqa: BLE001 -- openpyxl raises many kinds for a damaged or foreign file
            raise TableError(_("Файл не читается как таблица XLSX.")) from None
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except Exception:  # noqa: BLE001 -- the same, met in the middle of the sheet
                raise TableError(_("Файл не читается как таблица XLSX: он повреждён в середине.")) from None
            yield list(row)


_LOADING = threading.Lock()


@contextmanager
def _sizes_unread():
    """While a workbook opens, openpyxl reads every sheet's size, and a sheet without a <dimension> (openpyxl's own
    files, many exporters) is parsed whole for it: twice the reading, and the rows' elements kept meanwhile. The
    size is not needed (rows are counted as they are read) and would do harm when it lies (openpyxl stops reading
    at the last row it declares), so that pass is skipped, for this opening only: every row is read."""
    with _LOADING:
        size = ReadOnlyWorksheet._get_size
        ReadOnlyWorksheet._get_size = lambda sheet: None
        try:
            yield
        finally:
            ReadOnlyWorksheet._get_size = size


def _encoding(file) -> str:
    """UTF-8 (with or without BOM) or Windows-1251, checked over the whole file in chunks."""
    for encoding in ("utf-8-sig", "cp1251"):
        file.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := file.read(ENCODING_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            continue
    raise TableError(_("Файл не в кодировке UTF-8 и не в Windows-1251."))


def _delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t").delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        return max(";,\t", key=first.count)


@contextmanager
def opened(path, kind: str, max_rows: int, sheet: tuple[str, str] | None = None) -> Iterator[Table]:
    """The file's Table (an XLSX's sheet given as (name, part)), its data rows read as they are consumed; the file
    is closed on leaving."""
    with Reader(path, kind, max_rows, sheet) as reader:
        lines = reader.lines()
        head = []
        for line in lines:
            head.append(line)
            if len(head) == HEADER_SCAN_ROWS:
                break
        header_at, best = None, 0
        for n, line in enumerate(head):
            hits = sum(1 for cell in line if header_key(cell) in SYNONYMS)
            if hits > best:
                header_at, best = n, hits
        if header_at is None or best < 2:
            raise TableError(_("Не найдена строка заголовков: ожидаются столбцы «ID», «Дата поступления», «Текст» "
                               "и другие (в любом порядке)."))
        headers = ["" if h is None else str(h).strip() for h in head[header_at]]
        rows = chain(((n + 1, line) for n, line in enumerate(head) if n > header_at),
                     ((n, line) for n, line in enumerate(lines, len(head) + 1)))
        table = Table(headers, rows, reader)
        for index, header in enumerate(headers):
            fld = SYNONYMS.get(header_key(header))
            if fld and fld not in table.columns:
                table.columns[fld] = index
            elif header:
                table.unknown.append(header)
        if "received_at" not in table.columns:
            raise TableError(_("Нет столбца «Дата поступления» (или «Дата»)."))
        if "text" not in table.columns and "external_id" not in table.columns:
            raise TableError(_("Нет ни столбца «Текст», ни столбца «ID»."))
        yield table


def _cell(value) -> str:
    """A cell as text: whole numbers without «.0», dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return values.text(value)


def records(table: Table, tz) -> Iterator[Record | RowError]:
    """One Record per non-empty row, in order; a row that cannot be read is a RowError naming its row number."""
    cols = table.columns
    for number, line in table.rows:
        if not any(_cell(v) for v in line):
            continue

        def get(fld, line=line):
            index = cols.get(fld)
            return line[index] if index is not None and index < len(line) else None

        raw = {header or f"Столбец {i + 1}": _cell(line[i]) if i < len(line) else ""
               for i, header in enumerate(table.headers)}
        try:
            received = values.moment(get("received_at"), tz)
        except ValueError as exc:
            yield RowError(str(number), _("«Дата поступления»: %(e)s", e=str(exc)))
            continue
        if received is None:
            yield RowError(str(number), _("не заполнена «Дата поступления»"))
            continue
        text, author = _cell(get("text")), _cell(get("author"))
        external_id = _cell(get("external_id"))
        if not external_id:
            if not text:
                yield RowError(str(number), _("нет ни «ID», ни «Текста»"))
                continue
            # no ID column: a stable one from the content, so importing the same file twice changes nothing
            external_id = "row-" + hashlib.blake2b(f"{received.isoformat()}|{author}|{text}".encode(),
                                                   digest_size=10).hexdigest()
        try:
            answered = values.moment(get("answered_at"), tz)
        except ValueError as exc:
            yield RowError(str(number), _("«Дата ответа»: %(e)s", e=str(exc)))
            continue
        yield Record(
            external_id=external_id[:200], received_at=received, raw=raw, text=text, author=author,
            platform=_cell(get("platform")), url=_cell(get("url")), address=_cell(get("address")),
            channel=_cell(get("channel")) or None, topic=_cell(get("topic")) or None,
            department=_cell(get("department")) or None, status=_cell(get("status")) or None,
            answer_text=_cell(get("answer_text")), answered_at=answered, urgent=values.boolean(get("urgent")))
