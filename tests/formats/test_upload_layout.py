"""Uploaded zips and server folders as people make them: one top-level folder (``zip -r ds.zip ds/``), duplicate
members, archives that expand far beyond their size, and what an import says when it reads plain images only."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from tests.builders import coco_dict, new_project, write_dataset
from tests.formats._hostile import png_bytes, zip_bytes

from labelhub.errors import FormatError
from labelhub.formats import dataset_root
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_source
from labelhub.services.uploads import MAX_ZIP_RATIO, remove_upload, save_upload

SYSTEM = Actor.system()
LIMIT = 1 << 20


def zipped_folder(root: Path, top: str | None) -> bytes:
    """Zip ``root``'s files as ``zip -r`` would: under ``top/`` (or at the top level), plus macOS' debris."""
    entries = [(f"{top}/{p.relative_to(root).as_posix()}" if top else p.relative_to(root).as_posix(), p.read_bytes())
               for p in sorted(root.rglob("*")) if p.is_file()]  # fmt: skip
    return zip_bytes([*entries, ("__MACOSX/._ann.json", b"\0"), (".DS_Store", b"\0")])


def test_a_zip_of_one_dataset_folder_imports_its_annotations(hub: Hub, tmp_path: Path) -> None:
    write_dataset(tmp_path / "ds", coco_dict(["a.png", "b.png"]))
    source = save_upload(tmp_path / "uploads", "ds.zip", io.BytesIO(zipped_folder(tmp_path / "ds", "ds")),
                         max_bytes=LIMIT)  # fmt: skip
    assert source.name == "ds.zip" and source.is_dir()  # unpacked under the archive's own name
    report = import_source(hub, SYSTEM, new_project(hub, "nested"), source)
    assert report.format == "coco" and report.items_added == 2 and report.annotations_added == 4
    assert report.warnings == []


def test_a_server_folder_with_the_dataset_one_level_down_is_read_from_inside(hub: Hub, tmp_path: Path) -> None:
    write_dataset(tmp_path / "outer" / "ds", coco_dict(["a.png"]))
    (tmp_path / "outer" / ".hidden").write_text("x")
    report = import_source(hub, SYSTEM, new_project(hub, "nested"), tmp_path / "outer", fmt="coco")
    assert report.items_added == 1 and report.annotations_added == 2


def test_a_single_folder_of_images_stays_a_class_folder(tmp_path: Path) -> None:
    (tmp_path / "pets" / "cats").mkdir(parents=True)
    (tmp_path / "pets" / "cats" / "1.png").write_bytes(png_bytes())
    assert dataset_root(tmp_path / "pets") == tmp_path / "pets"
    assert dataset_root(tmp_path) == tmp_path / "pets"


def test_annotations_a_plain_image_read_leaves_unread_are_named(hub: Hub, tmp_path: Path) -> None:
    root = tmp_path / "multi"
    write_dataset(root / "deep" / "er", coco_dict(["a.png"]))  # not where COCO looks: read as an image folder
    (root / "other").mkdir()
    (root / "other" / "b.png").write_bytes(png_bytes())
    report = import_source(hub, SYSTEM, new_project(hub, "plain"), root)
    assert report.format == "image_folder" and report.annotations_added == 0
    (warning,) = report.warnings
    assert "no annotations were read" in warning and "found ann.json in multi/deep/er" in warning, warning
    assert "choose its format" in warning and str(tmp_path) not in warning
    assert report.to_json()["warnings"] == [warning]


def test_the_coco_error_names_the_zip_and_its_folder(hub: Hub, tmp_path: Path) -> None:
    data = zip_bytes([("ds/images/a.png", png_bytes()), ("ds/notes/readme.md", b"hi")])
    source = save_upload(tmp_path / "uploads", "ds.zip", io.BytesIO(data), max_bytes=LIMIT)
    with pytest.raises(FormatError, match=r"no COCO \.json file in .*/ds\.zip/ds or .*/ds\.zip/ds/annotations"):
        import_source(hub, SYSTEM, new_project(hub, "none"), source, fmt="coco")


def test_duplicate_member_names_are_refused_before_anything_is_unpacked(tmp_path: Path) -> None:
    data = zip_bytes([("ann.json", b"{}"), ("images/a.png", png_bytes()), ("images/a.png", b"not an image")])
    uploads = tmp_path / "uploads"
    with pytest.raises(FormatError, match=r"images/a\.png appears twice in the archive") as err:
        save_upload(uploads, "dup.zip", io.BytesIO(data), max_bytes=LIMIT)
    assert err.value.context == {"file": "dup.zip", "field": "images/a.png"}
    assert list(uploads.iterdir()) == []


def test_a_zip_expanding_far_beyond_its_size_is_refused_naming_the_ratio(tmp_path: Path) -> None:
    data = zip_bytes([("ann.json", json.dumps(coco_dict(["a.png"])).encode()), ("zeros.bin", bytes(101 << 20))])
    assert len(data) * MAX_ZIP_RATIO < 101 << 20
    uploads = tmp_path / "uploads"
    with pytest.raises(FormatError, match=r"would unpack to 101 MB, [\d,]+ times its own size.*zip bomb") as err:
        save_upload(uploads, "bomb.zip", io.BytesIO(data), max_bytes=1 << 30)
    assert err.value.context == {"file": "bomb.zip"}
    assert list(uploads.iterdir()) == []


def test_a_small_zip_may_compress_well(tmp_path: Path) -> None:
    data = zip_bytes([("zeros.txt", bytes(4 << 20))])  # 1,000x, but far below the 100 MB floor
    assert save_upload(tmp_path / "uploads", "z.zip", io.BytesIO(data), max_bytes=LIMIT).is_dir()


def test_remove_upload_deletes_only_an_upload_folder(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    source = save_upload(uploads, "t.jsonl", io.BytesIO(b'{"text": "a"}\n'), max_bytes=LIMIT)
    assert not remove_upload(uploads, tmp_path / "elsewhere" / "t.jsonl")
    assert remove_upload(uploads, source) and list(uploads.iterdir()) == []
