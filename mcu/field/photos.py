"""Photos as proof of field work: checked, turned upright, stripped of their metadata, thumbnailed and stored.

Nothing here knows of ``request``. ``process`` takes the bytes as sent and gives a ``Processed`` photo (the JPEG to
store and its thumbnail, in memory, with the shot's time and point read from its EXIF) or raises ``BadPhoto`` with
the Russian reason. Only JPEG, PNG, WebP and HEIC/HEIF (iPhones, through pillow-heif) are opened, the pixel count is
checked from the header before anything is decoded (a decompression bomb is refused unread), and what is stored is a
fresh JPEG of the pixels alone: no EXIF, GPS, XMP or comment survives. ``store`` writes both files under a generated
name (temporary file + rename, so a reader never sees half of one), ``discard`` removes them again.
"""
import io
import logging
import math
import secrets
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pillow_heif
from flask_babel import gettext as _
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError
from werkzeug.security import safe_join

from ..files import NoSpace, atomic_file  # noqa: F401  (NoSpace: the views catch photos.NoSpace)

pillow_heif.register_heif_opener()  # HEIC/HEIF, what iPhones shoot
Image.init()  # every plugin registered, so Image.open knows each name in FORMATS

log = logging.getLogger(__name__)

FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")  # "JPEG" opens MPO too, the JPEG some Android cameras write
CONTENT_TYPE = "image/jpeg"  # every photo is stored as JPEG
MAX_ICC_BYTES = 1024 * 1024  # a colour profile kept (it is no metadata about the shot); a bigger one is dropped
EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC)


class BadPhoto(ValueError):
    """A file that is not taken as a photo, with the Russian reason."""

    def __init__(self, notice: str):
        super().__init__(notice)
        self.notice = notice


@dataclass(frozen=True)
class Limits:
    """The photo settings (config.Defaults: PHOTO_*)."""

    max_bytes: int
    max_pixels: int
    max_side: int
    thumb_side: int
    quality: int

    @classmethod
    def of(cls, cfg) -> "Limits":
        return cls(cfg["PHOTO_MAX_BYTES"], cfg["PHOTO_MAX_PIXELS"], cfg["PHOTO_MAX_SIDE"], cfg["PHOTO_THUMB_SIDE"],
                   cfg["PHOTO_JPEG_QUALITY"])


@dataclass
class Processed:
    """A photo ready to store: its JPEG and thumbnail bytes, its size, and what its EXIF said of the shot."""

    data: bytes
    thumb: bytes
    width: int
    height: int
    taken_at: datetime | None = None
    lat: float | None = None
    lon: float | None = None


def _megapixels(pixels: int) -> int:
    return max(1, round(pixels / 1_000_000))


def _too_big(limits: Limits) -> str:
    return _("Снимок слишком большой: можно не больше %(mp)d мегапикселей.", mp=_megapixels(limits.max_pixels))


