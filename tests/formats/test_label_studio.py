"""Label Studio JSON export: COCO128 rebuilt as an LS export, every result type, and hostile files."""

from __future__ import annotations

import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from tests.builders import new_project
from tests.formats._label_studio_support import read, write

from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind, Source
from labelhub.errors import FormatError
from labelhub.formats import _label_studio_json as ls_json
from labelhub.formats import detect_format
from labelhub.formats.base import ImportOptions
from labelhub.formats.label_studio import LabelStudioImporter, media_candidates
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_source
from labelhub.storage.models import Annotation, Item

SYSTEM = Actor.system()
Boxes = dict[str, list[tuple[str, list[float]]]]


def _rect(x: float, y: float, w: float, h: float, label: str, **extra: Any) -> dict[str, Any]:
    value = {"x": x, "y": y, "width": w, "height": h, "rotation": extra.pop("rotation", 0), "rectanglelabels": [label]}
    return {"type": "rectanglelabels", "from_name": "label", "to_name": "image", "value": value,
            "original_width": 200, "original_height": 100, **extra}  # fmt: skip


def _image_task(
    tid: int, results: list[Any], predictions: list[Any] | None = None, url: str = "a.png"
) -> dict[str, Any]:
    task: dict[str, Any] = {"id": tid, "data": {"image": url}, "annotations": [{"id": 100 + tid, "result": results}]}
    if predictions is not None:
        task["predictions"] = predictions
    return task


# --- COCO128 as a Label Studio export ---------------------------------------------------------------------


def _coco128_as_label_studio(coco128: Path, dest: Path) -> tuple[Path, Boxes]:
    coco = json.loads((coco128 / "annotations" / "instances_train2017.json").read_text())
    names = {c["id"]: c["name"] for c in coco["categories"]}
    by_image: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for a in coco["annotations"]:
        by_image[a["image_id"]].append(a)
    tasks, want = [], {}
    for n, img in enumerate(coco["images"], 1):
        w, h = img["width"], img["height"]
        results = []
        for a in by_image[img["id"]]:
            x, y, bw, bh = a["bbox"]
            value = {"x": 100 * x / w, "y": 100 * y / h, "width": 100 * bw / w, "height": 100 * bh / h,
                     "rotation": 0, "rectanglelabels": [names[a["category_id"]]]}  # fmt: skip
            result = {"id": f"r{a['id']}", "type": "rectanglelabels", "from_name": "label", "to_name": "image"}
            results.append({**result, "original_width": w, "original_height": h, "image_rotation": 0, "value": value})
        digest = hashlib.md5(img["file_name"].encode()).hexdigest()[:8]
        tasks.append({"id": n, "data": {"image": f"/data/upload/1/{digest}-{img['file_name']}"},
                      "annotations": [{"id": n, "completed_by": 1, "was_cancelled": False, "result": results}],
                      "predictions": []})  # fmt: skip
        want[img["file_name"]] = sorted(
            (
                names[a["category_id"]],
                [a["bbox"][0], a["bbox"][1], a["bbox"][0] + a["bbox"][2], a["bbox"][1] + a["bbox"][3]],
            )
            for a in by_image[img["id"]]
        )
    return write(dest, tasks, indent=None), want


def _within_a_pixel(got: Boxes, want: Boxes) -> None:
    assert got.keys() == want.keys()
    for name, boxes in want.items():
        assert [lb for lb, _ in got[name]] == [lb for lb, _ in boxes], name
        for (_, g), (_, w) in zip(got[name], boxes, strict=True):
            assert max(abs(a - b) for a, b in zip(g, w, strict=True)) <= 1.0, name


def test_coco128_export_reads_every_box(coco128: Path, tmp_path: Path) -> None:
    src, want = _coco128_as_label_studio(coco128, tmp_path / "export.json")
    items, problems, labels = read(src, images_dir=coco128 / "images" / "train2017")
    assert problems == []
    assert len(items) == 128 and sum(len(i.annotations) for i in items) == 939
    assert len(labels) == 71 == len({lb for boxes in want.values() for lb, _ in boxes})
    first = items[0]
    # The upload's hash prefix is dropped, so the item has the dataset's own file name.
    assert (first.name, first.external_id, first.width, first.height) == ("000000000009.jpg", "1", 640, 480)
    assert first.media_path == coco128 / "images" / "train2017" / "000000000009.jpg"
    ann = first.annotations[0]
    assert (ann.kind, ann.source, ann.state, ann.score) == (
        AnnotationKind.BOX,
        Source.HUMAN,
        AnnotationState.ACCEPTED,
        None,
    )
    assert ann.attributes["ls_annotation_id"] == 1 and ann.attributes["completed_by"] == 1
    got = {i.name: sorted((a.label or "", a.geometry["bbox"]) for a in i.annotations) for i in items}
    _within_a_pixel(got, want)


