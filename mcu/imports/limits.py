"""What an import file may be, checked before anything parses it: its size; for an XLSX (a zip package) the
unpacked size of its parts and their compression ratios, read from the zip directory, the rows its sheet declares,
how many distinct texts it holds and the longest stretch of a sheet without a row end. Each refusal is a
TableError whose text is a Russian reason; docs/feeds.md («Import») says why each limit is what it is."""
import posixpath
import re
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

from flask_babel import gettext as _

from .table import TableError, TooManyRows, number

MB = 1024 * 1024
RATIO_FROM_BYTES = MB  # smaller parts may be as repetitive as they like: they cannot hurt
MAX_ROW_BYTES = 2 * MB  # Excel's own limits (16,384 columns, 32,767 characters a cell) keep real rows far below
STRUCTURE_BYTES = MB  # the package's table of contents (.rels, workbook.xml): kilobytes in real files
HEAD_BYTES = 64 * 1024  # where a sheet's <dimension> is looked for
SCAN_CHUNK = MB
_DIMENSION = re.compile(rb"<(?:[\w.-]+:)?dimension\b[^>]*?\bref=[\"'][A-Za-z$]*\d*:?\$?[A-Za-z]*\$?(\d+)[\"']")
_SHEET_DATA = re.compile(rb"<(?:[\w.-]+:)?sheetData\b")
_SHARED_STRING = re.compile(rb"<(?:[\w.-]+:)?si[\s/>]")
_ROW_END = b"row>"  # </row> and </x:row>


@dataclass(frozen=True)
class Limits:
    """The import settings (IMPORT_* in mcu/config.py), read once from an app's config."""

    max_bytes: int
    max_rows: int
    unpacked_bytes: int
    part_bytes: int
    strings_bytes: int
    shared_strings: int
    ratio: int
    background_bytes: int
    chunk_rows: int

    @classmethod
    def of(cls, config) -> "Limits":
        return cls(max_bytes=int(config["IMPORT_MAX_BYTES"]), max_rows=int(config["IMPORT_MAX_ROWS"]),
                   unpacked_bytes=int(config["IMPORT_XLSX_MAX_UNPACKED_BYTES"]),
                   part_bytes=int(config["IMPORT_XLSX_MAX_PART_BYTES"]),
                   strings_bytes=int(config["IMPORT_XLSX_MAX_STRINGS_BYTES"]),
                   shared_strings=int(config["IMPORT_XLSX_MAX_SHARED_STRINGS"]),
                   ratio=int(config["IMPORT_XLSX_MAX_RATIO"]),
                   background_bytes=int(config["IMPORT_BACKGROUND_BYTES"]),
                   chunk_rows=int(config["IMPORT_CHUNK_ROWS"]))


@dataclass(frozen=True)
class Package:
    """What the checks learnt about a file: its kind, how much reading it means, and for an XLSX its sheet."""

    kind: str  # "csv" or "xlsx"
    work_bytes: int  # the CSV's bytes, or the XLSX's parts unpacked: what reading it costs
    declared_rows: int | None = None  # the sheet's <dimension>, when it has one
    sheet: tuple[str, str] | None = None  # (name, part) of the sheet imported: the active one, as openpyxl chooses
    worksheets: tuple = ()  # every worksheet part (streamed by openpyxl, so scanned, not size-limited)
    strings_part: str | None = None


def megabytes(n: int) -> str:
    """A size for a message: «2,5» or «256»."""
    value = n / MB
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}".replace(".", ",")


def kind_of(filename: str, head: bytes) -> str:
    """"xlsx" or "csv" from the name and the first bytes; anything else is refused."""
    name = (filename or "").lower()
    if name.endswith(".xlsx") or head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if name.endswith((".csv", ".txt")):
        return "csv"
    raise TableError(_("Поддерживаются только файлы CSV и XLSX."))


def check(path, filename: str, limits: Limits) -> Package:
    """Everything that can be told without parsing: size, kind, and an XLSX's parts and declared rows."""
    size = path.stat().st_size
    if size == 0:
        raise TableError(_("Файл пуст."))
    if size > limits.max_bytes:
        raise TableError(_("Файл больше %(n)s МБ.", n=megabytes(limits.max_bytes)))
    with open(path, "rb") as fh:
        head = fh.read(4)
    if kind_of(filename, head) == "csv":
        return Package("csv", size)
    try:
        with zipfile.ZipFile(path) as package:
            return _check_xlsx(package, limits)
    except TableError:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, ValueError, ElementTree.ParseError, EOFError,
            NotImplementedError):
        raise TableError(_("Файл не читается как таблица XLSX.")) from None


