"""Screenshots checked and re-encoded: only what is really a PNG, JPEG or WebP image gets through,
and only as pixels Pillow drew afresh (no metadata, no EXIF location, no bytes of the original).

Nothing here knows about the database or HTTP. Each refusal raises InvalidInput in the site's
words. The order matters for memory: the size in bytes, the file's own structure and the
image's header size are all checked before a single pixel is decoded, so a decompression bomb
(a small file that says it holds gigapixels) costs a few kilobytes to refuse. Pillow itself is
loaded on the first upload, not by every web worker that never sees one.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
if TYPE_CHECKING:
    from PIL.Image import Image as PillowImage

from .errors import InvalidInput

MAX_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 25_000_000
MAX_SIDE = 2000  # the long side of the stored image
THUMBNAIL_SIDE = 400
THUMBNAIL_TYPE = "image/webp"

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
# Pillow's name for each accepted type: a file is opened only by the plugin its first bytes name.
PILLOW_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
# What other readers look for at the start of a file (browsers sniffing HTML or SVG, PDF readers,
# ZIP and Java archives): an image holding any of these is made to be read as something else.
FOREIGN_MARKERS = (b"<html", b"<head", b"<body", b"<script", b"<svg", b"<iframe", b"<!doctype", b"<?xml",
                   b"%pdf", b"pk\x03\x04")
SNIFFED_BYTES = 1024
# A ZIP reader looks for the archive's end record in the last 64 KiB, wherever the image ends.
ZIP_END_RECORD, ZIP_TAIL = b"PK\x05\x06", 65536 + 22


@dataclass(frozen=True)
class CleanImage:
    """An accepted image, re-encoded, and its thumbnail."""

    content_type: str
    data: bytes
    width: int
    height: int
    thumbnail: bytes
    thumbnail_width: int
    thumbnail_height: int


def not_an_image() -> InvalidInput:
    return InvalidInput(_("This file is not a PNG, JPEG or WebP image."),
                        {"image": _("This file is not a PNG, JPEG or WebP image.")})


def _refused(message: str) -> InvalidInput:
    return InvalidInput(message, {"image": message})


def too_large() -> InvalidInput:
    return _refused(_("Images may be at most %(size)s MB.", size=MAX_BYTES // (1024 * 1024)))


def too_many_pixels() -> InvalidInput:
    return _refused(_("Images may be at most %(count)s megapixels.", count=MAX_PIXELS // 1_000_000))


def clean_image(data: bytes) -> CleanImage:
    """`data` checked and re-encoded (InvalidInput when it is not a PNG, JPEG or WebP image within
    the limits): EXIF orientation applied, at most MAX_SIDE on the long side, nothing but pixels kept."""
    if not data:
        raise _refused(_("Choose an image file."))
    if len(data) > MAX_BYTES:
        raise too_large()
    content_type = sniffed_type(data)
    if content_type is None or not _only_an_image(data, content_type):
        raise not_an_image()
    from PIL import Image  # noqa: PLC0415 - loaded on the first upload

    image = _opened(data, content_type)
    try:
        return _reencoded(image, content_type)
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError):
        raise not_an_image() from None
    finally:
        image.close()


def sniffed_type(data: bytes) -> str | None:
    """The accepted type the file's first bytes name, or None (SVG, GIF, text, anything else)."""
    if data.startswith(PNG_SIGNATURE):
        return "image/png"
    if data.startswith(JPEG_SIGNATURE):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _only_an_image(data: bytes, content_type: str) -> bool:
    """False for a polyglot: a file that is also something else (HTML or script markers where
    sniffers look, bytes after the image's end, a ZIP archive's end record)."""
    head = data[:SNIFFED_BYTES].lower()
    if any(marker in head for marker in FOREIGN_MARKERS):
        return False
    if ZIP_END_RECORD in data[-ZIP_TAIL:]:
        return False
    end = {"image/png": _png_end, "image/jpeg": _jpeg_end, "image/webp": _webp_end}[content_type](data)
    # Some encoders pad with zero bytes; anything else after the end is another file.
    return end is not None and not data[end:].strip(b"\x00")


