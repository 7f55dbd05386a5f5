"""COCO captions: real COCO-MINI captions with XTD10's other languages, attaching to images already imported."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select
from tests.builders import new_project
from tests.formats._support import split_records

from labelhub.errors import FormatError
from labelhub.formats import coco as coco_format
from labelhub.formats import coco_captions as captions_format
from labelhub.formats import detect_format
from labelhub.formats.base import ImportOptions
from labelhub.formats.coco_captions import CocoCaptionsImporter
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_source
from labelhub.storage.models import Item

XTD_LANGS = {"de", "fr", "ja", "es", "it", "ko", "pl", "ru", "tr", "zh"}


def _langs(captions: list[dict[str, str]]) -> Counter[str]:
    return Counter(c["lang"] for c in captions)


def _write(path: Path, images: list[Any], annotations: list[Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps({"images": images, "annotations": annotations}, option=orjson.OPT_INDENT_2))
    return path


def _img(iid: int, name: str | None = None) -> dict[str, Any]:
    return {"id": iid, "file_name": name or f"{iid:012d}.jpg", "width": 64, "height": 48}


def test_val_captions_get_the_xtd10_languages(coco_captions: Path) -> None:
    src = coco_captions / "annotations" / "captions_val2017.json"
    importer = CocoCaptionsImporter(src, ImportOptions())
    with importer:
        items, problems = split_records(importer)
        assert importer.labels() == [] and importer.total() == 79
    assert problems == []
    assert len(items) == 79 and len({i.name for i in items}) == 79
    assert sum(_langs(i.meta["captions"])["en"] for i in items) == 395
    fruit = next(i for i in items if i.name == "000000128598.jpg")
    assert (fruit.width, fruit.height, fruit.external_id, fruit.split) == (480, 640, "128598", "val2017")
    assert fruit.media_path == (coco_captions / "images" / "val2017" / "000000128598.jpg").resolve()
    # XTD10 adds one caption in each of 10 more languages; its English one repeats a COCO caption.
    assert _langs(fruit.meta["captions"]) == Counter({"en": 5} | dict.fromkeys(XTD_LANGS, 1))
    assert fruit.meta["captions"][0] == {
        "text": "A group of red, yellow and orange fruit  mixed together.",
        "lang": "en",
    }
    assert {"text": "许多红色、黄色和橙色的水果混在一起", "lang": "zh"} in fruit.meta["captions"]
    assert all(_langs(i.meta["captions"]) == {"en": 5} for i in items if i is not fruit)


def test_folder_reads_every_captions_file(coco_captions: Path) -> None:
    with CocoCaptionsImporter(coco_captions, ImportOptions(media="none")) as importer:
        items, problems = split_records(importer)
    assert problems == []
    assert len(items) == 79 + 80
    assert Counter(i.split for i in items) == {"val2017": 79, "train2017": 80}
    multilingual = {i.name: _langs(i.meta["captions"]) for i in items if len(_langs(i.meta["captions"])) > 1}
    want = Counter({"en": 5} | dict.fromkeys(XTD_LANGS, 1))
    assert multilingual == {"000000128598.jpg": want, "000000172123.jpg": want, "000000063217.jpg": want}


def test_missing_images_are_problems_unless_metadata_only(coco_captions: Path) -> None:
    # The train file lists 80 images, of which only 2 are in the folder.
    src = coco_captions / "annotations" / "captions_train2017.json"
    with CocoCaptionsImporter(src, ImportOptions()) as importer:
        items, problems = split_records(importer)
    assert sorted(i.name for i in items) == ["000000063217.jpg", "000000172123.jpg"]
    assert len(problems) == 78 and all(p.file == str(src) for p in problems)
    assert problems[0].field is not None and problems[0].field.endswith("].file_name")
    assert "not found" in problems[0].message


def test_options_skip_xtd10_and_set_the_language(coco_captions: Path) -> None:
    src = coco_captions / "annotations" / "captions_val2017.json"
    options = ImportOptions(media="none", extra={"xtd10": "false", "lang": "en-US"})
    with CocoCaptionsImporter(src, options) as importer:
        items, _ = split_records(importer)
    fruit = next(i for i in items if i.name == "000000128598.jpg")
    assert _langs(fruit.meta["captions"]) == {"en-US": 5}


def test_detection_tells_captions_from_detection(coco_captions: Path, coco128: Path, tmp_path: Path) -> None:
    val = coco_captions / "annotations" / "captions_val2017.json"
    instances = coco128 / "annotations" / "instances_train2017.json"
    assert detect_format(coco_captions).name == "coco_captions"
    assert detect_format(val).name == "coco_captions"
    assert detect_format(instances).name == "coco"
    assert not coco_format.detect(val) and not captions_format.detect(instances) and not captions_format.detect(coco128)
    # A large captions file lists its images first: the captions only show at its end.
    images = [_img(i, f"{i:012d}_{'x' * 200}.jpg") for i in range(1, 8000)]
    big = _write(tmp_path / "big.json", images, [{"id": 1, "image_id": 1, "caption": "a cat"}])
    assert big.stat().st_size > 2 << 20 and b'"caption"' not in big.read_bytes()[: 1 << 20]
    assert captions_format.detect(big) and not coco_format.detect(big)


@pytest.mark.parametrize(
    ("images", "annotations", "field", "words"),
    [
        ([_img(1)], [{"image_id": 2, "caption": "a cat"}], "annotations[0].image_id", "unknown image_id 2"),
        ([_img(1)], [{"image_id": 1, "caption": "  "}], "annotations[0].caption", "non-empty text"),
        ([_img(1)], [{"image_id": 1, "caption": 5}], "annotations[0].caption", "non-empty text"),
        ([_img(1)], ["a cat"], "annotations[0].image_id", "unknown image_id"),
        ([_img(1), _img(1, "b.jpg")], [], "images[1].id", "duplicate image id 1"),
        ([_img(1), _img(2, "../../etc/passwd")], [], "images[1].file_name", "relative path"),
        ([_img(1), {"file_name": "x.jpg"}], [], "images[1].id", "integer id"),
    ],
)
def test_bad_entries_are_problems_naming_the_field(
    tmp_path: Path, images: list[Any], annotations: list[Any], field: str, words: str
) -> None:
    src = _write(tmp_path / "captions_x.json", images, annotations)
    with CocoCaptionsImporter(src, ImportOptions(media="none")) as importer:
        items, problems = split_records(importer)
    assert [(p.file, p.field) for p in problems] == [(str(src), field)]
    assert words in problems[0].message
    assert [i.name for i in items] == ["000000000001.jpg"]


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    src = tmp_path / "captions_bad.json"
    src.write_text(
        '{"images": [{"id": 1, "file_name": "a.jpg"}],\n "annotations": [\n  {"image_id": 1 "caption": "x"}]}'
    )
    with pytest.raises(FormatError) as err:
        list(CocoCaptionsImporter(src, ImportOptions(media="none")))
    assert (err.value.context["file"], err.value.context["line"]) == (str(src), 3)


def test_xtd10_files_must_line_up(tmp_path: Path) -> None:
    src = _write(tmp_path / "annotations" / "captions_val.json", [_img(7)], [{"image_id": 7, "caption": "a dog"}])
    xtd = tmp_path / "xtd10"
    (xtd / "XTD10").mkdir(parents=True)
    (xtd / "XTD10" / "test_image_names.txt").write_text("COCO_val2014_000000000007.jpg\n")
    (xtd / "XTD10" / "test_1kcaptions_de.txt").write_text("ein Hund\n")
    with CocoCaptionsImporter(src, ImportOptions(media="none")) as importer:
        items, _ = split_records(importer)
    assert items[0].meta["captions"] == [{"text": "a dog", "lang": "en"}, {"text": "ein Hund", "lang": "de"}]

    (xtd / "XTD10" / "test_1kcaptions_de.txt").write_text("ein Hund\nzwei Hunde\n")
    with pytest.raises(FormatError, match=r"2 lines but test_image_names\.txt names 1") as err:
        list(CocoCaptionsImporter(src, ImportOptions(media="none")))
    assert err.value.context["line"] == 2
    with pytest.raises(FormatError, match=r"no XTD10/test_image_names\.txt"):
        CocoCaptionsImporter(src, ImportOptions(extra={"xtd10_dir": str(tmp_path / "annotations")}))


def test_not_a_captions_source(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="no COCO captions"):
        CocoCaptionsImporter(tmp_path, ImportOptions())


def test_captions_attach_to_images_already_in_the_project(hub: Hub, coco_captions: Path) -> None:
    system = Actor.system()
    pid = new_project(hub, "captions")
    first = import_source(hub, system, pid, coco_captions / "images" / "val2017", fmt="image_folder")
    assert (first.items_added, first.annotations_added) == (79, 0)
    report = import_source(hub, system, pid, coco_captions / "annotations" / "captions_val2017.json", fmt="auto")
    assert (report.format, report.items_added, report.items_matched) == ("coco_captions", 0, 79)
    with hub.db.session() as s:
        rows = s.execute(select(Item.name, Item.meta).where(Item.project_id == pid)).all()
    assert len(rows) == 79
    meta: dict[str, Any] = {name: m for name, m in rows}
    assert all(_langs(m["captions"])["en"] == 5 for m in meta.values())
    assert _langs(meta["000000128598.jpg"]["captions"]) == Counter({"en": 5} | dict.fromkeys(XTD_LANGS, 1))
    assert meta["000000128598.jpg"]["external_id"] == "128598"
