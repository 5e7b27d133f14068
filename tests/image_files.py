"""Image files for the screenshot tests, made here with Pillow (no binary file is committed):
good ones, and each kind of file the upload must refuse."""
import io
import os
import struct
import zipfile
import zlib

from PIL import ExifTags, Image
from PIL.PngImagePlugin import PngInfo

SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(document.cookie)</script></svg>')
TEXT = b"Not an image at all, only words in a file called screenshot.png.\n"
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"


def png(size=(320, 200), colour=(40, 90, 200), mode="RGB", **options):
    """A plain PNG."""
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, format="PNG", **options)
    return out.getvalue()


def jpeg(size=(320, 200), colour=(200, 60, 40), exif=None):
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="JPEG", **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def webp(size=(320, 200), colour=(20, 160, 90)):
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="WEBP")
    return out.getvalue()


def gif():
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (0, 0, 0)).save(out, format="GIF")
    return out.getvalue()


def exif_with_location(orientation=None):
    """EXIF naming a camera and where the picture was taken (and how to turn it, if given)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = "Pocket Camera 3000"
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 26.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 39.0)
    return exif.tobytes()


def noise_png(side=1400):
    """A PNG of random pixels: it cannot be compressed, so 1400 px a side is over 5 MB."""
    out = io.BytesIO()
    pixels = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    pixels.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def bomb_png(width=20000, height=20000):
    """A decompression bomb: a real one-colour PNG of width × height pixels (400 megapixels by
    default) in about 50 KB. Written row by row, as Pillow would, without ever holding the pixels
    (Pillow itself would need 400 MB to make it); Pillow reads its header like any PNG's."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)  # filter byte, then one bit a pixel
    compressor = zlib.compressobj(9)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def zip_archive():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("payload.html", HTML)
    return out.getvalue()


def polyglot_png_zip():
    """A valid PNG that is also a valid ZIP archive (the archive appended after IEND)."""
    return png() + zip_archive()


def polyglot_png_html():
    """A valid PNG with an HTML page after its end."""
    return png() + HTML


def png_with_script_text():
    """A valid PNG whose first bytes hold a script, in a text chunk where sniffers look."""
    info = PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    return png(pnginfo=info)


def polyglot_jpeg_zip():
    return jpeg() + zip_archive()
