"""Importing sources into projects: real datasets in and out again, refusals that change nothing, media modes."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select
from tests.builders import coco_dict, new_project, write_dataset
from tests.conftest import data_path

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.schema import LabelSchema
from labelhub.errors import ConfigurationError, FormatError, ImportValidationError, ValidationError
from labelhub.formats import ExportOptions, ImportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source
from labelhub.services.projects import create_project
from labelhub.services.stats import project_stats
from labelhub.storage.models import Annotation, Item, Media, Project

SYSTEM = Actor.system()
Boxes = dict[str, list[tuple[str, list[float]]]]


def snapshot(hub: Hub, pid: int) -> tuple[int, int, dict[str, Any], list[tuple[int, str, int]]]:
    """Return what a user sees of a project: item and annotation counts, its schema, and its items."""
    with hub.db.session() as s:
        stats = project_stats(s, SYSTEM, pid)
        schema = s.get_one(Project, pid).label_schema
        rows = s.execute(select(Item.id, Item.name, Item.version).where(Item.project_id == pid).order_by(Item.id))
        items = [(i, n, v) for i, n, v in rows]
    return stats["items"]["total"], stats["annotations"]["total"], schema, items


def coco_boxes(path: Path, *, by_basename: bool = False) -> Boxes:
    """Return each image's boxes as (category name, [x, y, w, h]), sorted, keyed by file name."""
    coco = orjson.loads(path.read_bytes())
    names = {c["id"]: c["name"] for c in coco["categories"]}
    files = {img["id"]: img["file_name"] for img in coco["images"]}
    out: Boxes = defaultdict(list)
    for a in coco["annotations"]:
        key = files[a["image_id"]]
        out[PurePosixPath(key).name if by_basename else key].append((names[a["category_id"]], a["bbox"]))
    return {k: sorted(v) for k, v in out.items()}


def within_a_pixel(a: list[float], b: list[float]) -> bool:
    return all(abs(x - y) <= 1.0 for x, y in zip(a, b, strict=True))


def test_coco128_import_fills_the_project(hub: Hub) -> None:
    pid = new_project(hub, "coco128")
    report = import_source(hub, SYSTEM, pid, data_path("detection_coco128"), fmt="coco")
    # Every COCO object keeps its box; its segmentation comes as polygons (or a mask for the crowd ones).
    assert (report.items_added, report.annotations_added) == (128, 939 + 1048 + 10)
    items, anns, schema, _ = snapshot(hub, pid)
    assert (items, anns) == (128, 1997)
    with hub.db.session() as s:
        rows = s.execute(
            select(Annotation.kind, func.count()).where(Annotation.project_id == pid).group_by(Annotation.kind)
        )
        kinds = {kind: n for kind, n in rows}
    assert kinds == {"box": 939, "polygon": 1048, "mask": 10}
    assert len(LabelSchema.from_json(schema).names) == 80


def test_coco_export_gives_back_every_box_and_category(hub: Hub, tmp_path: Path) -> None:
    src = data_path("detection_coco128")
    pid = new_project(hub, "coco128")
    import_source(hub, SYSTEM, pid, src, fmt="coco")
    out = tmp_path / "out.json"
    report = export_project(hub, SYSTEM, pid, out, fmt="coco")
    assert (report.items, report.annotations) == (128, 1997)

    original = orjson.loads((src / "annotations" / "instances_train2017.json").read_bytes())
    exported = orjson.loads(out.read_bytes())
    assert {c["id"]: c["name"] for c in exported["categories"]} == {c["id"]: c["name"] for c in original["categories"]}
    assert len(exported["categories"]) == 80
    want = coco_boxes(src / "annotations" / "instances_train2017.json")
    got = coco_boxes(out)
    assert got.keys() == want.keys()
    assert sum(len(v) for v in got.values()) == 939
    for name, boxes in want.items():
        assert [label for label, _ in got[name]] == [label for label, _ in boxes], name
        for (_, g), (_, w) in zip(got[name], boxes, strict=True):
            assert g == pytest.approx(w, abs=1e-6), name


def test_coco_to_yolo_and_back_keeps_boxes_within_a_pixel(hub: Hub, tmp_path: Path) -> None:
    src = data_path("detection_coco128")
    first = new_project(hub, "coco128")
    import_source(hub, SYSTEM, first, src, fmt="coco")
    yolo_dir = tmp_path / "yolo"
    export_project(hub, SYSTEM, first, yolo_dir, fmt="yolo", options=ExportOptions(copy_media=True))
    second = new_project(hub, "from-yolo")
    report = import_source(hub, SYSTEM, second, yolo_dir, fmt="yolo")
    assert (report.items_added, report.annotations_added) == (128, 939)
    back = tmp_path / "back.json"
    export_project(hub, SYSTEM, second, back, fmt="coco")

    want = coco_boxes(src / "annotations" / "instances_train2017.json", by_basename=True)
    got = coco_boxes(back, by_basename=True)
    assert got.keys() == want.keys()
    for name, boxes in want.items():
        unmatched = list(got[name])
        for label, box in boxes:
            match = next((g for g in unmatched if g[0] == label and within_a_pixel(g[1], box)), None)
            assert match is not None, f"{name}: no {label} box within 1 px of {box} in {unmatched}"
            unmatched.remove(match)
        assert unmatched == [], name


