"""The validation report of a detector on a project of boxes: mAP over the classes it proposes, no crash."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tests.assist.test_detector import INPUT, SQUARE, SQUARE_NAMES, SquareFinder
from tests.onnx_models import export

from labelhub.domain.enums import ItemKind
from labelhub.domain.schema import LabelSchema
from labelhub.errors import ValidationError
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_source
from labelhub.services.model_eval import evaluate_version
from labelhub.services.model_registration import register_model
from labelhub.services.projects import create_project
from labelhub.storage.models import Annotation, Item

SYSTEM = Actor.system()


def square_detector(folder: Path) -> Path:
    """Export the test detector (it finds the white square; classes square and box) into ``folder``."""
    return export(SquareFinder(), folder / "squares.onnx", (1, 3, INPUT, INPUT), names=SQUARE_NAMES)


@pytest.fixture(scope="module")
def detector(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return square_detector(tmp_path_factory.mktemp("eval-detector"))


def square_images(folder: Path) -> Path:
    """Write square.png (the white square the test detector finds) and empty.png into ``folder``; return it."""
    folder.mkdir(parents=True)
    for name, white in (("square.png", True), ("empty.png", False)):
        img = np.zeros((100, 200, 3), dtype=np.uint8)
        if white:
            x1, y1, x2, y2 = SQUARE
            img[y1:y2, x1:x2] = 255
        Image.fromarray(img).save(folder / name)
    return folder


def box_project(
    hub: Hub, tmp_path: Path, detector: Path, boxes: dict[str, list[tuple[str, list[float]]]]
) -> tuple[int, int]:
    """An image project of a square and an empty image with ``boxes`` (name -> human boxes); the detector registered."""
    folder = square_images(tmp_path / "images")
    with hub.db.session(write=True) as s:
        pid = create_project(
            s, SYSTEM, "boxes", item_kind=ItemKind.IMAGE, schema=LabelSchema.from_names(["cat", "dog"])
        ).id
    import_source(hub, SYSTEM, pid, folder, fmt="image_folder", options=ImportOptions(media="copy"))
    with hub.db.session(write=True) as s:
        ids = {name: iid for iid, name in s.query(Item.id, Item.name).filter(Item.project_id == pid)}
        for name, labelled in boxes.items():
            for label, bbox in labelled:
                s.add(Annotation(item_id=ids[name], project_id=pid, kind="box", label=label, source="human",
                                 state="accepted", geometry={"bbox": bbox}))  # fmt: skip
        mid = register_model(s, SYSTEM, pid, {"kind": "onnx_detector", "name": "squares", "path": str(detector),
                             "labels": {"0": "cat"}, "input_size": INPUT}, roots=[detector.parent]).id  # fmt: skip
    return pid, mid


def test_a_detector_on_a_project_of_boxes_gets_map_over_the_classes_it_proposes(
    hub: Hub, tmp_path: Path, detector: Path
) -> None:
    pid, mid = box_project(hub, tmp_path, detector, {"square.png": [("cat", [float(v) for v in SQUARE]),
                                                                     ("dog", [5.0, 5.0, 30.0, 30.0])]})  # fmt: skip
    report = evaluate_version(hub, SYSTEM, pid, mid)
    assert report["map50"] == pytest.approx(1.0) and report["map50_95"] > 0.5
    det = report["detection"]
    assert det["classes"] == ["cat"] and det["images"] == 1 and det["true_boxes"] == 1
    assert det["per_class"][0]["label"] == "cat" and det["per_class"][0]["ap50"] == pytest.approx(1.0)
    assert det["not_scored"] == {"classes": 1, "true_boxes": 1, "examples": ["dog"]}
    assert report["n"] == 0 and report["per_class"] == []  # no whole-item labels: no classification figures


def test_a_detector_with_no_human_boxes_to_compare_with_is_refused_saying_so(
    hub: Hub, tmp_path: Path, detector: Path
) -> None:
    pid, mid = box_project(hub, tmp_path, detector, {})
    with pytest.raises(ValidationError, match="no accepted human boxes yet") as err:
        evaluate_version(hub, SYSTEM, pid, mid)
    assert err.value.context["field"] == "model_id"