def test_coco128_export_imports_into_a_project(hub: Hub, coco128: Path, tmp_path: Path) -> None:
    src, want = _coco128_as_label_studio(coco128, tmp_path / "export.json")
    assert detect_format(src).name == "label_studio"
    pid = new_project(hub, "from-label-studio")
    options = ImportOptions(media="link", images_dir=coco128 / "images" / "train2017")
    report = import_source(hub, SYSTEM, pid, src, fmt="auto", options=options)
    assert (report.format, report.items_added, report.annotations_added) == ("label_studio", 128, 939)
    got: Boxes = defaultdict(list)
    with hub.db.session() as s:
        rows = s.execute(
            select(Item.name, Annotation.label, Annotation.geometry).join(Annotation, Annotation.item_id == Item.id)
        )
        for name, label, geom in rows:
            got[name].append((label, geom["bbox"]))
    # Two images have no boxes, so no row of this join.
    _within_a_pixel({k: sorted(v) for k, v in got.items()}, {k: v for k, v in want.items() if v})


# --- every result type ------------------------------------------------------------------------------------


def test_polygons_choices_rotated_boxes_and_predictions(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    make_image(tmp_path / "a.png", 200, 100)
    polygon = {"type": "polygonlabels", "original_width": 200, "original_height": 100,
               "value": {"points": [[10, 10], [50, 10], [50, 80]], "polygonlabels": ["roof"]}}  # fmt: skip
    choices = {"type": "choices", "value": {"choices": ["outdoor", "day"]}}
    rotated = _rect(10, 10, 20, 10, "car", rotation=90)
    predictions = [{"id": 7, "model_version": "yolo-v8", "score": 0.5,
                    "result": [_rect(0, 0, 50, 50, "car", score=0.9), _rect(50, 50, 25, 25, "bus")]}]  # fmt: skip
    src = write(tmp_path / "ls.json", [_image_task(1, [polygon, choices, rotated], predictions)])
    (item,), problems, labels = read(src)
    assert problems == []
    assert labels == ["roof", "outdoor", "day", "car", "bus"]
    assert (item.kind, item.name, item.width, item.height) == (ItemKind.IMAGE, "a.png", 200, 100)
    poly, outdoor, day, box, pred_car, pred_bus = item.annotations
    assert (poly.kind, poly.label, poly.geometry) == (
        AnnotationKind.POLYGON,
        "roof",
        {"points": [20, 10, 100, 10, 100, 80]},
    )
    assert [(a.kind, a.label, a.geometry) for a in (outdoor, day)] == [
        (AnnotationKind.CLASS, "outdoor", {}),
        (AnnotationKind.CLASS, "day", {}),
    ]
    # 40x10 px at (20, 10), turned 90 degrees clockwise about its top-left corner: it hangs down to the left.
    assert box.geometry["bbox"] == pytest.approx([10, 10, 20, 50])
    assert box.attributes["rotation"] == 90 and box.attributes["ls_rotated_box"] == pytest.approx([20, 10, 40, 10])
    assert [(a.source, a.state, a.score, a.model_version) for a in (pred_car, pred_bus)] == [
        (Source.MODEL, AnnotationState.PROPOSED, 0.9, "yolo-v8"),  # the result's own score wins
        (Source.MODEL, AnnotationState.PROPOSED, 0.5, "yolo-v8"),
    ]
    assert pred_bus.geometry["bbox"] == pytest.approx([100, 50, 150, 75])
    assert pred_bus.attributes["ls_prediction_id"] == 7


def test_text_spans_and_choices(tmp_path: Path) -> None:
    text = "Book Luigi's for 7pm"
    emoji = "I 😀 love Paris"  # the emoji is 2 UTF-16 units, so the browser's offsets are one past Python's
    tasks = [
        {"id": 5, "data": {"text": text, "source": "chat"}, "annotations": [{"result": [
            {"type": "labels", "value": {"start": 5, "end": 12, "text": "Luigi's", "labels": ["restaurant"]}},
            {"type": "labels", "value": {"start": 17, "end": 20, "text": "7pm", "labels": ["time"]}},
            {"type": "choices", "value": {"choices": ["book"]}},
        ]}]},
        {"id": 6, "data": {"text": emoji}, "annotations": [{"result": [
            {"type": "labels", "value": {"start": 10, "end": 15, "text": "Paris", "labels": ["city"]}},
        ]}]},
        {"id": 7, "data": {"text": "abc"}, "annotations": [{"result": [
            {"type": "labels", "value": {"start": 0, "end": 2, "text": "xy", "labels": ["city"]}},
        ]}]},
    ]  # fmt: skip
    items, problems, labels = read(write(tmp_path / "ls.json", tasks))
    assert labels == ["restaurant", "time", "book", "city"]
    first, second, third = items
    assert (first.kind, first.name, first.text, first.meta) == (
        ItemKind.TEXT,
        "5",
        text,
        {"label_studio": {"data": {"source": "chat"}}},
    )
    spans = [(a.label, a.geometry, text[a.geometry["start"] : a.geometry["end"]]) for a in first.annotations[:2]]
    assert spans == [("restaurant", {"start": 5, "end": 12}, "Luigi's"), ("time", {"start": 17, "end": 20}, "7pm")]
    assert first.annotations[2].kind is AnnotationKind.CLASS
    assert second.annotations[0].geometry == {"start": 9, "end": 14} and emoji[9:14] == "Paris"
    assert third.annotations == []
    assert [(p.field, p.file) for p in problems] == [
        ("tasks[2].annotations[0].result[0].value.text", str(tmp_path / "ls.json"))
    ]
    assert "task 7" in problems[0].message and "'ab'" in problems[0].message


def test_metadata_only_reads_no_media(tmp_path: Path) -> None:
    tasks = [_image_task(1, [_rect(0, 0, 50, 50, "car")], url="/data/upload/1/deadbeef-x.jpg"),
             _image_task(2, [_rect(0, 0, 50, 50, "car")], url="/data/upload/1/0badcafe-x.jpg"),
             _image_task(3, [], url="/data/local-files/?d=photos/y%20z.jpg"),
             _image_task(4, [], url="https://example.com/bucket/w.png?sig=1")]  # fmt: skip
    items, problems, _ = read(write(tmp_path / "ls.json", tasks), media="none")
    assert problems == []
    # Two uploads of one original name keep their hashed names apart.
    assert [(i.name, i.media_path, i.width) for i in items] == [
        ("x.jpg", None, 200),
        ("0badcafe-x.jpg", None, 200),
        ("photos/y z.jpg", None, None),
        ("w.png", None, None),
    ]


def test_media_urls() -> None:
    assert media_candidates("/data/upload/12/1a2b3c4d-cat.jpg") == [
        "cat.jpg",
        "1a2b3c4d-cat.jpg",
        "12/1a2b3c4d-cat.jpg",
    ]
    assert media_candidates("/data/local-files/?d=data/img%201.png") == ["data/img 1.png", "img 1.png"]
    assert media_candidates("s3://bucket/a/b.jpg") == ["b.jpg"]
    assert media_candidates("images/c.jpg") == ["images/c.jpg", "c.jpg"]
    for bad in ("/data/local-files/?d=../../etc/passwd", "../secret.jpg", "/etc/passwd", "data:image/png;base64,AAAA",
                "https://x.org/a/%2e%2e/b.jpg", "/data/local-files/?x=1"):  # fmt: skip
        with pytest.raises(ValueError):
            media_candidates(bad)


# --- hostile input ----------------------------------------------------------------------------------------


def test_bad_results_are_problems_and_the_rest_imports(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    make_image(tmp_path / "a.png", 200, 100)
    results = [
        _rect(float("nan"), 0, 10, 10, "car"),
        _rect(150, 0, 10, 10, "car"),
        _rect(95, 0, 10, 10, "car"),
        {"type": "brushlabels", "value": {"rle": [1, 2], "brushlabels": ["car"]}},
        {"type": "rectanglelabels", "value": {"x": 1, "y": 1, "width": 5, "height": 5}},
        {"type": "polygonlabels", "value": {"points": [[1, 1], [2, 2]], "polygonlabels": ["car"]}},
        _rect(10, 10, 10, 10, "car"),
    ]
    predictions = [{"score": float("inf"), "result": [_rect(10, 10, 10, 10, "car", score=float("nan"))]}]
    src = write(tmp_path / "ls.json", [_image_task(1, results, predictions)])
    (item,), problems, _ = read(src)
    assert [a.geometry["bbox"] for a in item.annotations] == [pytest.approx([20, 10, 40, 20])]
    fields = [p.field for p in problems]
    assert fields == [
        "tasks[0].annotations[0].result[0].value.x",
        "tasks[0].annotations[0].result[1].value",
        "tasks[0].annotations[0].result[2].value",
        "tasks[0].annotations[0].result[3].type",
        "tasks[0].annotations[0].result[4].value",
        "tasks[0].annotations[0].result[5].value.points",
        "tasks[0].predictions[0].score",
        "tasks[0].predictions[0].result[0].score",
    ]
    messages = [p.message for p in problems]
    assert all(m.startswith("task 1: ") for m in messages) and all(p.file == str(src) for p in problems)
    assert "'NaN'" in messages[0] and "outside the image" in messages[1] and "outside the image" in messages[2]
    assert "'brushlabels'" in messages[3] and "no label" in messages[4]


def test_bad_tasks_and_media_are_problems(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    make_image(tmp_path / "imgs" / "ok.png", 200, 100)
    (tmp_path / "outside.png").write_bytes((tmp_path / "imgs" / "ok.png").read_bytes())
    tasks = [
        _image_task(1, [], url="/data/upload/1/ab12cd34-ok.png"),
        _image_task(2, [], url="/data/local-files/?d=../outside.png"),
        _image_task(3, [], url="/data/upload/1/ab12cd34-missing.png"),
        _image_task(1, [], url="ok.png"),
        {"id": 4, "image": "ok.png", "label": []},  # JSON-MIN
        {"id": 5, "data": {"audio": "x.wav", "other": 1}},
        [1, 2],
        {"id": 8, "data": {"text": "hi"}, "annotations": {"result": []}, "predictions": [3]},
    ]
    src = write(tmp_path / "ls.json", tasks)
    items, problems, _ = read(src, images_dir=tmp_path / "imgs")
    assert [i.name for i in items] == ["ok.png", "8"]
    assert [p.field for p in problems] == [
        "tasks[1].data.image",
        "tasks[2].data.image",
        "tasks[3].id",
        "tasks[4].data",
        "tasks[5].data",
        "tasks[6]",
        "tasks[7].annotations",
        "tasks[7].predictions[0]",
    ]
    assert "task 2" in problems[0].message and "../outside.png" in problems[0].message
    assert (
        "task 3" in problems[1].message
        and "ab12cd34-missing.png" in problems[1].message
        and "not found" in problems[1].message
    )
    assert "duplicate task id 1" in problems[2].message and "JSON-MIN" in problems[3].message


@pytest.mark.parametrize(
    ("body", "line"),
    [
        ('[\n  {"id": 1, "data": {"text": "a"}},\n  {"id": 2 "data": {}}\n]\n', 3),
        ('[\n  {"id": 1, "data": {"text": "a"}},\n  {"id": 2, "data": {"text": "b"\n', 4),
        ('{"id": 1, "data": {"text": "a"}} trailing\n', 1),
    ],
)
def test_broken_json_names_the_line(tmp_path: Path, body: str, line: int) -> None:
    src = tmp_path / "broken.json"
    src.write_text(body)
    with pytest.raises(FormatError, match="not valid JSON") as err:
        LabelStudioImporter(src, ImportOptions(media="none")).labels()
    assert (err.value.context["file"], err.value.context["line"]) == (str(src), line)


def test_not_a_task_list(tmp_path: Path) -> None:
    src = tmp_path / "n.json"
    src.write_text("42")
    with pytest.raises(FormatError, match="list of tasks") as err:
        list(LabelStudioImporter(src, ImportOptions()))
    assert err.value.context["line"] == 1


def test_broken_big_file_names_the_lines_around_the_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Above the size parsed whole for an exact position, the error is placed within the chunk ijson failed in.
    monkeypatch.setattr(ls_json, "EXACT_LIMIT", 0)
    tasks = [{"id": n, "data": {"text": f"text number {n}"}} for n in range(4000)]
    text = json.dumps(tasks, indent=2)
    bad_line = text[: text.index('"id": 3000,')].count("\n") + 1
    src = tmp_path / "big.json"
    src.write_text(text.replace('"id": 3000,', '"id": 3000 oops', 1))
    with pytest.raises(FormatError) as err:
        list(LabelStudioImporter(src, ImportOptions()))
    found = re.search(r"\((?:line (\d+)|between lines (\d+) and (\d+))\)$", err.value.detail)
    assert found is not None, err.value.detail
    lo, hi = int(found.group(1) or found.group(2)), int(found.group(1) or found.group(3))
    # The range is the one chunk (64 KiB, about 5,000 of the file's 24,000 lines) the error lies in.
    assert err.value.context["line"] == lo and lo <= bad_line <= hi and hi - lo < text.count("\n") / 3