def test_banking77_text_import(hub: Hub) -> None:
    pid = new_project(hub, "banking77", ItemKind.TEXT)
    # No column options: the text and category columns are found by their names, as a CLI user would rely on.
    report = import_source(hub, SYSTEM, pid, data_path("text_banking77", "train.csv"), fmt="auto")
    assert report.format == "text"
    with hub.db.session() as s:
        stats = project_stats(s, SYSTEM, pid)
    assert stats["items"]["total"] == 10_003
    assert stats["annotations"]["total"] == 10_003
    assert stats["annotations"]["by_kind"] == {"class": 10_003}
    assert len(stats["annotations"]["by_label"]) == 77


def _missing_image(data: dict[str, Any], root: Path) -> None:
    (root / "images" / data["images"][1]["file_name"]).unlink()


def _box_outside(data: dict[str, Any], root: Path) -> None:
    data["annotations"][2]["bbox"] = [50.0, 30.0, 40.0, 40.0]  # reaches x=90 in a 64 px wide image


def _unknown_category(data: dict[str, Any], root: Path) -> None:
    data["annotations"][3]["category_id"] = 99


def _duplicate_image_id(data: dict[str, Any], root: Path) -> None:
    data["images"][2]["id"] = data["images"][0]["id"]


# (how the file is broken, where the problem must point, items and annotations imported with skip_invalid)
BAD_INPUTS: list[tuple[Callable[[dict[str, Any], Path], None], str, tuple[int, int]]] = [
    (_missing_image, "images[1].file_name", (2, 4)),
    (_box_outside, "annotations[2]", (3, 5)),
    (_unknown_category, "annotations[3].category_id", (3, 5)),
    (_duplicate_image_id, "images[2].id", (2, 4)),
]
BAD_IDS = ["missing-image", "box-outside", "unknown-category", "duplicate-image-id"]


def _bad_dataset(tmp_path: Path, breaker: Callable[[dict[str, Any], Path], None]) -> Path:
    data = coco_dict(["a.png", "b.png", "c.png"])
    root = tmp_path / "bad"
    write_dataset(root, data)
    breaker(data, root)
    return write_dataset(root, data, images=False)


def _populated(hub: Hub, tmp_path: Path) -> int:
    pid = new_project(hub, "target")
    import_source(hub, SYSTEM, pid, write_dataset(tmp_path / "good", coco_dict(["x.png", "y.png"])), fmt="coco")
    return pid


@pytest.mark.parametrize(("breaker", "where", "kept"), BAD_INPUTS, ids=BAD_IDS)
def test_bad_input_refuses_everything(
    hub: Hub, tmp_path: Path, breaker: Callable[[dict[str, Any], Path], None], where: str, kept: tuple[int, int]
) -> None:
    pid = _populated(hub, tmp_path)
    before = snapshot(hub, pid)
    source = _bad_dataset(tmp_path, breaker)
    with pytest.raises(ImportValidationError) as caught:
        import_source(hub, SYSTEM, pid, source, fmt="coco")
    assert snapshot(hub, pid) == before
    assert "nothing was imported" in caught.value.detail
    assert any("ann.json" in (p.get("file") or "") and where in f"{p.get('file')} {p.get('field')}"
               for p in caught.value.problems), caught.value.problems  # fmt: skip


@pytest.mark.parametrize(("breaker", "where", "kept"), BAD_INPUTS, ids=BAD_IDS)
def test_skip_invalid_imports_the_rest_and_reports_what_was_skipped(
    hub: Hub, tmp_path: Path, breaker: Callable[[dict[str, Any], Path], None], where: str, kept: tuple[int, int]
) -> None:
    pid = _populated(hub, tmp_path)
    items, anns, _, _ = snapshot(hub, pid)
    source = _bad_dataset(tmp_path, breaker)
    report = import_source(hub, SYSTEM, pid, source, fmt="coco", options=ImportOptions(skip_invalid=True))
    assert (report.items_added, report.annotations_added) == kept
    assert snapshot(hub, pid)[:2] == (items + kept[0], anns + kept[1])
    assert report.report_path is not None
    written = orjson.loads(Path(report.report_path).read_bytes())
    assert written["skipped_count"] == len(report.skipped) >= 1
    assert any(where in f"{p.get('file')} {p.get('field')}" and p["message"] for p in written["skipped"])


