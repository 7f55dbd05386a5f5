"""Pascal VOC XML: COCO128 through VOC and back, the 1-based pixel convention, layouts, and hostile XML."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.builders import new_project
from tests.formats._support import split_records

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord, Problem
from labelhub.errors import FormatError
from labelhub.formats.base import ExportItem, ExportOptions, ImportOptions, MediaMode
from labelhub.formats.coco import CocoImporter
from labelhub.formats.registry import detect_format
from labelhub.formats.voc import VocExporter, VocImporter, detect
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source


def _xml(filename: str | None, objects: str, size: str = "<width>64</width><height>48</height>") -> str:
    name = f"<filename>{filename}</filename>" if filename is not None else ""
    return f"<annotation>\n<folder>VOC</folder>\n{name}\n<size>{size}<depth>3</depth></size>\n{objects}</annotation>\n"


def _obj(name: str = "cat", box: tuple[object, ...] = (1, 1, 64, 48), extra: str = "") -> str:
    xmin, ymin, xmax, ymax = box
    return (
        f"<object>\n<name>{name}</name>{extra}\n<bndbox>\n<xmin>{xmin}</xmin>\n<ymin>{ymin}</ymin>\n"
        f"<xmax>{xmax}</xmax>\n<ymax>{ymax}</ymax>\n</bndbox>\n</object>\n"
    )


def _voc(root: Path, make_image: Callable[..., Path], files: dict[str, str]) -> Path:
    """Write a VOC folder: Annotations/<id>.xml for each entry and a 64x48 JPEGImages/<id>.jpg."""
    for image_id, text in files.items():
        (root / "Annotations" / image_id).parent.mkdir(parents=True, exist_ok=True)
        (root / "Annotations" / f"{image_id}.xml").write_text(text)
        make_image(root / "JPEGImages" / f"{image_id}.jpg")
    return root


def _read(source: Path, media: MediaMode = "copy") -> tuple[list[ItemRecord], list[Problem]]:
    with VocImporter(source, ImportOptions(media=media)) as importer:
        return split_records(importer)


def test_coco128_from_a_project_to_voc_and_back(hub: Hub, coco128: Path, tmp_path: Path) -> None:
    pid = new_project(hub, "coco128")
    import_source(hub, Actor.system(), pid, coco128, fmt="coco")
    out = tmp_path / "voc"
    report = export_project(hub, Actor.system(), pid, out, fmt="voc", options=ExportOptions(copy_media=True))
    assert report.items == 128
    assert len(list((out / "Annotations").glob("*.xml"))) == 128
    assert len(list((out / "JPEGImages").glob("*.jpg"))) == 128
    assert len((out / "ImageSets" / "Main" / "train2017.txt").read_text().splitlines()) == 128
    assert detect_format(out).name == "voc"

    with CocoImporter(coco128, ImportOptions(media="none")) as coco:
        original, _ = split_records(coco)
    items, problems = _read(out)
    assert problems == []
    by_name = {i.name: i for i in items}
    assert by_name.keys() == {i.name for i in original}
    total = 0
    for item in original:
        got = list(by_name[item.name].annotations)
        want = [a for a in item.annotations if a.kind is AnnotationKind.BOX]
        assert len(got) == len(want), item.name
        assert (by_name[item.name].width, by_name[item.name].height) == (item.width, item.height)
        for ann in want:
            match = next(
                (
                    b
                    for b in got
                    if b.label == ann.label
                    and all(abs(p - q) <= 1.0 for p, q in zip(b.geometry["bbox"], ann.geometry["bbox"], strict=True))
                ),
                None,
            )
            assert match is not None, f"{item.name}: {ann.label} {ann.geometry['bbox']} was lost"
            got.remove(match)
            total += 1
    assert total == 939

    second = new_project(hub, "from-voc")
    back = import_source(hub, Actor.system(), second, out)
    assert (back.format, back.items_added, back.annotations_added) == ("voc", 128, 939)


def test_one_based_inclusive_pixels_become_continuous_coordinates(
    tmp_path: Path, make_image: Callable[..., Path]
) -> None:
    objects = _obj("cat", (1, 1, 64, 48)) + _obj("dog", (11, 21, 30, 40)) + _obj("dot", (5, 6, 5, 6))
    items, problems = _read(_voc(tmp_path, make_image, {"a": _xml("a.jpg", objects)}))
    assert problems == []
    boxes = [(a.label, a.geometry["bbox"]) for a in items[0].annotations]
    # The whole image; a 20x20-pixel box (pixels 11..30); and a box of one pixel (the 5th column, 6th row).
    assert boxes == [("cat", [0.0, 0.0, 64.0, 48.0]), ("dog", [10.0, 20.0, 30.0, 40.0]), ("dot", [4.0, 5.0, 5.0, 6.0])]


def test_export_writes_one_based_inclusive_pixels(tmp_path: Path) -> None:
    item = ItemRecord(kind=ItemKind.IMAGE, name="sub/a.png", width=64, height=48, split="val")
    for label, box in (
        ("cat", [0.0, 0.0, 64.0, 48.0]),
        ("dog", [10.4, 19.6, 29.5, 40.2]),
        ("dot", [4.2, 5.1, 4.6, 5.3]),
    ):
        item.annotations.append(AnnotationRecord(AnnotationKind.BOX, label, {"bbox": box}))
    out = tmp_path / "out"
    with VocExporter(out, ["dog", "cat"], ExportOptions()) as exporter:
        exporter.write(ExportItem(record=item))
    text = (out / "Annotations" / "sub" / "a.xml").read_text()
    assert "<filename>sub/a.png</filename>" in text and "<width>64</width>" in text
    items, problems = _read(out, media="none")
    assert problems == []
    assert [(a.label, a.geometry["bbox"]) for a in items[0].annotations] == [
        ("cat", [0.0, 0.0, 64.0, 48.0]),
        ("dog", [10.0, 20.0, 30.0, 40.0]),
        ("dot", [4.0, 5.0, 5.0, 6.0]),  # under a pixel wide: one pixel
    ]
    assert (items[0].name, items[0].split) == ("sub/a.png", "val")
    assert (out / "ImageSets" / "Main" / "val.txt").read_text() == "sub/a\n"
    assert (out / "labels.txt").read_text() == "dog\ncat\ndot\n"


def test_flags_and_pose_are_kept_and_difficult_goes_back_out(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    flags = "<pose>Left</pose><truncated>1</truncated><difficult>1</difficult><occluded>0</occluded>"
    source = _voc(tmp_path / "in", make_image, {"a": _xml("a.jpg", _obj("cat", (2, 3, 20, 30), flags) + _obj())})
    items, problems = _read(source)
    assert problems == []
    hard, plain = items[0].annotations
    assert hard.attributes == {"truncated": 1, "difficult": 1, "occluded": 0, "pose": "Left"}
    assert plain.attributes == {}
    out = tmp_path / "out"
    with VocExporter(out, ["cat"], ExportOptions()) as exporter:
        exporter.write(ExportItem(record=items[0]))
    again, _ = _read(out, media="none")
    assert [a.attributes for a in again[0].annotations] == [
        {"truncated": 1, "difficult": 1, "occluded": 0, "pose": "Left"},
        {"truncated": 0, "difficult": 0, "pose": "Unspecified"},
    ]


def test_image_sets_give_splits_and_bad_ids_are_problems(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    source = _voc(tmp_path, make_image, {i: _xml(f"{i}.jpg", _obj()) for i in ("a", "b", "c", "d")})
    main = source / "ImageSets" / "Main"
    main.mkdir(parents=True)
    (main / "train.txt").write_text("a\nb\n")
    (main / "val.txt").write_text("c\n\nzz\nb\n")
    (main / "test.txt").write_text("d\n")
    (main / "cat_train.txt").write_text("a 1\n")  # per-class lists are not splits
    items, problems = _read(source)
    assert [(i.name, i.split) for i in items] == [
        ("a.jpg", "train"),
        ("b.jpg", "train"),
        ("c.jpg", "val"),
        ("d.jpg", "test"),
    ]
    assert [(p.file, p.line) for p in problems] == [(str(main / "val.txt"), 3), (str(main / "val.txt"), 4)]
    assert "'zz' has no Annotations/zz.xml" in problems[0].message
    assert "already in split 'train'" in problems[1].message


def test_flat_folder_of_xml_next_to_images(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    make_image(tmp_path / "a.jpg")
    (tmp_path / "a.xml").write_text(_xml("a.jpg", _obj()))
    make_image(tmp_path / "sub" / "b.png")
    # labelImg writes an absolute <path> too; it is ignored, and the image is found next to the XML.
    (tmp_path / "sub" / "b.xml").write_text(_xml("b.png", "<path>/etc/passwd</path>" + _obj("dog")))
    assert detect_format(tmp_path).name == "voc"
    items, problems = _read(tmp_path)
    assert problems == []
    assert [(i.name, i.annotations[0].label, i.split) for i in items] == [
        ("a.jpg", "cat", None),
        ("sub/b.png", "dog", None),
    ]
    assert items[1].media_path == tmp_path / "sub" / "b.png"


def test_voc_folder_under_vocdevkit_is_found(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    _voc(tmp_path / "VOCdevkit" / "VOC2012", make_image, {"a": _xml("a.jpg", _obj())})
    assert detect_format(tmp_path).name == "voc"
    items, _ = _read(tmp_path)
    assert [i.name for i in items] == ["a.jpg"]


@pytest.mark.parametrize("size", ["", "<width>0</width><height>0</height>"])
def test_missing_or_zero_size_falls_back_to_the_image_header(
    tmp_path: Path, make_image: Callable[..., Path], size: str
) -> None:
    items, problems = _read(_voc(tmp_path, make_image, {"a": _xml("a.jpg", _obj(), size)}))
    assert problems == [] and (items[0].width, items[0].height) == (64, 48)
    items, problems = _read(tmp_path, media="none")
    assert items == [] and [(p.file, p.field) for p in problems] == [(str(tmp_path / "Annotations" / "a.xml"), "size")]


def test_missing_filename_uses_the_image_with_the_xml_stem(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    items, problems = _read(_voc(tmp_path, make_image, {"a": _xml(None, _obj())}))
    assert problems == [] and items[0].name == "a.jpg"


def test_malformed_xml_is_a_problem_naming_file_and_line(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    source = _voc(
        tmp_path, make_image, {"a": _xml("a.jpg", _obj()), "b": "<annotation>\n<filename>b.jpg\n</annotation>"}
    )
    items, problems = _read(source)
    assert [i.name for i in items] == ["a.jpg"]
    assert [(p.file, p.line) for p in problems] == [(str(source / "Annotations" / "b.xml"), 3)]
    assert "b.xml is not well-formed XML" in problems[0].message


def test_another_root_element_is_a_problem(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    items, problems = _read(_voc(tmp_path, make_image, {"a": "<annotations><image/></annotations>"}))
    assert items == [] and "the root element is <annotations>, not <annotation>" in problems[0].message


LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10))
    + "]>\n<annotation><filename>&lol9;</filename></annotation>\n"
)
EXTERNAL = (
    '<?xml version="1.0"?>\n<!DOCTYPE annotation [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    "<annotation><filename>&xxe;</filename></annotation>\n"
)
DTD_ONLY = '<?xml version="1.0"?>\n<!DOCTYPE annotation SYSTEM "http://example.com/voc.dtd">\n<annotation/>\n'


@pytest.mark.parametrize("text", [LAUGHS, EXTERNAL, DTD_ONLY], ids=["billion-laughs", "external-entity", "dtd"])
def test_dtds_and_entities_are_refused_without_expanding(
    tmp_path: Path, make_image: Callable[..., Path], text: str
) -> None:
    source = _voc(tmp_path, make_image, {"a": _xml("a.jpg", _obj()), "evil": text})
    start = time.monotonic()
    with pytest.raises(FormatError, match="declares a DTD or an entity") as err:
        _read(source)
    assert time.monotonic() - start < 5
    assert err.value.context["file"] == str(source / "Annotations" / "evil.xml")
    assert "root:" not in str(err.value)  # nothing of /etc/passwd was read


@pytest.mark.parametrize(
    ("obj", "field", "words"),
    [
        (_obj("cat", (0, 1, 65, 48)), "object[1].bndbox.xmax", "xmax = 65 is outside the 64x48 image"),
        (_obj("cat", (1, 1, 64, 50)), "object[1].bndbox.ymax", "ymax = 50 is outside"),
        (_obj("cat", (-3, 1, 10, 10)), "object[1].bndbox.xmin", "xmin is negative"),
        (_obj("cat", (1, 1, 10, 0)), "object[1].bndbox.ymax", "outside the image (VOC pixels count from 1)"),
        (_obj("cat", (20, 1, 10, 10)), "object[1].bndbox.xmax", "xmax is less than xmin"),
        (_obj("cat", (1, 20, 10, 10)), "object[1].bndbox.ymax", "ymax is less than ymin"),
        (_obj("", (1, 1, 10, 10)), "object[1].name", "object[1] has no <name>"),
        (_obj("cat", ("a", 1, 10, 10)), "object[1].bndbox.xmin", "<xmin> must be a number, got 'a'"),
        (_obj("cat", ("nan", 1, 10, 10)), "object[1].bndbox.xmin", "must be a number, got 'nan'"),
        ("<object><name>cat</name></object>", "object[1].bndbox", "has no <bndbox>"),
        ("<object><name>cat</name><bndbox><xmin>1</xmin></bndbox></object>", "object[1].bndbox.ymin", "got None"),
        (_obj("cat", extra="<difficult>maybe</difficult>"), "object[1].difficult", "must be 0 or 1"),
    ],
)
def test_bad_object_is_a_problem_naming_file_and_field(
    tmp_path: Path, make_image: Callable[..., Path], obj: str, field: str, words: str
) -> None:
    source = _voc(tmp_path, make_image, {"a": _xml("a.jpg", _obj("dog", (1, 1, 5, 5)) + obj + _obj("cow"))})
    items, problems = _read(source)
    assert [(p.file, p.field) for p in problems] == [(str(source / "Annotations" / "a.xml"), field)]
    assert words in problems[0].message
    assert problems[0].line is not None and problems[0].line > 5
    # The good objects around it are kept.
    assert [a.label for a in items[0].annotations] == ["dog", "cow"]


@pytest.mark.parametrize("filename", ["../../etc/passwd.jpg", "/etc/passwd.jpg"])
def test_filename_outside_the_folder_is_a_problem(
    tmp_path: Path, make_image: Callable[..., Path], filename: str
) -> None:
    items, problems = _read(_voc(tmp_path, make_image, {"a": _xml(filename, _obj())}))
    assert items == [] and problems[0].field == "filename"
    assert "relative path without '..'" in problems[0].message


def test_missing_image_is_a_problem(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    source = _voc(tmp_path, make_image, {"a": _xml("zzz.jpg", _obj())})
    (source / "JPEGImages" / "a.jpg").unlink()
    items, problems = _read(source)
    assert items == [] and "image file 'zzz.jpg' not found" in problems[0].message


def test_two_xml_files_for_one_image_is_a_problem(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    source = _voc(tmp_path, make_image, {"a": _xml("a.jpg", _obj()), "b": _xml("a.jpg", _obj())})
    items, problems = _read(source)
    assert len(items) == 1 and "image 'a.jpg' is also annotated by" in problems[0].message


def test_export_refuses_what_voc_cannot_hold_and_leaves_nothing(tmp_path: Path) -> None:
    good = ItemRecord(kind=ItemKind.IMAGE, name="a.jpg", width=10, height=10)
    good.annotations.append(AnnotationRecord(AnnotationKind.BOX, "cat", {"bbox": [1.0, 1.0, 5.0, 5.0]}))
    bad_label = ItemRecord(kind=ItemKind.IMAGE, name="b.jpg", width=10, height=10)
    bad_label.annotations.append(AnnotationRecord(AnnotationKind.BOX, "c\x01t", {"bbox": [1.0, 1.0, 5.0, 5.0]}))
    sizeless = ItemRecord(kind=ItemKind.IMAGE, name="c.jpg")
    twin = ItemRecord(kind=ItemKind.IMAGE, name="a.png", width=10, height=10)
    for bad, words in ((bad_label, "characters XML cannot store"), (sizeless, "no width/height"), (twin, "both write")):
        with (
            pytest.raises(FormatError, match=words),
            VocExporter(tmp_path / "new" / "out", ["cat"], ExportOptions()) as exporter,
        ):
            exporter.write(ExportItem(record=good))
            exporter.write(ExportItem(record=bad))
        assert list(tmp_path.iterdir()) == []


def test_cvat_xml_is_not_taken_for_voc(tmp_path: Path) -> None:
    (tmp_path / "annotations.xml").write_text("<annotations><version>1.1</version></annotations>")
    with pytest.raises(FormatError):
        VocImporter(tmp_path / "missing", ImportOptions())
    assert not detect(tmp_path)
