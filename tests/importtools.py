"""Test helpers for imports: uploading through the page, and files made to measure: CSV exports of n rows, XLSX
packages written part by part (so a test can make one part huge, lie in a <dimension>, or pack a zip bomb)."""
import html
import io
import re
import zipfile
from datetime import UTC, datetime, timedelta
from xml.sax.saxutils import escape

from conftest import csrf_from

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
HEADERS = ["ID", "Дата поступления", "Автор", "Текст", "Тематика"]


def post_file(client, data: bytes, name: str, **headers):
    """Upload a file through the page as a person does (the form's CSRF token included)."""
    token = csrf_from(client.get("/import/").get_data(as_text=True))
    return client.post("/import/", data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", headers=headers)


def rows(n: int, prefix: str = "R") -> list[list]:
    """n realistic data rows (the last column's topic routes them to «Дороги»)."""
    base = datetime(2026, 11, 1, 9, 0)
    return [[f"{prefix}-{i}", (base + timedelta(minutes=i)).strftime("%d.%m.%Y %H:%M"), f"Житель {i % 97}",
             f"Яма на дороге у дома {i}, прошу заделать", "Дороги"] for i in range(1, n + 1)]


def csv_bytes(n: int, prefix: str = "R") -> bytes:
    lines = [";".join(HEADERS)] + [";".join(row) for row in rows(n, prefix)]
    return ("\n".join(lines) + "\n").encode()


def _cell(ref: str, value) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def sheet_xml(table: list[list], dimension: str | None = None) -> bytes:
    """A worksheet with inline strings; `dimension` is written as given (it may lie)."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    body = "".join(f'<row r="{r}">' + "".join(_cell(f"{letters[c]}{r}", v) for c, v in enumerate(line)) + "</row>"
                   for r, line in enumerate(table, 1))
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return f'<worksheet xmlns="{MAIN}">{dim}<sheetData>{body}</sheetData></worksheet>'.encode()


def xlsx_package(parts: dict[str, bytes | object], level: int = 6) -> bytes:
    """An XLSX made of the given parts plus the package's table of contents (one sheet: xl/worksheets/sheet1.xml).
    A part may be a callable writing into the open zip member, for parts too big to hold in memory."""
    skeleton = {
        "[Content_Types].xml": (
            b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            b'<Default Extension="xml" ContentType="application/xml"/>'
            b'<Override PartName="/xl/workbook.xml" '
            b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            b'<Override PartName="/xl/worksheets/sheet1.xml" '
            b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            b'<Override PartName="/xl/sharedStrings.xml" '
            b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            b'</Types>'),
        "_rels/.rels": (f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC_RELS}/officeDocument" '
                        'Target="xl/workbook.xml"/></Relationships>').encode(),
        "xl/workbook.xml": (f'<workbook xmlns="{MAIN}" xmlns:r="{DOC_RELS}"><sheets><sheet name="Выгрузка" '
                            'sheetId="1" r:id="rId1"/></sheets></workbook>').encode(),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{RELS}"><Relationship Id="rId1" Type="{DOC_RELS}/worksheet" '
            f'Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="{DOC_RELS}/sharedStrings" '
            'Target="sharedStrings.xml"/></Relationships>').encode(),
        "xl/sharedStrings.xml": f'<sst xmlns="{MAIN}"></sst>'.encode(),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as package:
        for name, content in {**skeleton, **parts}.items():
            if callable(content):
                with package.open(name, "w", force_zip64=True) as member:
                    content(member)
            else:
                package.writestr(name, content)
    return out.getvalue()


def xlsx_bytes(table: list[list], dimension: str | None = None) -> bytes:
    return xlsx_package({"xl/worksheets/sheet1.xml": sheet_xml(table, dimension)})


def repeated(pattern: bytes, total: int):
    """A zip member writer: `pattern` repeated to `total` bytes, written a megabyte at a time."""
    def write(member):
        block = pattern * (1024 * 1024 // len(pattern))
        left = total
        while left > 0:
            member.write(block[:left])
            left -= len(block)
    return write


def zip_bomb(unpacked: int) -> bytes:
    """An XLSX whose sheet unpacks to `unpacked` bytes of spaces: a megabyte or so of file."""
    head = f'<worksheet xmlns="{MAIN}"><sheetData>'.encode()

    def write(member):
        member.write(head)
        repeated(b" ", unpacked - len(head))(member)
    return xlsx_package({"xl/worksheets/sheet1.xml": write}, level=1)


def moment(text: str) -> datetime:
    """A «30.11.2026 09:15» in Khabarovsk as an aware UTC datetime."""
    return datetime.strptime(text, "%d.%m.%Y %H:%M").replace(tzinfo=UTC) - timedelta(hours=10)


def notices(response) -> str:
    """The page's notices (messages to the person), as text: what a failing assertion should show."""
    found = re.findall(r'<p class="notice[^"]*"[^>]*>(.*?)</p>', response.get_data(as_text=True), re.DOTALL)
    return " | ".join(html.unescape(re.sub(r"<[^>]+>", "", text)).strip() for text in found)
