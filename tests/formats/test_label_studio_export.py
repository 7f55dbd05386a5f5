"""Label Studio JSON export: COCO128 and SNIPS through a project and back, proposals kept as predictions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import select, update
from tests.builders import new_project
from tests.conftest import data_path
from tests.formats._label_studio_support import video_task, write, write_video
from tests.formats.test_text_table import _snips_jsonl

from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind, Source
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.errors import FormatError
from labelhub.formats import get_format
from labelhub.formats.base import ExportItem, ExportOptions
from labelhub.formats.label_studio import LabelStudioExporter
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source
from labelhub.storage.models import Annotation, Item

SYSTEM = Actor.system()
Row = tuple[str, str | None, Any, str, str, float | None, str | None]


def _stored(hub: Hub, pid: int) -> dict[str, tuple[Any, list[Row]]]:
    """Each item by name: (width, height, text), and its annotations (kind, label, geometry, state, ...) sorted."""
    out: dict[str, tuple[Any, list[Row]]] = {}
    with hub.db.session() as s:
        names = {}
        for iid, name, w, h, text in s.execute(
            select(Item.id, Item.name, Item.width, Item.height, Item.text).where(Item.project_id == pid)
        ):
            names[iid] = name
            out[name] = ((w, h, text), [])
        rows = s.execute(
            select(
                Annotation.item_id,
                Annotation.kind,
                Annotation.label,
                Annotation.geometry,
                Annotation.state,
                Annotation.source,
                Annotation.score,
                Annotation.model_version,
            )
            .where(Annotation.project_id == pid)
            .order_by(Annotation.id)
        )
        for iid, kind, label, geom, state, source, score, mv in rows:
            out[names[iid]][1].append((kind, label, geom, state, source, score, mv))
    return out


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float | int) and isinstance(b, float | int):
        return abs(a - b) <= 1e-6
    return bool(a == b)


def test_the_registry_lists_the_exporter() -> None:
    spec = get_format("label_studio")
    assert spec.exporter_class() is LabelStudioExporter
    assert set(spec.export_kinds) == {ItemKind.IMAGE, ItemKind.VIDEO, ItemKind.TEXT}
    assert "import only" not in spec.title


def test_coco128_boxes_polygons_and_proposals_round_trip(hub: Hub, coco128: Path, tmp_path: Path) -> None:
    first = new_project(hub, "coco128", ItemKind.IMAGE)
    import_source(hub, SYSTEM, first, coco128, fmt="coco")
    with hub.db.session(write=True) as s:
        ids = s.scalars(select(Annotation.id).where(Annotation.project_id == first).order_by(Annotation.id)).all()
        for n, aid in enumerate(ids[::7]):
            s.execute(
                update(Annotation)
                .where(Annotation.id == aid)
                .values(
                    state=AnnotationState.PROPOSED.value,
                    source=Source.MODEL.value,
                    score=0.5 + (n % 40) / 100,
                    model_version=f"det-{n % 2}",
                )
            )
    before = _stored(hub, first)
    kinds = {row[0] for _, rows in before.values() for row in rows}
    assert kinds == {"box", "polygon", "mask"}
    n_masks = sum(row[0] == "mask" for _, rows in before.values() for row in rows)
    out = tmp_path / "ls"
    states = (AnnotationState.ACCEPTED, AnnotationState.PROPOSED)
    report = export_project(
        hub, SYSTEM, first, out, fmt="label_studio", options=ExportOptions(copy_media=True), states=states
    )
    assert report.items == 128 and report.annotations_skipped == {"mask": n_masks}
    tasks = orjson.loads((out / "tasks.json").read_bytes())
    assert len(tasks) == 128 and all((out / t["data"]["image"]).is_file() for t in tasks)
    assert {r["type"] for t in tasks for a in t["annotations"] for r in a["result"]} == {
        "rectanglelabels",
        "polygonlabels",
    }
    assert {p["model_version"] for t in tasks for p in t["predictions"]} == {"det-0", "det-1"}

    second = new_project(hub, "coco128-again", ItemKind.IMAGE)
    again = import_source(hub, SYSTEM, second, out / "tasks.json", fmt="auto")
    assert (again.format, again.items_added, again.annotations_added) == ("label_studio", 128, report.annotations)
    after = _stored(hub, second)
    assert after.keys() == before.keys()
    proposals = 0
    for name, (size, rows) in before.items():
        kept = [r for r in rows if r[0] != "mask"]
        got = after[name][1]
        assert after[name][0] == size
        key = lambda r: (r[3], r[0], r[1], r[2].get("bbox") or r[2].get("points"))  # noqa: E731
        assert len(got) == len(kept), name
        for want, have in zip(sorted(kept, key=key), sorted(got, key=key), strict=True):
            assert want[:2] == have[:2] and want[3:5] == have[3:5] and want[6] == have[6], name
            assert _close(want[2], have[2]), (name, want, have)
            assert want[5] == pytest.approx(have[5]) if want[5] is not None else have[5] is None
        proposals += sum(r[3] == "proposed" for r in got)
    assert proposals == sum(r[0] != "mask" and r[3] == "proposed" for _, rs in before.values() for r in rs) > 100


def test_snips_spans_and_intents_round_trip(hub: Hub, tmp_path: Path) -> None:
    rows, _ = _snips_jsonl(data_path("text_snips_nlu_benchmark_2017"), tmp_path / "snips.jsonl")
    rows = rows[::20]
    (tmp_path / "small.jsonl").write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    first = new_project(hub, "snips", ItemKind.TEXT)
    import_source(hub, SYSTEM, first, tmp_path / "small.jsonl", fmt="text")
    out = tmp_path / "snips.json"
    report = export_project(hub, SYSTEM, first, out, fmt="label_studio")
    n_spans = sum(len(r["spans"]) for r in rows)
    assert (report.items, report.annotations, report.annotations_skipped) == (len(rows), len(rows) + n_spans, {})
    second = new_project(hub, "snips-again", ItemKind.TEXT)
    again = import_source(hub, SYSTEM, second, out, fmt="auto")
    assert (again.format, again.items_added, again.annotations_added) == ("label_studio", len(rows), report.annotations)
    got = _stored(hub, second)
    want = {
        r["id"]: (r["text"], [r["label"]], sorted((s["start"], s["end"], s["label"]) for s in r["spans"])) for r in rows
    }
    assert {
        name: (
            size[2],
            [a[1] for a in anns if a[0] == "class"],
            sorted((a[2]["start"], a[2]["end"], a[1]) for a in anns if a[0] == "span"),
        )
        for name, (size, anns) in got.items()
    } == want


def _track_rows(hub: Hub, pid: int) -> list[tuple[Any, ...]]:
    with hub.db.session() as s:
        rows = s.execute(
            select(Annotation.frame, Annotation.track_id, Annotation.label, Annotation.geometry, Annotation.attributes)
            .where(Annotation.project_id == pid)
            .order_by(Annotation.frame)
        )
        return [(f, t, lb, g["bbox"], a["keyframe"], a["outside"]) for f, t, lb, g, a in rows]


def test_a_video_track_round_trips_as_a_videorectangle(hub: Hub, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    write_video(tmp_path / "in" / "clip.avi")
    first = new_project(hub, "clips", ItemKind.VIDEO)
    import_source(hub, SYSTEM, first, write(tmp_path / "in" / "ls.json", [video_task()]), fmt="label_studio")
    out = tmp_path / "out"
    report = export_project(hub, SYSTEM, first, out, fmt="label_studio", options=ExportOptions(copy_media=True))
    assert (report.annotations, report.annotations_skipped) == (4, {})
    (task,) = orjson.loads((out / "tasks.json").read_bytes())
    (result,) = task["annotations"][0]["result"]
    assert result["type"] == "videorectangle" and (out / task["data"]["video"]).is_file()
    assert [(k["frame"], k["enabled"]) for k in result["value"]["sequence"]] == [(1, True), (4, False), (8, True)]
    second = new_project(hub, "clips-again", ItemKind.VIDEO)
    import_source(hub, SYSTEM, second, out / "tasks.json", fmt="auto")
    assert _track_rows(hub, second) == _track_rows(hub, first)
    assert len(_track_rows(hub, first)) == 4
    # The export's folder (what its download zip unpacks to) imports as it is, chosen by hand or detected.
    for fmt in ("label_studio", "auto"):
        third = new_project(hub, f"clips-from-the-folder-{fmt}", ItemKind.VIDEO)
        assert import_source(hub, SYSTEM, third, out, fmt=fmt).format == "label_studio"
        assert _track_rows(hub, third) == _track_rows(hub, first)


def test_what_it_cannot_hold_is_counted_and_rejected_ones_left_out(tmp_path: Path) -> None:
    item = ItemRecord(kind=ItemKind.IMAGE, name="a b.jpg", width=200, height=100)
    item.annotations += [
        AnnotationRecord(AnnotationKind.CLASS, "cat"),
        AnnotationRecord(AnnotationKind.BOX, "cat", {"bbox": [10, 10, 50, 40]}, state=AnnotationState.REJECTED),
        AnnotationRecord(AnnotationKind.KEYPOINTS, "cat", {"points": [1, 1, 2]}),
        AnnotationRecord(
            AnnotationKind.BOX,
            "cat",
            {"bbox": [20, 10, 60, 30]},
            source=Source.MODEL,
            state=AnnotationState.PROPOSED,
            score=0.25,
            model_version="v1",
        ),
    ]
    dest = tmp_path / "out.json"
    with LabelStudioExporter(dest, ["cat"], ExportOptions()) as exporter:
        exporter.write(ExportItem(record=item))
    assert (exporter.tally.annotations, exporter.tally.skipped) == (2, {"box": 1, "keypoints": 1})
    (task,) = orjson.loads(dest.read_bytes())
    assert task["data"] == {"image": "a%20b.jpg"}
    assert task["annotations"][0]["result"][0]["value"] == {"choices": ["cat"]}
    (pred,) = task["predictions"]
    assert (pred["model_version"], pred["score"], pred["result"][0]["score"]) == ("v1", 0.25, 0.25)
    assert pred["result"][0]["value"] == {
        "x": 10.0,
        "y": 10.0,
        "width": 20.0,
        "height": 20.0,
        "rotation": 0,
        "rectanglelabels": ["cat"],
    }


def test_copying_media_needs_a_folder(tmp_path: Path) -> None:
    with pytest.raises(FormatError, match="needs a folder"):
        LabelStudioExporter(tmp_path / "out.json", [], ExportOptions(copy_media=True))