def _png_end(data: bytes) -> int | None:
    """Where the PNG's IEND chunk ends, walking chunk by chunk; None when it is cut short."""
    position, size = len(PNG_SIGNATURE), len(data)
    while position + 12 <= size:
        length = int.from_bytes(data[position:position + 4], "big")
        end = position + 12 + length
        if end > size:
            return None
        if data[position + 4:position + 8] == b"IEND":
            return end
        position = end
    return None


def _jpeg_end(data: bytes) -> int | None:
    """Where the JPEG's end-of-image marker ends, walking its segments and scans; None when it has none."""
    position, size = 2, len(data)
    while position + 2 <= size:
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte before a marker
            position += 1
            continue
        if marker == 0xD9:
            return position + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            position += 2
            continue
        if position + 4 > size:
            return None
        length = int.from_bytes(data[position + 2:position + 4], "big")
        if length < 2:
            return None
        position += 2 + length
        if marker == 0xDA:  # start of scan: coded data runs to the next marker that is not escaped
            while True:
                position = data.find(b"\xff", position)
                if position < 0 or position + 1 >= size:
                    return None
                following = data[position + 1]
                if following == 0x00 or 0xD0 <= following <= 0xD7:
                    position += 2
                elif following == 0xFF:
                    position += 1
                else:
                    break
    return None


def _webp_end(data: bytes) -> int | None:
    """Where the WebP's RIFF container ends, by its own length; None when the file is shorter."""
    length = int.from_bytes(data[4:8], "little")
    end = 8 + length + length % 2
    return end if end <= len(data) else None


def _opened(data: bytes, content_type: str) -> PillowImage:
    """The image with only its header read, by the one plugin of its type; refused when its
    header names more than MAX_PIXELS (nothing is decoded before that check)."""
    from PIL import Image, UnidentifiedImageError  # noqa: PLC0415 - loaded on the first upload

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(data), formats=[PILLOW_FORMATS[content_type]])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise too_many_pixels() from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError):
        raise not_an_image() from None
    if image.format != PILLOW_FORMATS[content_type]:
        image.close()
        raise not_an_image()
    if image.width < 1 or image.height < 1:
        image.close()
        raise not_an_image()
    if image.width * image.height > MAX_PIXELS:
        image.close()
        raise too_many_pixels()
    return image


def _reencoded(image: PillowImage, content_type: str) -> CleanImage:
    """The image drawn afresh at most MAX_SIDE on the long side, and its thumbnail."""
    from PIL import Image, ImageOps  # noqa: PLC0415 - loaded on the first upload

    if content_type == "image/jpeg":
        # libjpeg decodes at 1/2, 1/4 or 1/8 scale when that still covers MAX_SIDE: less memory.
        image.draft("RGB", (MAX_SIDE, MAX_SIDE))
    image.load()
    upright = ImageOps.exif_transpose(image)  # a new image; the original's metadata stays behind
    if upright.mode not in ("RGB", "RGBA", "L", "LA") or (
            content_type == "image/jpeg" and upright.mode not in ("RGB", "L")):
        upright = upright.convert("RGBA" if upright.has_transparency_data and content_type != "image/jpeg"
                                  else "RGB")
    upright.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    thumbnail = upright.copy()
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.LANCZOS)
    return CleanImage(
        content_type=content_type, data=_encoded(upright, PILLOW_FORMATS[content_type]),
        width=upright.width, height=upright.height,
        thumbnail=_encoded(thumbnail, PILLOW_FORMATS[THUMBNAIL_TYPE]),
        thumbnail_width=thumbnail.width, thumbnail_height=thumbnail.height,
    )


def _encoded(image: PillowImage, pillow_format: str) -> bytes:
    """The image's pixels in `pillow_format`, with no metadata: no EXIF, ICC profile, text or comments."""
    image.info = {}
    options: dict[str, Any] = {"PNG": {"optimize": False, "compress_level": 6},
                                  "JPEG": {"quality": 85, "progressive": True},
                                  "WEBP": {"quality": 82, "method": 4}}[pillow_format]
    out = BytesIO()
    image.save(out, format=pillow_format, exif=b"", **options)
    return out.getvalue()