def _check_xlsx(package: zipfile.ZipFile, limits: Limits) -> Package:
    """The zip directory's sizes (Python's zipfile never unpacks more than a part's declared size, so the
    directory cannot lie to us about them), then the package's table of contents, then the sheet's dimension."""
    infos = package.infolist()
    total = sum(info.file_size for info in infos)
    if total > limits.unpacked_bytes:
        raise TableError(_("Файл XLSX в распакованном виде занимает %(size)s МБ, а можно не больше %(limit)s МБ. "
                           "Разделите файл на части.", size=megabytes(total), limit=megabytes(limits.unpacked_bytes)))
    for info in infos:
        if info.file_size >= RATIO_FROM_BYTES and info.file_size > limits.ratio * max(info.compress_size, 1):
            raise TableError(_("Файл XLSX не принят: его часть «%(name)s» сжата в %(ratio)s раз, так сжимаются "
                               "только искусственно созданные файлы (обычные таблицы — не больше чем в %(limit)s "
                               "раз).", name=info.filename, ratio=number(info.file_size // max(info.compress_size, 1)),
                               limit=number(limits.ratio)))
    sheets, active = _sheets(package)
    worksheets = tuple(part for part, _name, is_worksheet in sheets if is_worksheet)
    if not worksheets:
        raise TableError(_("В файле XLSX нет листа с таблицей."))
    strings = _strings_part(package)
    for info in infos:
        if info.filename in worksheets:
            continue  # streamed row by row; bounded by the total and scanned before reading (see scan)
        limit = limits.strings_bytes if info.filename == strings else limits.part_bytes
        if info.file_size > limit:
            raise TableError(_("Файл XLSX не принят: его часть «%(name)s» в распакованном виде занимает %(size)s МБ, "
                               "а можно не больше %(limit)s МБ.", name=info.filename,
                               size=megabytes(info.file_size), limit=megabytes(limit)))
    chosen = sheets[active] if 0 <= active < len(sheets) and sheets[active][2] else \
        next(sheet for sheet in sheets if sheet[2])
    declared = _declared_rows(package, chosen[0])
    if declared is not None and declared > limits.max_rows:
        raise TooManyRows(declared, limits.max_rows)
    return Package("xlsx", total, declared, (chosen[1], chosen[0]), worksheets, strings)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml(package: zipfile.ZipFile, name: str) -> ElementTree.Element:
    if package.getinfo(name).file_size > STRUCTURE_BYTES:
        raise ValueError(name)
    return ElementTree.fromstring(package.read(name))


def _resolve(folder: str, target: str) -> str:
    """A relationship's target as a part name, the way openpyxl resolves it."""
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))


def _sheets(package: zipfile.ZipFile) -> tuple[list[tuple[str, str, bool]], int]:
    """The workbook's sheets in order as (part, name, is a worksheet) and the active one's index, as openpyxl
    reads them: the officeDocument relationship names the workbook part, whose own relationships name the sheets."""
    book_part = "xl/workbook.xml"
    for rel in _xml(package, "_rels/.rels"):
        if (rel.get("Type") or "").endswith("/officeDocument") and rel.get("Target"):
            book_part = _resolve("", rel.get("Target"))
    folder, name = posixpath.split(book_part)
    book = _xml(package, book_part)
    targets = {rel.get("Id"): (_resolve(folder, rel.get("Target") or ""), rel.get("Type") or "")
               for rel in _xml(package, posixpath.join(folder, "_rels", name + ".rels"))}
    present = set(package.namelist())
    views = [element for element in book.iter() if _local(element.tag) == "workbookView"]
    active = int(views[0].get("activeTab") or 0) if views else 0
    sheets = []
    for element in book.iter():
        if _local(element.tag) == "sheet":
            rel_id = next((value for key, value in element.attrib.items() if _local(key) == "id"), None)
            part, kind = targets.get(rel_id, ("", ""))
            if part in present:
                sheets.append((part, element.get("name") or "", "chartsheet" not in kind))
    return sheets, active


def _strings_part(package: zipfile.ZipFile) -> str | None:
    names = [name for name in package.namelist() if name.lower().endswith("sharedstrings.xml")]
    return names[0] if names else None


def _declared_rows(package: zipfile.ZipFile, part: str) -> int | None:
    """The last row of the sheet's <dimension ref="A1:N500">, when it comes before the data."""
    with package.open(part) as stream:
        head = stream.read(HEAD_BYTES)
    found = _DIMENSION.search(head)
    data = _SHEET_DATA.search(head)
    if found is None or (data is not None and data.start() < found.start()):
        return None
    return int(found.group(1))


def scan(path, found: Package, limits: Limits) -> None:
    """The checks that read a whole part, unpacked in chunks and never parsed (about 1 s per 256 MB): how many
    distinct texts openpyxl would keep in memory, and that no worksheet has a stretch longer than MAX_ROW_BYTES
    without a row end (one huge cell, a row of a million cells, or junk between rows would be built whole)."""
    if found.kind != "xlsx":
        return
    with zipfile.ZipFile(path) as package:
        if found.strings_part:
            count = _count(package, found.strings_part, _SHARED_STRING)
            if count > limits.shared_strings:
                raise TableError(_("В файле XLSX %(n)s разных текстов, а можно не больше %(limit)s. Разделите файл "
                                   "на части.", n=number(count), limit=number(limits.shared_strings)))
        for part in found.worksheets:
            if _longest_stretch(package, part) > MAX_ROW_BYTES:
                raise TableError(_("Файл XLSX не принят: на листе есть строка или фрагмент длиннее %(n)s МБ, "
                                   "таких в выгрузках не бывает.", n=megabytes(MAX_ROW_BYTES)))


def _count(package: zipfile.ZipFile, part: str, pattern: re.Pattern) -> int:
    """Matches of a short pattern in a part, read in chunks; a match across two chunks is counted once."""
    count, tail = 0, b""
    with package.open(part) as stream:
        while chunk := stream.read(SCAN_CHUNK):
            buffer = tail + chunk
            count += sum(1 for m in pattern.finditer(buffer) if m.end() > len(tail))
            tail = buffer[-32:]
    return count


def _longest_stretch(package: zipfile.ZipFile, part: str) -> int:
    """The most bytes of a part between two row ends (its start and end count as ends)."""
    longest = running = 0
    with package.open(part) as stream:
        tail = b""
        while chunk := stream.read(SCAN_CHUNK):
            pieces = (tail + chunk).split(_ROW_END)
            if len(pieces) == 1:
                running += len(chunk)
            else:
                longest = max(longest, running + len(pieces[0]), *(len(p) for p in pieces[1:-1]))
                running = len(pieces[-1])
            if running > MAX_ROW_BYTES:
                return running
            tail = pieces[-1][-(len(_ROW_END) - 1):]  # a row end split between two chunks
    return max(longest, running)