def process(raw: bytes, limits: Limits, tz) -> Processed:
    """The photo as it is stored, from the bytes as sent; ``tz`` is the city's zone, for a shot time without one."""
    if not raw:
        raise BadPhoto(_("Файл пустой."))
    if len(raw) > limits.max_bytes:
        raise BadPhoto(_("Файл больше %(mb)d МБ.", mb=limits.max_bytes // (1024 * 1024)))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(raw), formats=FORMATS)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise BadPhoto(_too_big(limits)) from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
            raise BadPhoto(_("Это не фотография: принимаются JPEG, PNG, WebP и HEIC.")) from None
        width, height = image.size
        if width < 1 or height < 1 or width * height > limits.max_pixels:  # known from the header, nothing decoded
            raise BadPhoto(_too_big(limits))
        try:
            image.load()
            taken_at, lat, lon = _shot(image, tz)
            upright = ImageOps.exif_transpose(image)
            return _encode(upright, image.info.get("icc_profile"), limits, taken_at, lat, lon)
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise BadPhoto(_too_big(limits)) from None
        except Exception:  # a file that opens but cannot be read through is the file's fault, never a 500
            log.warning("photo refused: could not be decoded", exc_info=True)
            raise BadPhoto(_("Фото повреждено или не дочитано: его не получилось открыть.")) from None


def _encode(image: Image.Image, icc, limits: Limits, taken_at, lat, lon) -> Processed:
    """A fresh JPEG of the pixels alone (and a thumbnail): no metadata of the original goes along."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        image = Image.new("RGB", rgba.size, (255, 255, 255))
        image.paste(rgba, mask=rgba.getchannel("A"))
    elif image.mode != "RGB":
        image = image.convert("RGB")
    if max(image.size) > limits.max_side:
        image.thumbnail((limits.max_side, limits.max_side), Image.Resampling.LANCZOS, reducing_gap=3.0)
    image.info = {}  # the encoder would otherwise carry a comment of the original along
    extra = {"icc_profile": icc} if isinstance(icc, bytes) and len(icc) <= MAX_ICC_BYTES else {}
    full = io.BytesIO()
    image.save(full, "JPEG", quality=limits.quality, **extra)
    thumb = image.copy()
    thumb.thumbnail((limits.thumb_side, limits.thumb_side), Image.Resampling.BICUBIC, reducing_gap=2.0)
    small = io.BytesIO()
    thumb.save(small, "JPEG", quality=max(limits.quality - 10, 30), **extra)
    return Processed(full.getvalue(), small.getvalue(), image.width, image.height, taken_at, lat, lon)


def _shot(image: Image.Image, tz) -> tuple:
    """(taken at, latitude, longitude) as the camera's EXIF says, each None when it does not (or says nonsense)."""
    exif = image.getexif()
    details = exif.get_ifd(ExifTags.IFD.Exif)
    taken_at = _moment(details.get(ExifTags.Base.DateTimeOriginal) or exif.get(ExifTags.Base.DateTime),
                       details.get(ExifTags.Base.OffsetTimeOriginal), tz)
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    lat = _degrees(gps.get(ExifTags.GPS.GPSLatitude), gps.get(ExifTags.GPS.GPSLatitudeRef), "S", 90)
    lon = _degrees(gps.get(ExifTags.GPS.GPSLongitude), gps.get(ExifTags.GPS.GPSLongitudeRef), "W", 180)
    if lat is None or lon is None or (lat == 0 and lon == 0):
        lat = lon = None
    return taken_at, lat, lon


def _moment(value, offset, tz) -> datetime | None:
    """EXIF's «YYYY:MM:DD HH:MM:SS» (camera's local time; its zone from OffsetTimeOriginal, else the city's)."""
    try:
        local = datetime.strptime(str(value).strip("\x00 ")[:19], "%Y:%m:%d %H:%M:%S")
        if isinstance(offset, str) and len(offset.strip("\x00 ")) == 6:
            sign, hours, minutes = offset[0], int(offset[1:3]), int(offset[4:6])
            shift = timedelta(hours=hours, minutes=minutes) * (-1 if sign == "-" else 1)
            moment = local.replace(tzinfo=timezone(shift))
        else:
            moment = local.replace(tzinfo=tz)
        moment = moment.astimezone(UTC)
    except (TypeError, ValueError, OverflowError):
        return None
    return moment if EARLIEST <= moment < LATEST else None


def _degrees(value, ref, negative: str, limit: int) -> float | None:
    """EXIF's (degrees, minutes, seconds) rationals as signed decimal degrees, or None."""
    try:
        degrees, minutes, seconds = (float(part) for part in value)
        result = degrees + minutes / 60 + seconds / 3600
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if isinstance(ref, str) and ref.strip("\x00 ").upper() == negative:
        result = -result
    return round(result, 7) if math.isfinite(result) and abs(result) <= limit else None


@dataclass(frozen=True)
class Stored:
    """Where a processed photo was written: paths under PHOTO_DIR, and the Photo columns that describe it."""

    stored_name: str
    thumb_name: str
    columns: dict


def store(photo: Processed, folder: str) -> Stored:
    """Write the photo and its thumbnail under a generated name (a subfolder per first two letters); NoSpace when
    the disk is full, with nothing left behind."""
    token = secrets.token_urlsafe(18)
    stored_name, thumb_name = f"{token[:2]}/{token}.jpg", f"{token[:2]}/{token}-t.jpg"
    try:
        _write(Path(folder) / stored_name, photo.data)
        _write(Path(folder) / thumb_name, photo.thumb)
    except BaseException:
        discard(folder, [stored_name])
        raise
    return Stored(stored_name, thumb_name, {
        "stored_name": stored_name, "thumb_name": thumb_name, "content_type": CONTENT_TYPE,
        "size_bytes": len(photo.data), "width": photo.width, "height": photo.height, "taken_at": photo.taken_at,
        "lat": photo.lat, "lon": photo.lon})


def _write(target: Path, data: bytes) -> None:
    """A file written under a temporary name, flushed to the disk and renamed into place."""
    with atomic_file(target, "wb", durable=True) as out:
        out.write(data)


def discard(folder: str, stored_names) -> None:
    """Remove stored photos and their thumbnails (a send that was not carried out keeps nothing)."""
    for name in stored_names:
        for path in (name, name.replace(".jpg", "-t.jpg")):
            found = path_of(folder, path)
            if found is not None:
                Path(found).unlink(missing_ok=True)


def path_of(folder: str, name: str) -> str | None:
    """The file of a stored name, never outside the folder (None for a name that would leave it)."""
    return safe_join(folder, name)
