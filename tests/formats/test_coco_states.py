"""COCO and review states: a ``score`` imports as a model's proposal, and labelhub's export marks each state so a
round trip keeps proposals, accepted model labels and rejected annotations apart; the file stays plain COCO."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest
from tests.builders import coco_dict, new_project, write_dataset
from tests.formats._support import split_records

from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind, Source
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.formats.base import ExportItem, ExportOptions, ImportOptions
from labelhub.formats.coco import CocoExporter, CocoImporter
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source


def _read(path: Path) -> list[AnnotationRecord]:
    with CocoImporter(path, ImportOptions(media="none")) as imp:
        items, problems = split_records(imp)
    assert problems == []
    return [a for item in items for a in item.annotations]


def test_a_score_imports_as_a_model_proposal(tmp_path: Path) -> None:
    data = coco_dict(["a.png"])
    data["annotations"][0]["score"] = 0.75
    first, second = _read(write_dataset(tmp_path, data, images=False))
    assert (first.source, first.state, first.score) == (Source.MODEL, AnnotationState.PROPOSED, 0.75)
    assert (second.source, second.state, second.score) == (Source.HUMAN, AnnotationState.ACCEPTED, None)


@pytest.mark.parametrize(("key", "value"), [("score", 1.5), ("score", "high"), ("state", "maybe")])
def test_a_bad_score_or_state_is_a_problem_naming_it(tmp_path: Path, key: str, value: object) -> None:
    data = coco_dict(["a.png"])
    data["annotations"][1][key] = value
    with CocoImporter(write_dataset(tmp_path, data, images=False), ImportOptions(media="none")) as imp:
        _, problems = split_records(imp)
    assert [p.field for p in problems] == [f"annotations[1].{key}"]


def _ann(state: AnnotationState, score: float | None, source: Source, x: float) -> AnnotationRecord:
    return AnnotationRecord(kind=AnnotationKind.BOX, label="cat", geometry={"bbox": [x, 1.0, x + 5, 6.0]},
                            state=state, score=score, source=source)  # fmt: skip


def test_every_state_survives_a_round_trip_and_a_plain_label_gets_no_extra_keys(tmp_path: Path) -> None:
    anns = [
        _ann(AnnotationState.ACCEPTED, None, Source.HUMAN, 1),
        _ann(AnnotationState.PROPOSED, 0.5, Source.MODEL, 2),
        _ann(AnnotationState.ACCEPTED, 0.9, Source.MODEL, 3),
        _ann(AnnotationState.REJECTED, None, Source.HUMAN, 4),
        _ann(AnnotationState.REJECTED, 0.2, Source.MODEL, 5),
    ]
    item = ItemRecord(kind=ItemKind.IMAGE, name="a.png", width=64, height=48, annotations=anns)
    with CocoExporter(tmp_path / "out.json", ["cat"], ExportOptions()) as exp:
        exp.write(ExportItem(record=item))
    written = orjson.loads((tmp_path / "out.json").read_bytes())["annotations"]
    assert {k for k in written[0] if k in ("score", "state")} == set()
    assert [a.get("state") for a in written] == [None, "proposed", "accepted", "rejected", "rejected"]
    back = _read(tmp_path / "out.json")
    assert [(a.state, a.score, a.source) for a in back] == [(a.state, a.score, a.source) for a in anns]


def test_a_project_exported_with_every_state_imports_back_the_same(hub: Hub, tmp_path: Path) -> None:
    data = coco_dict(["a.png"])
    data["annotations"][0].update(score=0.4)
    data["annotations"][1].update(state="rejected")
    pid = new_project(hub, "states")
    (tmp_path / "in").mkdir()
    import_source(hub, Actor.system(), pid, write_dataset(tmp_path / "in", data, images=False), fmt="coco",
                  options=ImportOptions(media="none"))  # fmt: skip
    states = (AnnotationState.ACCEPTED, AnnotationState.PROPOSED, AnnotationState.REJECTED)
    export_project(hub, Actor.system(), pid, tmp_path / "out.json", fmt="coco", states=states)
    back = _read(tmp_path / "out.json")
    assert sorted((a.state.value, a.score) for a in back) == [("proposed", 0.4), ("rejected", None)]
