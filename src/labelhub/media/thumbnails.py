"""Image thumbnails (WebP) with a file cache, and cheap image-size probing.

Every decode is guarded against decompression bombs: the pixel count is read from the header and checked
before any pixel data is decoded, and Pillow's own bomb error is reported the same way.
"""

from __future__ import annotations

import io
import os
import struct
import tempfile
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from labelhub.errors import FormatError, NotFoundError, ValidationError
from labelhub.media.store import MediaStore, validate_key

__all__ = ["MAX_PIXELS", "THUMBNAIL_SIZES", "ThumbnailCache", "make_thumbnail", "probe_image"]

# Kept below Pillow's own hard limit (2 x Image.MAX_IMAGE_PIXELS, about 179 MP) so that our check, with
# its clearer message, is the one that fires; a 150 MP RGB image still takes about 450 MB to decode.
MAX_PIXELS = 150_000_000
THUMBNAIL_SIZES: frozenset[int] = frozenset({128, 256, 512})
WEBP_QUALITY = 80
# Errors Pillow raises for damaged or truncated files; struct.error and EOFError escape some plugins.
_DECODE_ERRORS = (OSError, EOFError, SyntaxError, ValueError, struct.error)
_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})


def _source_name(src: BinaryIO | Path) -> str:
    if isinstance(src, Path):
        return str(src)
    return str(getattr(src, "name", "<stream>"))


def _open_image(src: BinaryIO | Path, name: str) -> Image.Image:
    """Return the image opened lazily (header only), with Pillow's errors turned into labelhub errors."""
    try:
        return Image.open(src)
    except Image.DecompressionBombError as exc:
        raise ValidationError(f"image refused as a decompression bomb: {exc}", file=name) from exc
    except FileNotFoundError as exc:
        raise NotFoundError("image file not found", file=name) from exc
    except UnidentifiedImageError as exc:
        raise FormatError("not an image file labelhub can read", file=name) from exc
    except _DECODE_ERRORS as exc:
        raise FormatError(f"cannot read image header: {exc}", file=name) from exc


def _to_rgb(im: Image.Image) -> Image.Image:
    """Return ``im`` as 8-bit RGB, flattening transparency onto white and scaling 16-bit grey down."""
    if im.mode in _SIXTEEN_BIT_MODES:
        # A plain convert("L") clips every value above 255, which turns most 16-bit scans white.
        im = im.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return im.convert("RGB")


def make_thumbnail(src: BinaryIO | Path, size: int, *, max_pixels: int = MAX_PIXELS, name: str | None = None) -> bytes:
    """Return WebP bytes of ``src`` fitted into ``size`` x ``size``, turned upright by its EXIF orientation.

    ``name`` is what errors report as the file (default: the path, or the stream's name). Raises
    :class:`ValidationError` for an image above ``max_pixels`` pixels ("decompression bomb") and
    :class:`FormatError` for a file that is not an image or is truncated.
    """
    if size <= 0:
        raise ValidationError(f"thumbnail size must be positive, got {size}", field="size")
    name = name or _source_name(src)
    with _open_image(src, name) as im:
        width, height = im.size
        if width * height > max_pixels:
            raise ValidationError(
                f"image refused as a decompression bomb: {width}x{height} is more than {max_pixels} pixels",
                file=name,
            )
        try:
            if im.format in ("JPEG", "MPO"):  # MPO: phone photos, JPEG underneath
                # Lets libjpeg decode at 1/2, 1/4 or 1/8 scale: far faster for photos much larger than size.
                im.draft("RGB", (size, size))
            upright = ImageOps.exif_transpose(im)
            rgb = _to_rgb(upright)
            rgb.thumbnail((size, size), Image.Resampling.LANCZOS)
            out = io.BytesIO()
            rgb.save(out, format="WEBP", quality=WEBP_QUALITY, method=4)
        except Image.DecompressionBombError as exc:
            raise ValidationError(f"image refused as a decompression bomb: {exc}", file=name) from exc
        except _DECODE_ERRORS as exc:
            raise FormatError(f"image is truncated or damaged: {exc}", file=name) from exc
    return out.getvalue()


def probe_image(path: Path) -> tuple[int, int]:
    """Return ``(width, height)`` of the image at ``path``, read from its header without decoding pixels.

    This is the stored pixel size: EXIF orientation is deliberately ignored (an orientation 6 photo
    stored 4000x3000 reports 4000x3000), because COCO and the other formats give sizes and coordinates in
    stored pixels. Raises :class:`FormatError` for a file that is not an image and :class:`ValidationError`
    for one so large Pillow refuses it as a decompression bomb.
    """
    with _open_image(path, str(path)) as im:
        return im.size


class ThumbnailCache:
    """Thumbnails of stored media, generated on first request and kept as ``root/ab/<key>_<size>.webp``."""

    def __init__(self, root: Path, store: MediaStore, *, max_pixels: int = MAX_PIXELS) -> None:
        self.root = root
        self.store = store
        self.max_pixels = max_pixels

    def path_for(self, key: str, size: int) -> Path:
        """Return where the thumbnail of ``key`` at ``size`` is cached (whether or not it exists)."""
        key = validate_key(key)  # before the key becomes part of a path
        if size not in THUMBNAIL_SIZES:
            allowed = ", ".join(str(s) for s in sorted(THUMBNAIL_SIZES))
            raise ValidationError(f"thumbnail size must be one of {allowed}, got {size}", field="size")
        return self.root / key[:2] / f"{key}_{size}.webp"

    def get(
        self, key: str, size: int, linked_path: str | None = None, *, source: Path | BinaryIO | None = None
    ) -> Path:
        """Return the cached thumbnail file of ``key`` at ``size``, generating it on a miss.

        ``source`` is the image (a file, or an image file's bytes) to draw it from when that is not the stored file
        of ``key`` itself (a video file's thumbnail comes from its first decoded frame, a volume's from its middle
        slice rendered as a PNG). Generation writes a temporary file in the same
        folder and renames it into place, so a reader never sees half a thumbnail; two callers racing on a miss
        both generate, and either result wins.
        """
        target = self.path_for(key, size)
        if target.exists():
            return target
        name = linked_path or key
        source = source or self.store.local_path(key, linked_path)
        if source is not None:
            data = make_thumbnail(source, size, max_pixels=self.max_pixels, name=name)
        else:
            with self.store.open(key, linked_path) as f:
                data = make_thumbnail(f, size, max_pixels=self.max_pixels, name=name)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".thumb-", suffix=".tmp")
        done = False
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp_name, target)
            done = True
        finally:
            if not done:
                Path(tmp_name).unlink(missing_ok=True)
        return target
