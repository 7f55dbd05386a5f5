"""Named hostile inputs the per-format tests did not cover yet, each refused with a message naming the file and
the line or field, and without touching the project.

Covered elsewhere and not repeated here: XML DTDs and external entities (``test_voc.py``, ``test_cvat.py``),
broken CSV quoting (``test_text_table.py``), NaN, negative and outside boxes of YOLO, VOC, Label Studio and MOT
(``test_yolo.py``, ``test_voc.py``, ``test_label_studio.py``, ``test_mot.py``), COCO polygons (``test_coco_segm.py``),
a COCO box outside its image and a duplicate or unknown id (``tests/services/test_imports.py``, ``test_coco.py``,
``test_coco_captions.py``, ``test_cvat.py``, ``test_label_studio.py``), unreadable image headers
(``test_image_folder.py``), and zip-slip and links in archives (``tests/api/test_media.py``, ``test_webdataset.py``;
the rest of the archive cases are in ``test_hostile_archives.py``, nesting and size limits in
``test_hostile_limits.py``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.formats._hostile import make_shard, png_bytes, png_claiming_size, run_importer
from tests.formats._hostile_samples import CASES, SHARD, WDS_DOCS
from tests.formats.test_hostile_imports import project_rows, seeded_project

from labelhub.errors import FormatError, ImportValidationError, LabelhubError
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_source

SYSTEM = Actor.system()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, words: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if words in line)


# ---------------------------------------------------------------------------------- damaged and huge images

# (case, the image file to damage, relative to the sample) for formats that read an image of their own.
IMAGE_FILES = [("image_folder", "cats/a.png"), ("coco", "images/b.png"), ("yolo", "images/a.png"),
               ("voc", "JPEGImages/b.png"), ("cvat_images", "images/b.png")]  # fmt: skip


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # Pillow warns above 89 MP
@pytest.mark.parametrize(("case_id", "rel"), IMAGE_FILES)
@pytest.mark.parametrize("damage", ["cut", "bomb", "over-limit"])
def test_a_damaged_or_huge_image_is_a_problem_naming_it(tmp_path: Path, case_id: str, rel: str, damage: str) -> None:
    case = CASES[case_id]
    source = case.build(tmp_path)
    image = tmp_path / rel
    if damage == "cut":  # the header is whole, the pixel data is cut short
        image.write_bytes(png_bytes(640, 480, (200, 10, 10))[:300])
        words = "is truncated"
    else:  # a 100 byte file declaring 10^10 pixels (Pillow refuses it), or 169 MP (labelhub refuses it)
        image.write_bytes(png_claiming_size(*((100_000, 100_000) if damage == "bomb" else (13_000, 13_000))))
        words = "decompression bomb"
    started = time.perf_counter()
    out = run_importer(case.fmt, source, case.import_options())
    assert time.perf_counter() - started < 2  # nothing was decoded
    assert out.error is None
    mentions = [p for p in out.problems if words in p.message]
    assert len(mentions) == 1, out.problems
    assert str(image) in f"{mentions[0].file} {mentions[0].message}"
    assert len(out.items) == case.expect[0] - 1 and str(image) not in str([i.media_path for i in out.items])


def test_a_truncated_image_refuses_the_import_and_stores_nothing(hub: Hub, tmp_path: Path) -> None:
    pid = seeded_project(hub, "image_folder")
    before = project_rows(hub, pid)
    source = CASES["image_folder"].build(tmp_path)
    (tmp_path / "dogs" / "cut.png").write_bytes(png_bytes(640, 480)[:500])
    with pytest.raises(ImportValidationError, match="is truncated: its PNG end chunk") as err:
        import_source(hub, SYSTEM, pid, source, fmt="image_folder")
    assert err.value.problems[0]["file"] == str(tmp_path / "dogs" / "cut.png")
    assert project_rows(hub, pid) == before


# ------------------------------------------------- coordinates, categories and ids the import service checks

Change = Callable[[Path], None]


def _text(rel: str, old: str, new: str) -> Change:
    return lambda root: edit(root / rel, old, new)


def _both(*changes: Change) -> Change:
    def change(root: Path) -> None:
        for one in changes:
            one(root)

    return change


def _put(rel: str, text: str) -> Change:
    return lambda root: (root / rel).write_text(text)


def _drop(rel: str) -> Change:
    return lambda root: (root / rel).unlink()


def _sample(doc_changes: dict[str, Any], key: str = "00000000") -> Change:
    def change(root: Path) -> None:
        doc = {**WDS_DOCS[0], **doc_changes}
        make_shard(root / SHARD, [(f"{key}.json", json.dumps(doc).encode()), (f"{key}.png", png_bytes(64, 48))])

    return change


# (case, change to its valid sample, what the first problem's file and field must hold, words of its message)
SERVICE_CASES: list[tuple[str, Change, str, str]] = [
    ("coco", _text("ann.json", '"bbox": [\n    2,', '"bbox": [\n    -20,'), "ann.json: annotations[0]",
     "negative coordinates"),
    ("cvat_images", _text("annotations.xml", 'xbr="30.25"', 'xbr="300.25"'), "annotations.xml: line 23",
     "extends past the image width 64"),
    ("cvat_images", _text("annotations.xml", 'points="1,2;30,2', 'points="-9,2;30,2'), "annotations.xml: line 26",
     "negative coordinates"),
    ("cvat_video", _text("annotations.xml", 'ytl="2" xbr="31" ybr="40"', 'ytl="2" xbr="31" ybr="4000"'),
     "annotations.xml: line 25", "extends past the image height 480"),
    ("webdataset", _sample({"annotations": [{"kind": "box", "label": "cat", "geometry": {"bbox": [1, 2, 90, 40]}}]}),
     "00000000.json: annotations[0]", "extends past the image width 64"),
    ("webdataset", _sample({"annotations": [{"kind": "box", "label_id": 7, "geometry": {"bbox": [1, 2, 9, 4]}}]}),
     "00000000.json: annotations[0]", "annotation has no label"),
    ("text_jsonl", _text("data.jsonl", '{"id": 2,', '{"id": "a",'), "data.jsonl: line 2 name", "duplicate item 'a'"),
    ("mot", _both(_put("SEQ-01/gt/labels.txt", "walker\n"), _text("SEQ-01/gt/gt.txt", "0,7,0.25", "1,9,0.25")),
     "gt.txt class", "class 9 is not one of the 1 names of labels.txt"),
]  # fmt: skip
SERVICE_IDS = ["coco-negative", "cvat-outside", "cvat-negative-polygon", "cvat-video-outside", "wds-outside",
               "wds-unknown-label-id", "jsonl-duplicate-id", "mot-unknown-class"]  # fmt: skip


@pytest.mark.parametrize(("case_id", "change", "where", "words"), SERVICE_CASES, ids=SERVICE_IDS)
def test_a_bad_box_label_or_id_refuses_the_import(
    hub: Hub, tmp_path: Path, case_id: str, change: Change, where: str, words: str
) -> None:
    refusal = _refused_import(hub, tmp_path, case_id, change)
    assert isinstance(refusal, ImportValidationError) and "nothing was imported" in str(refusal)
    first = refusal.problems[0]
    assert all(part in f"{first['file']} {first.get('field', '')}" for part in where.split(" ")), first
    assert words in first["message"]


def _refused_import(hub: Hub, tmp: Path, case_id: str, change: Change) -> LabelhubError:
    """Import the case's sample with ``change`` made into a project seeded with the valid sample; check that
    it is refused and leaves the project as it was, and return the error."""
    case = CASES[case_id]
    pid = seeded_project(hub, case_id)
    before = project_rows(hub, pid)
    source = case.build(tmp)
    change(tmp)
    with pytest.raises(LabelhubError) as err:
        import_source(hub, SYSTEM, pid, source, fmt=case.fmt, options=case.import_options())
    assert project_rows(hub, pid) == before
    return err.value


def test_nan_and_a_duplicate_sample_key_name_their_place(tmp_path: Path) -> None:
    case = CASES["coco"]
    source = case.build(tmp_path / "coco")
    edit(source, '"bbox": [\n    2,', '"bbox": [\n    NaN,')
    out = run_importer("coco", source, case.import_options())
    assert isinstance(out.error, FormatError) and out.error.context["line"] == line_of(source, "NaN")

    shards = CASES["webdataset"].build(tmp_path / "wds")
    doc = json.dumps(WDS_DOCS[0]).encode()
    members = [("k.json", doc), ("k.png", png_bytes()), ("x.json", doc), ("x.png", png_bytes()), ("k.json", doc)]
    make_shard(shards / SHARD, members)
    out = run_importer("webdataset", shards, ImportOptions())
    assert [(p.file, p.field) for p in out.problems] == [(str(shards / SHARD), "k.json")]
    assert "sample key 'k' appears again" in out.problems[0].message


# ------------------------------------------------------------- values the database cannot hold, names the OS refuses

# (case, change, field of the problem or error, words): each would pass the format's checks and fail in the
# database with a driver error (NUL, over-long text, integers beyond 32 bits, JSON nested past orjson's limit).
STORAGE_CASES: list[tuple[str, Change, str, str]] = [
    ("text_jsonl", _text("data.jsonl", '"bye"', '"by\\u0000e"'), "text", "holds a NUL character"),
    ("text_jsonl", _text("data.jsonl", '["x", "y"]', f'["x", "{"y" * 201}"]'), "annotations[1].label",
     "201 characters long"),
    ("webdataset", _sample({"width": 2**40}), "width", f"must be from 1 to {2**31 - 1}"),
    ("webdataset", _sample({"meta": {"deep": json.loads("[" * 300 + "]" * 300)}}), "meta", "cannot be stored"),
    ("webdataset", _sample({"meta": {"note": "a\x00b"}}), "meta", "holds a NUL character"),
    ("mot", _text("SEQ-01/gt/gt.txt", "2,1,12,5", "2,1e12,12,5"), "id", "id must be a whole number up to"),
    ("yolo", _text("classes.txt", "dog", "d\x00g"), "classes.txt", "holds a NUL character"),
    ("label_studio", _text("tasks.json", '"indoor"', '"in\\u0000door"'), "annotations[2].label", "holds a NUL"),
]  # fmt: skip
STORAGE_IDS = ["nul-text", "long-label", "huge-width", "deep-meta", "nul-meta", "huge-track-id", "nul-class-name",
               "nul-choice"]  # fmt: skip


@pytest.mark.parametrize(("case_id", "change", "field", "words"), STORAGE_CASES, ids=STORAGE_IDS)
def test_a_value_the_database_cannot_hold_is_refused_by_name(
    hub: Hub, tmp_path: Path, case_id: str, change: Change, field: str, words: str
) -> None:
    refusal = _refused_import(hub, tmp_path, case_id, change)
    first = refusal.problems[0] if isinstance(refusal, ImportValidationError) else refusal.context
    assert field in f"{first.get('file')} {first.get('field')}" and words in str(refusal), refusal


LONG = "a" * 300  # one path component longer than any file system allows
NAME_CASES: list[tuple[str, Change, str]] = [
    ("coco", _text("ann.json", '"a.png"', f'"{LONG}.png"'), "not found"),
    ("coco_captions", _text("captions_val2017.json", '"a.png"', f'"{LONG}.png"'), "not found"),
    ("voc", _both(_text("Annotations/a.xml", "<filename>a.png", f"<filename>{LONG}.png"), _drop("JPEGImages/a.png")),
     "not found"),
    ("cvat_images", _text("annotations.xml", 'name="b.png"', f'name="{LONG}.png"'), "not found"),
    ("label_studio", _text("tasks.json", '"b.png"', f'"{LONG}.png"'), "not found"),
    ("yolo_yaml", _text("data.yaml", "train: images/train", f"train: images/{LONG}"), "is not a folder of images"),
    ("mot", _text("SEQ-01/seqinfo.ini", "imDir=img1", f"imDir={LONG}"), "no frames in"),
    ("webdataset", _text("shard-index.json", f'"{SHARD}"', f'"{LONG}.tar"'), "is missing"),
]  # fmt: skip


@pytest.mark.parametrize(("case_id", "change", "words"), NAME_CASES, ids=[c[0] for c in NAME_CASES])
def test_a_file_name_too_long_for_the_os_is_not_found_instead_of_crashing(
    tmp_path: Path, case_id: str, change: Change, words: str
) -> None:
    case = CASES[case_id]
    source = case.build(tmp_path)
    change(tmp_path)
    out = run_importer(case.fmt, source, case.import_options())
    said = [str(out.error)] if out.error else [p.message for p in out.problems]
    assert any(words in s and LONG in s for s in said), said


# ------------------------------------------------------------------------------ types and digits that broke readers


@pytest.mark.parametrize(
    ("old", "new", "field", "words"),
    [
        ('id="0" label="car"', 'id="²" label="car"', "id", "track> id must be an integer"),
        ('id="0" label="car"', f'id="{"9" * 5000}" label="car"', "id", "track> id must be an integer"),
        ('<box frame="1"', '<box frame="²"', "frame", "frame must be a frame number"),
        ('<box frame="1"', f'<box frame="{"9" * 5000}"', "frame", "frame must be a frame number"),
        ('<image id="2"', '<image id="١٢"', "id", "id must be a frame number"),
    ],
    ids=["superscript-id", "5000-digit-id", "superscript-frame", "5000-digit-frame", "arabic-frame"],
)
def test_cvat_numbers_that_int_cannot_read_are_problems(
    tmp_path: Path, old: str, new: str, field: str, words: str
) -> None:
    source = CASES["cvat_video"].build(tmp_path)
    edit(source, old, new)
    out = run_importer("cvat_video", source, ImportOptions())
    assert out.error is None
    bad = [p for p in out.problems if words in p.message]
    assert [(p.file, p.line, p.field) for p in bad] == [(str(source), line_of(source, new), field)]


def test_cvat_sizes_that_int_cannot_read_fall_back_to_the_image_header(tmp_path: Path) -> None:
    source = CASES["cvat_images"].build(tmp_path)
    edit(source, 'width="64" height="48"', f'width="²" height="{"9" * 5000}"')
    out = run_importer("cvat_images", source, ImportOptions())
    assert out.problems == [] and [(i.width, i.height) for i in out.items] == [(64, 48), (64, 48)]


@pytest.mark.parametrize("encoding", ["utn-8", "utf-7", "idna", "rot13"])
@pytest.mark.parametrize(("case_id", "rel"), [("voc", "Annotations/a.xml"), ("cvat_images", "annotations.xml")])
def test_an_xml_encoding_that_cannot_be_read_names_the_file(
    tmp_path: Path, case_id: str, rel: str, encoding: str
) -> None:
    source = CASES[case_id].build(tmp_path)
    xml = tmp_path / rel
    text = xml.read_text().removeprefix('<?xml version="1.0" encoding="utf-8"?>\n')
    xml.write_text(f'<?xml version="1.0" encoding="{encoding}"?>\n{text}')
    out = run_importer(CASES[case_id].fmt, source, ImportOptions())
    said = [out.error.context] if out.error else [p.to_json() for p in out.problems]
    assert said[0]["file"] == str(xml) and said[0]["line"] == 1 and said[0]["field"] == "encoding"
    assert "declares an encoding that cannot be read" in (str(out.error) if out.error else out.problems[0].message)


@pytest.mark.parametrize("rtype", [["rectanglelabels"], {"t": 1}, None, 7])
def test_label_studio_result_type_of_another_type_is_a_problem(tmp_path: Path, rtype: Any) -> None:
    source = CASES["label_studio"].build(tmp_path)
    tasks = json.loads(source.read_text())
    tasks[0]["annotations"][0]["result"][0]["type"] = rtype
    source.write_text(json.dumps(tasks))
    out = run_importer("label_studio", source, ImportOptions())
    assert [(p.file, p.field) for p in out.problems] == [(str(source), "tasks[0].annotations[0].result[0].type")]
    assert "is not imported" in out.problems[0].message


@pytest.mark.parametrize(
    "body",
    ["names: [cat, dog]\nnc: " + "9" * 5000 + "\n", "names: " + "[" * 20_000 + "]" * 20_000 + "\n"],
    ids=["5000-digit-int", "nested-20000-deep"],
)
def test_yaml_that_pyyaml_cannot_build_is_a_format_error(tmp_path: Path, body: str) -> None:
    source = CASES["yolo_yaml"].build(tmp_path)
    source.write_text("path: .\ntrain: images/train\nval: images/val\n" + body)
    out = run_importer("yolo", source, ImportOptions())
    assert isinstance(out.error, FormatError) and out.error.context["file"] == str(source)
    assert "cannot read data.yaml" in str(out.error)


@pytest.mark.parametrize(
    ("fmt", "name", "doc"),
    [
        ("label_studio", "tasks.json", '[{"id": 1, "data": {"text": "\\udc00\\ud800"}}]'),
        ("coco_captions", "captions_x.json", '{"images": [{"id": 1, "file_name": "\\udc00\\ud800"}]}'),
    ],
)
def test_a_surrogate_the_streaming_reader_cannot_decode_names_the_line(
    tmp_path: Path, fmt: str, name: str, doc: str
) -> None:
    source = tmp_path / name
    source.write_text(doc)
    out = run_importer(fmt, source, ImportOptions(media="none"))
    assert isinstance(out.error, FormatError) and "invalid high surrogate" in str(out.error)
    assert (out.error.context["file"], out.error.context["line"]) == (str(source), 1)