@pytest.mark.parametrize("skip_invalid", [False, True])
def test_truncated_json_is_refused_naming_file_and_line(hub: Hub, tmp_path: Path, skip_invalid: bool) -> None:
    # An unreadable file is a FormatError (see formats/base.py), even with skip_invalid: there is no valid part.
    pid = _populated(hub, tmp_path)
    before = snapshot(hub, pid)
    source = write_dataset(tmp_path / "cut", coco_dict(["a.png", "b.png"]))
    text = source.read_bytes()
    source.write_bytes(text[: len(text) // 2])
    with pytest.raises(FormatError) as caught:
        import_source(hub, SYSTEM, pid, source, fmt="coco", options=ImportOptions(skip_invalid=skip_invalid))
    assert caught.value.context["file"].endswith("ann.json")
    assert caught.value.context["line"] > 1
    assert "ann.json" in caught.value.detail and "line" in caught.value.detail
    assert snapshot(hub, pid) == before


def test_reimport_attaches_annotations_to_existing_items(hub: Hub, tmp_path: Path) -> None:
    pid = new_project(hub, "target")
    names = ["a.png", "b.png", "c.png"]
    bare = coco_dict(names) | {"annotations": []}
    first = import_source(hub, SYSTEM, pid, write_dataset(tmp_path / "bare", bare), fmt="coco")
    assert (first.items_added, first.annotations_added) == (3, 0)
    assert first.labels_added == ["cat", "dog"]  # the empty project's schema grew by the file's categories
    _, _, _, items_before = snapshot(hub, pid)

    again = import_source(hub, SYSTEM, pid, write_dataset(tmp_path / "full", coco_dict(names)), fmt="coco")
    assert (again.items_added, again.items_matched, again.annotations_added) == (0, 3, 6)
    items, anns, _, items_after = snapshot(hub, pid)
    assert (items, anns) == (3, 6)
    assert [(i, n) for i, n, _ in items_after] == [(i, n) for i, n, _ in items_before]
    assert all(v_after > v_before for (_, _, v_after), (_, _, v_before) in zip(items_after, items_before, strict=True))
    with hub.db.session() as s:
        per_item = dict(s.execute(select(Annotation.item_id, func.count()).group_by(Annotation.item_id)).all())
    assert per_item == {i: 2 for i, _, _ in items_before}

    # The same file a third time adds nothing twice; a file with one box moved adds that box only.
    third = import_source(hub, SYSTEM, pid, tmp_path / "full" / "ann.json", fmt="coco")
    assert (third.items_matched, third.annotations_added, third.annotations_present) == (3, 0, 6)
    assert third.labels_added == []  # nothing new: the result lists no classes
    # ... and moves no item's version: an editor open on one would otherwise get a conflict for nothing.
    assert snapshot(hub, pid)[3] == items_after
    moved = coco_dict(names)
    moved["annotations"][0]["bbox"] = [4.0, 3.0, 20.0, 15.25]
    fourth = import_source(hub, SYSTEM, pid, write_dataset(tmp_path / "moved", moved), fmt="coco")
    assert (fourth.annotations_added, fourth.annotations_present) == (1, 5)
    items, anns, _, items_fourth = snapshot(hub, pid)
    assert anns == 7
    assert [v - v_before for (_, _, v), (_, _, v_before) in zip(items_fourth, items_after, strict=True)] == [1, 0, 0]


def _stored_copies(hub: Hub) -> list[Path]:
    root = hub.settings.media_dir
    return [p for p in root.rglob("*") if p.is_file() and not p.name.endswith(".link") and ".tmp" not in p.parts]


def test_link_mode_copies_no_file(hub: Hub, tmp_path: Path) -> None:
    pid = new_project(hub, "linked")
    source = write_dataset(tmp_path / "ds", coco_dict(["a.png", "b.png"]))
    import_source(hub, SYSTEM, pid, source, fmt="coco", options=ImportOptions(media="link"))
    assert _stored_copies(hub) == []
    with hub.db.session() as s:
        rows = s.execute(select(Item.name, Media.path).join(Media, Media.key == Item.media_key)
                         .where(Item.project_id == pid).order_by(Item.name)).all()  # fmt: skip
    linked = [(name, Path(p)) for name, p in rows if p is not None]
    assert [(name, p.name) for name, p in linked] == [("a.png", "a.png"), ("b.png", "b.png")]
    assert all(p.is_relative_to((tmp_path / "ds").resolve()) for _, p in linked)


def test_metadata_only_stores_no_media(hub: Hub, tmp_path: Path) -> None:
    pid = new_project(hub, "meta")
    data = coco_dict(["a.png", "b.png"])
    source = tmp_path / "only.json"
    source.write_bytes(orjson.dumps(data))  # no image files exist at all
    report = import_source(hub, SYSTEM, pid, source, fmt="coco", options=ImportOptions(media="none"))
    assert (report.items_added, report.annotations_added) == (2, 4)
    assert _stored_copies(hub) == []
    with hub.db.session() as s:
        rows = s.execute(select(Item.media_key, Item.width, Item.height).where(Item.project_id == pid)).all()
        n_media = s.scalar(select(func.count()).select_from(Media))
    assert [tuple(r) for r in rows] == [(None, 64, 48), (None, 64, 48)]
    assert n_media == 0


def test_annotation_kinds_the_project_does_not_allow_are_refused(hub: Hub, tmp_path: Path) -> None:
    with hub.db.session(write=True) as s:
        schema = LabelSchema.from_names(["cat", "dog"], kinds=[AnnotationKind.CLASS])
        pid = create_project(s, Actor.system(), "tags only", item_kind=ItemKind.IMAGE, schema=schema).id
    source = write_dataset(tmp_path, coco_dict(["a.png"]))
    with pytest.raises(ImportValidationError) as err:
        import_source(hub, Actor.system(), pid, source, options=ImportOptions(media="none"))
    assert "box annotations are not allowed" in err.value.problems[0]["message"]
    assert err.value.problems[0]["field"] == "kind"
    assert snapshot(hub, pid)[:2] == (0, 0)


def test_a_folder_of_images_detected_in_a_video_project_is_one_image_sequence(hub: Hub) -> None:
    pid = new_project(hub, "otb", ItemKind.VIDEO)
    frames = data_path("tracking_otb_crossing", "img")
    with pytest.raises(ValidationError) as err:
        import_source(hub, SYSTEM, pid, frames, fmt="image_folder", options=ImportOptions(media="link"))
    assert "the image_folder format makes image items and this is a video project" in err.value.detail
    report = import_source(hub, SYSTEM, pid, frames, options=ImportOptions(media="link"))
    assert report.format == "video" and report.items_added == 1
    with hub.db.session() as s:
        assert s.execute(select(Item.name, Item.frame_count).where(Item.project_id == pid)).one() == ("img", 120)


@pytest.mark.parametrize("folder", ["media_dir", "media_cache_dir"])
def test_a_media_folder_the_server_cannot_write_stops_the_import_as_the_server_s_fault(
    hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, folder: str
) -> None:
    """QA ops finding 4: an unwritable media folder failed every item as "bad" and advised skipping them; the
    skipping retry then changed the project and still failed. The S3 store writes HOME/media-cache instead."""
    pid = new_project(hub, "target")
    before = snapshot(hub, pid)
    source = write_dataset(tmp_path / "ds", coco_dict(["a.png", "b.png"]))

    def unwritable(path: Path, *, link: bool = False) -> Any:
        raise PermissionError(13, "Permission denied", str(getattr(hub.settings, folder) / ".tmp"))

    monkeypatch.setattr(hub.media, "put_file", unwritable)
    for skip_invalid in (False, True):
        with pytest.raises(ConfigurationError, match="the server cannot write its media folder") as err:
            import_source(hub, SYSTEM, pid, source, fmt="coco", options=ImportOptions(skip_invalid=skip_invalid))
        assert "Permission denied" in err.value.detail and "nothing was imported" in err.value.detail
        assert snapshot(hub, pid) == before  # no classes, no items


def test_an_import_whose_report_cannot_be_written_still_succeeds_and_says_so(
    hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pid = _populated(hub, tmp_path)
    items, _, _, _ = snapshot(hub, pid)
    source = _bad_dataset(tmp_path, BAD_INPUTS[0][0])

    def unwritable(*args: object) -> str:
        raise PermissionError(13, "Permission denied", str(hub.settings.exports_dir))

    monkeypatch.setattr("labelhub.services.imports._write_report", unwritable)
    report = import_source(hub, SYSTEM, pid, source, fmt="coco", options=ImportOptions(skip_invalid=True))
    assert report.items_added >= 1 and snapshot(hub, pid)[0] == items + report.items_added  # committed
    assert report.report_path is None
    assert any("report" in w and "Permission denied" in w for w in report.warnings), report.warnings


def test_an_automatic_import_follows_its_options(hub: Hub, tmp_path: Path) -> None:
    """QA docs finding 2: ``-o text_column=...`` under ``--format auto`` failed with "could not tell the format"."""
    pid = new_project(hub, "texts", ItemKind.TEXT)
    csv = tmp_path / "b.csv"
    csv.write_text("utterance_x,intent_x\nwhere is my card,card_arrival\nI lost my card,lost_card\n")
    options = ImportOptions(extra={"text_column": "utterance_x", "label_column": "intent_x"})
    report = import_source(hub, SYSTEM, pid, csv, options=options)
    assert (report.items_added, report.annotations_added) == (2, 2)
