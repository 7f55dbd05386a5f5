"""Thumbnails and image probing, on real COCO photos and on crafted broken files."""

from __future__ import annotations

import io
import json
import struct
import time
import zlib
from pathlib import Path

import pytest
from PIL import Image

from labelhub.errors import FormatError, NotFoundError, ValidationError
from labelhub.media.memory import InMemoryMediaStore
from labelhub.media.store import LocalMediaStore, MediaStore
from labelhub.media.thumbnails import ThumbnailCache, make_thumbnail, probe_image

DATA = Path(__file__).resolve().parents[2] / "../shared/data"
COCO = DATA / "detection_coco128"
COCO_IMAGES = COCO / "images/train2017"


@pytest.fixture
def coco_image() -> Path:
    path = COCO_IMAGES / "000000000009.jpg"
    if not path.exists():
        pytest.skip(f"shared data not found at {COCO_IMAGES}")
    return path


@pytest.fixture(params=["local", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> MediaStore:
    if request.param == "local":
        return LocalMediaStore(tmp_path / "media")
    return InMemoryMediaStore()


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def png_claiming_size(width: int, height: int) -> bytes:
    """A valid tiny PNG whose header says it is ``width`` x ``height``: costs nothing until decoded."""
    buf = io.BytesIO()
    Image.new("L", (1, 1)).save(buf, format="PNG")
    data = bytearray(buf.getvalue())
    # Signature (8) + chunk length (4) + b"IHDR" (4), then width and height, then the rest of IHDR's 13 bytes.
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


@pytest.mark.parametrize("size", [128, 256, 512])
def test_thumbnail_of_a_real_photo_fits_and_keeps_its_aspect(coco_image: Path, size: int) -> None:
    width, height = probe_image(coco_image)
    thumb = decode(make_thumbnail(coco_image, size))
    assert thumb.format == "WEBP"
    assert thumb.mode == "RGB"
    assert max(thumb.size) == size
    assert thumb.width <= size and thumb.height <= size
    assert thumb.width / thumb.height == pytest.approx(width / height, rel=0.02)


def test_thumbnail_from_a_stream(coco_image: Path) -> None:
    with coco_image.open("rb") as f:
        thumb = decode(make_thumbnail(f, 128))
    assert max(thumb.size) == 128


def test_probe_matches_the_coco_annotation_sizes() -> None:
    annotations = COCO / "annotations/instances_train2017.json"
    if not annotations.exists():
        pytest.skip(f"shared data not found at {COCO}")
    images = json.loads(annotations.read_text())["images"][:20]
    for entry in images:
        assert probe_image(COCO_IMAGES / entry["file_name"]) == (entry["width"], entry["height"])


def test_cache_generates_once_and_reuses_the_file(store: MediaStore, coco_image: Path, tmp_path: Path) -> None:
    stored = store.put_file(coco_image)
    cache = ThumbnailCache(tmp_path / "thumbs", store)
    first = cache.get(stored.key, 256)
    assert first == tmp_path / "thumbs" / stored.key[:2] / f"{stored.key}_256.webp"
    assert max(decode(first.read_bytes()).size) == 256
    made_at = first.stat().st_mtime_ns
    time.sleep(0.01)
    second = cache.get(stored.key, 256)
    assert second == first
    assert second.stat().st_mtime_ns == made_at  # served from the cache, not generated again
    assert [p.name for p in first.parent.iterdir()] == [first.name]  # no temporary file left behind


def test_cache_reads_linked_media(store: MediaStore, coco_image: Path, tmp_path: Path) -> None:
    stored = store.put_file(coco_image, link=True)
    path = ThumbnailCache(tmp_path / "thumbs", store).get(stored.key, 128, stored.linked_path)
    assert max(decode(path.read_bytes()).size) == 128


def test_cache_refuses_sizes_outside_the_allowed_set(store: MediaStore, tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path / "thumbs", store)
    with pytest.raises(ValidationError) as info:
        cache.get("0" * 64, 300)
    assert info.value.context["field"] == "size"


def test_cache_refuses_keys_that_are_not_hashes(store: MediaStore, tmp_path: Path) -> None:
    cache = ThumbnailCache(tmp_path / "thumbs", store)
    with pytest.raises(ValidationError) as info:
        cache.get("../../etc/passwd", 256)
    assert info.value.context["field"] == "key"


def test_cache_of_a_missing_key_is_not_found(store: MediaStore, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError):
        ThumbnailCache(tmp_path / "thumbs", store).get("0" * 64, 256)


def test_truncated_jpeg_is_reported_with_its_file_name(coco_image: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(coco_image.read_bytes()[:500])
    with pytest.raises(FormatError) as info:
        make_thumbnail(broken, 128)
    assert info.value.context["file"] == str(broken)
    assert "broken.jpg" in str(info.value)


def test_truncated_media_in_the_cache_names_the_key(store: MediaStore, coco_image: Path, tmp_path: Path) -> None:
    stored = store.put_bytes(coco_image.read_bytes()[:500], name="broken.jpg")
    cache = ThumbnailCache(tmp_path / "thumbs", store)
    with pytest.raises(FormatError) as info:
        cache.get(stored.key, 128)
    assert info.value.context["file"] == stored.key
    assert not cache.path_for(stored.key, 128).exists()


def test_a_file_that_is_not_an_image_is_a_format_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.jpg"
    path.write_text("definitely not a JPEG")
    with pytest.raises(FormatError) as info:
        make_thumbnail(path, 128)
    assert info.value.context["file"] == str(path)
    with pytest.raises(FormatError):
        probe_image(path)


def test_decompression_bomb_header_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(png_claiming_size(100_000, 100_000))
    with pytest.raises(ValidationError, match="bomb") as info:
        make_thumbnail(bomb, 128)
    assert info.value.context["file"] == str(bomb)
    with pytest.raises(ValidationError, match="bomb"):
        probe_image(bomb)


def test_images_above_our_own_limit_are_refused_before_decoding(tmp_path: Path) -> None:
    # 9000x9000 is below Pillow's own limits, so only labelhub's check can stop it. The pixel data is
    # absent, so reaching the decoder would raise a FormatError instead.
    path = tmp_path / "wide.png"
    path.write_bytes(png_claiming_size(9_000, 9_000))
    with pytest.raises(ValidationError, match="bomb") as info:
        make_thumbnail(path, 128, max_pixels=50_000_000)
    assert not isinstance(info.value, FormatError)
    assert "9000x9000" in str(info.value)


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    path = tmp_path / "rotated.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees clockwise to display
    Image.new("RGB", (200, 100), (200, 30, 30)).save(path, format="JPEG", exif=exif.tobytes())
    thumb = decode(make_thumbnail(path, 128))
    assert thumb.size == (64, 128)
    assert probe_image(path) == (200, 100)  # the stored size, as COCO records it


@pytest.mark.parametrize(
    ("mode", "colour"),
    [
        ("RGBA", (10, 20, 30, 0)),
        ("LA", (0, 0)),
        ("P", 3),
        ("I;16", 40000),
        ("L", 128),
        ("CMYK", (0, 0, 0, 0)),
    ],
)
def test_unusual_modes_become_rgb(tmp_path: Path, mode: str, colour: int | tuple[int, ...]) -> None:
    path = tmp_path / f"image_{mode.replace(';', '')}.png"
    image = Image.new(mode, (40, 20), colour)
    image.save(path, format="TIFF" if mode == "CMYK" else "PNG")
    thumb = decode(make_thumbnail(path, 128))
    assert thumb.mode == "RGB"
    assert thumb.size == (40, 20)  # never enlarged
    if mode == "RGBA":
        assert thumb.getpixel((5, 5)) == pytest.approx((255, 255, 255), abs=3)  # transparent shows as white
    if mode == "I;16":
        # 40000 of 65535 is about 61% grey, not clipped to white.
        assert thumb.getpixel((5, 5))[0] == pytest.approx(156, abs=3)  # type: ignore[index]


def test_size_must_be_positive(coco_image: Path) -> None:
    with pytest.raises(ValidationError) as info:
        make_thumbnail(coco_image, 0)
    assert info.value.context["field"] == "size"
