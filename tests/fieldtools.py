"""Photos for the field tests, made by the tests themselves: a camera JPEG with EXIF orientation and GPS, a
decompression bomb, a text file named .jpg, an iPhone HEIC; and the hidden fields of a task's form."""
import io
import re
import struct
import zlib

from PIL import Image

# the shot's point, written by hand: 48°28'48.8" N, 135°4'19" E (Khabarovsk, Lenin Square)
GPS_POINT = (48.4802222, 135.0719444)
RED, GREEN = (220, 20, 20), (20, 160, 20)


def camera_jpeg(width=400, height=300, orientation=6, gps=True, taken="2026:01:12 10:05:00") -> bytes:
    """A JPEG as a phone held upright writes it: pixels stored sideways (landscape), red in the stored top-left
    quarter, EXIF Orientation (6: turn 90° clockwise to view), a shot time, a GPS block and a comment."""
    image = Image.new("RGB", (width, height), GREEN)
    image.paste(RED, (0, 0, width // 4, height // 4))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "TestPhone Inc."  # Make
    exif[0x0132] = taken
    if gps:
        exif[0x8825] = {1: "N", 2: (48.0, 28.0, 48.8), 3: "E", 4: (135.0, 4.0, 19.0), 6: 74.5}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"secret comment", quality=90)
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_bomb(side=20_000) -> bytes:
    """A real PNG of side × side pixels (1-bit grey, all black) that packs into a few kilobytes."""
    row = b"\x00" + b"\x00" * ((side + 7) // 8)
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


TEXT_AS_JPEG = "Это не фото, а текстовый файл с расширением .jpg\n".encode()


def heic(width=64, height=48) -> bytes:
    """A HEIC as an iPhone sends it, written by pillow-heif's own API (registering its Pillow plugin here would
    hide whether the app registers it)."""
    import pillow_heif
    out = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", (width, height), RED)).save(out, quality=80)
    return out.getvalue()


def hidden_fields(html: str, action: str) -> dict:
    """The hidden fields of the form posting to `action`, as a browser would send them."""
    form = html[html.index(f'action="{action}"'):]
    form = form[:form.index("</form>")]
    fields = {}
    for tag in re.findall(r"<input[^>]*>", form):
        if 'type="hidden"' in tag:
            fields[re.search(r'name="([^"]+)"', tag).group(1)] = re.search(r'value="([^"]*)"', tag).group(1)
    return fields


def jpeg_segments(data: bytes) -> list[int]:
    """The marker bytes of a JPEG's header segments up to the image data (0xE1: APP1 = EXIF/XMP, 0xFE: comment)."""
    assert data[:2] == b"\xff\xd8"
    found, at = [], 2
    while at < len(data) and data[at] == 0xFF:
        marker = data[at + 1]
        found.append(marker)
        if marker == 0xDA:  # start of scan: header over
            break
        at += 2 + struct.unpack(">H", data[at + 2:at + 4])[0]
    return found
