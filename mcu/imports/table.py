"""Reading a CSV or XLSX export: columns found by their Russian headers in any order, one Record per row."""
import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time

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
_PUNCT = re.compile(r"[\s:*.\"'«»()_\-]+")


class TableError(ValueError):
    """The file as a whole cannot be imported; str() is a Russian message for people."""


def header_key(header) -> str:
    """A header in comparison form: «Дата  поступления:» and «дата поступления» are the same."""
    return _PUNCT.sub(" ", str(header or "").casefold().replace("ё", "е")).strip()


SYNONYMS = {header_key(name): fld for fld, names in COLUMNS.items() for name in names}


@dataclass
class Table:
    """A file's header row and data rows (with their spreadsheet row numbers), and how columns were matched."""

    headers: list[str]
    rows: list[tuple[int, list]]
    columns: dict = field(default_factory=dict)  # our field -> column index
    unknown: list[str] = field(default_factory=list)


def read(data: bytes, filename: str) -> Table:
    """Read a CSV or XLSX file into a Table, finding the header row and matching its columns."""
    name = (filename or "").lower()
    if name.endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        lines = _xlsx_rows(data)
    elif name.endswith((".csv", ".txt")):
        lines = _csv_rows(data)
    else:
        raise TableError("Поддерживаются только файлы CSV и XLSX")
    header_at, best = None, 0
    for n, line in enumerate(lines[:HEADER_SCAN_ROWS]):
        hits = sum(1 for cell in line if header_key(cell) in SYNONYMS)
        if hits > best:
            header_at, best = n, hits
    if header_at is None or best < 2:
        raise TableError("Не найдена строка заголовков: ожидаются столбцы «ID», «Дата поступления», «Текст» "
                         "и другие (в любом порядке)")
    headers = ["" if h is None else str(h).strip() for h in lines[header_at]]
    table = Table(headers, [(n + 1, line) for n, line in enumerate(lines) if n > header_at])
    for index, header in enumerate(headers):
        fld = SYNONYMS.get(header_key(header))
        if fld and fld not in table.columns:
            table.columns[fld] = index
        elif header:
            table.unknown.append(header)
    if "received_at" not in table.columns:
        raise TableError("Нет столбца «Дата поступления» (или «Дата»)")
    if "text" not in table.columns and "external_id" not in table.columns:
        raise TableError("Нет ни столбца «Текст», ни столбца «ID»")
    return table


def _csv_rows(data: bytes) -> list[list]:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise TableError("Файл не в кодировке UTF-8 и не в Windows-1251")
    sample = "\n".join(text.splitlines()[:20])
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=";,\t")
        delimiter = dialect.delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        delimiter = max(";,\t", key=first.count)
    return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


def _xlsx_rows(data: bytes) -> list[list]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 -- openpyxl raises many kinds for a damaged or foreign file
        raise TableError("Файл не читается как таблица XLSX") from None
    try:
        sheet = book.active or book.worksheets[0]
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def _cell(value) -> str:
    """A cell as text: whole numbers without «.0», dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    return values.text(value)


def records(table: Table, tz, limit: int | None = None) -> tuple[list[Record], list[RowError]]:
    """One Record per non-empty row; a row that cannot be read is a RowError naming its row number."""
    out, errors = [], []
    cols = table.columns
    for number, line in table.rows:
        if limit is not None and len(out) + len(errors) >= limit:
            break
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
            errors.append(RowError(str(number), f"«Дата поступления»: {exc}"))
            continue
        if received is None:
            errors.append(RowError(str(number), "не заполнена «Дата поступления»"))
            continue
        text, author = _cell(get("text")), _cell(get("author"))
        external_id = _cell(get("external_id"))
        if not external_id:
            if not text:
                errors.append(RowError(str(number), "нет ни «ID», ни «Текста»"))
                continue
            # no ID column: a stable one from the content, so importing the same file twice changes nothing
            external_id = "row-" + hashlib.blake2b(f"{received.isoformat()}|{author}|{text}".encode(),
                                                   digest_size=10).hexdigest()
        try:
            answered = values.moment(get("answered_at"), tz)
        except ValueError as exc:
            errors.append(RowError(str(number), f"«Дата ответа»: {exc}"))
            continue
        out.append(Record(
            external_id=external_id[:200], received_at=received, raw=raw, text=text, author=author,
            platform=_cell(get("platform")), url=_cell(get("url")), address=_cell(get("address")),
            channel=_cell(get("channel")) or None, topic=_cell(get("topic")) or None,
            department=_cell(get("department")) or None, status=_cell(get("status")) or None,
            answer_text=_cell(get("answer_text")), answered_at=answered, urgent=values.boolean(get("urgent"))))
    return out, errors
