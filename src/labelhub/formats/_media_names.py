"""File extensions for stored media, which the content-addressed store keeps without one."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from PIL import Image, UnidentifiedImageError

from labelhub.errors import FormatError
from labelhub.formats._common import IMAGE_EXTENSIONS
from labelhub.media.video import VIDEO_EXTENSIONS

_PIL_EXTENSIONS = {"JPEG": ".jpg", "PNG": ".png", "GIF": ".gif", "WEBP": ".webp", "BMP": ".bmp", "TIFF": ".tiff"}
_KNOWN = IMAGE_EXTENSIONS | VIDEO_EXTENSIONS | {".txt"}


def file_suffix(path: Path, default: str) -> str:
    """Return an extension (with the dot) for a media file: its own when known, else from its bytes, else ``default``.

    Images are recognised by PIL; MP4/MOV (``ftyp``), AVI (``RIFF....AVI``) and Matroska/WebM by their magic bytes.
    """
    suffix = path.suffix.lower()
    if suffix in _KNOWN:
        return suffix
    try:
        with Image.open(path) as im:
            fmt = im.format
        if fmt in _PIL_EXTENSIONS:
            return _PIL_EXTENSIONS[fmt]
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError):
        pass
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError as exc:
        raise FormatError(f"cannot read media file {path}: {exc}", file=str(path)) from None
    if head[4:8] == b"ftyp":
        return ".mp4"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return ".avi"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return ".mkv"
    return default


def media_extension(name: str, file: Path | None) -> str:
    """Return the extension (lower case, no dot) for an item's media: from its name, else from the file's bytes.

    ``name`` is the item's name (``images/a.JPG`` gives ``jpg``; ``photo.jpeg`` stays ``jpeg``). A name
    without a known media extension falls back to what :func:`file_suffix` reads from ``file``, and to ``bin``.
    """
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in _KNOWN:
        return suffix[1:]
    if file is not None:
        try:
            return file_suffix(file, ".bin")[1:]
        except FormatError:
            return "bin"
    return "bin"
