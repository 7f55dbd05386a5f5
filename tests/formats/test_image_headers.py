"""COCO, VOC and CVAT images: when the file is read or copied anyway, its header must be an image of the size the
annotation file declares; a metadata-only import opens no file and keeps the declared size."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from tests.builders import coco_dict, write_dataset
from tests.formats._hostile import png_bytes
from tests.formats._support import split_records

from labelhub.formats.base import FormatImporter, ImportOptions, MediaMode
from labelhub.formats.coco import CocoImporter
from labelhub.formats.cvat import CvatImagesImporter
from labelhub.formats.voc import VocImporter

VOC = """<annotation><filename>a.png</filename><size><width>{w}</width><height>{h}</height><depth>3</depth></size>
<object><name>cat</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>10</xmax><ymax>10</ymax></bndbox></object>
</annotation>"""
CVAT = """<?xml version="1.0" encoding="utf-8"?><annotations><version>1.1</version>
<image id="0" name="a.png" width="{w}" height="{h}"><box label="cat" xtl="1" ytl="1" xbr="10" ybr="10" /></image>
</annotations>"""


def coco(root: Path, w: int, h: int) -> Path:
    data = coco_dict(["a.png"])
    data["images"][0].update(width=w, height=h)
    path = write_dataset(root, data)
    path.write_bytes(orjson.dumps(data))
    return path


def voc(root: Path, w: int, h: int) -> Path:
    (root / "Annotations").mkdir(parents=True)
    (root / "JPEGImages").mkdir()
    (root / "Annotations" / "a.xml").write_text(VOC.format(w=w, h=h))
    (root / "JPEGImages" / "a.png").write_bytes(png_bytes())
    return root


def cvat(root: Path, w: int, h: int) -> Path:
    (root / "images").mkdir(parents=True)
    (root / "images" / "a.png").write_bytes(png_bytes())
    (root / "annotations.xml").write_text(CVAT.format(w=w, h=h))
    return root / "annotations.xml"


def image_of(source: Path) -> Path:
    return next(p for p in source.parent.rglob("a.png")) if source.is_file() else next(source.rglob("a.png"))


FORMATS = {
    # name: (writer, importer, the field a wrong width is reported on)
    "coco": (coco, CocoImporter, "images[0].width"),
    "voc": (voc, VocImporter, "size.width"),
    "cvat": (cvat, CvatImagesImporter, "width"),
}


def read(importer: type[FormatImporter], source: Path, media: MediaMode = "copy") -> tuple[list, list]:  # type: ignore[type-arg]
    with importer(source, ImportOptions(media=media)) as imp:
        return split_records(imp)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_file_that_is_not_an_image_is_refused_naming_it(tmp_path: Path, fmt: str) -> None:
    write, importer, _ = FORMATS[fmt]
    source = write(tmp_path / fmt, 64, 48)
    image_of(source).write_text("not an image")
    items, problems = read(importer, source)
    assert items == []
    (problem,) = problems
    assert "cannot read the image header of" in problem.message and "a.png" in problem.message, problem


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_a_declared_size_that_differs_from_the_file_is_refused(tmp_path: Path, fmt: str) -> None:
    write, importer, field = FORMATS[fmt]
    source = write(tmp_path / fmt, 1280, 48)  # the PNG is 64x48
    items, problems = read(importer, source)
    assert items == []
    (problem,) = problems
    assert problem.field == field, problem
    assert "a.png is 64x48 pixels, but the annotation file gives width 1280" in problem.message, problem


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_the_right_size_imports_and_metadata_only_opens_no_file(tmp_path: Path, fmt: str) -> None:
    write, importer, _ = FORMATS[fmt]
    source = write(tmp_path / fmt, 64, 48)
    (item,), problems = read(importer, source)
    assert problems == [] and (item.width, item.height) == (64, 48)
    image_of(source).write_text("not an image")  # never opened without media
    (item,), problems = read(importer, source, media="none")
    assert problems == [] and (item.width, item.height, item.media_path) == (64, 48, None)
