"""The ONNX detector: letterboxing, both YOLO output layouts, NMS, label mapping, and pre-labelling with it.

The detector is built here with PyTorch and exported to ONNX: it finds the white square in an image (its box
is the square's extent in the letterboxed input) and answers in the YOLOv8 layout with three candidates: the
square as class 0 (0.9), the same box as class 1 (0.6), and a shifted copy as class 0 (0.8, which NMS drops).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from sqlalchemy import select
from tests.api._support import run_jobs
from tests.builders import new_project
from tests.onnx_models import export

from labelhub.assist.detector import DetectorConfig, OnnxDetector, decode_output, letterbox
from labelhub.assist.predictors import ItemInput
from labelhub.domain.enums import ItemKind
from labelhub.errors import PermissionDenied, ValidationError
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.imports import import_source
from labelhub.services.model_registration import register_model
from labelhub.services.prelabel import start_prelabel
from labelhub.storage.models import Annotation, Item

SQUARE = (60, 20, 100, 60)  # x1, y1, x2, y2 in the 200x100 test image
INPUT = 128
SQUARE_NAMES = "{0: 'square', 1: 'box'}"  # as ultralytics writes it


class SquareFinder(torch.nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.shape[-1]
        mask = (x.mean(dim=1)[0] > 0.9).float()
        cols, rows = mask.amax(dim=0), mask.amax(dim=1)
        idx = torch.arange(s, dtype=torch.float32)
        x1 = (cols * idx + (1 - cols) * 1e4).amin()
        x2 = (cols * (idx + 1)).amax()
        y1 = (rows * idx + (1 - rows) * 1e4).amin()
        y2 = (rows * (idx + 1)).amax()
        found = (mask.sum() > 0).float()
        box = torch.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1]) * found
        shifted = box + torch.stack([found, found, 0 * found, 0 * found]) * 3
        c0 = torch.cat([box, torch.stack([0.9 * found, 0.05 * found])])
        c1 = torch.cat([box, torch.stack([0.02 * found, 0.6 * found])])
        c2 = torch.cat([shifted, torch.stack([0.8 * found, 0.0 * found])])
        return torch.stack([c0, c1, c2], dim=1)[None]  # (1, 4 + 2, 3): the YOLOv8 layout


@pytest.fixture(scope="module")
def onnx_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export(SquareFinder(), tmp_path_factory.mktemp("detector") / "squares.onnx", (1, 3, INPUT, INPUT),
                  names=SQUARE_NAMES)  # fmt: skip


def square_image(with_square: bool = True) -> np.ndarray:
    img = np.zeros((100, 200, 3), dtype=np.uint8)
    if with_square:
        x1, y1, x2, y2 = SQUARE
        img[y1:y2, x1:x2] = 255
    return img


def test_letterbox_keeps_the_aspect_and_maps_back() -> None:
    blob, fit = letterbox(square_image(), INPUT)
    assert blob.shape == (1, 3, INPUT, INPUT) and blob.dtype == np.float32
    assert fit.scale == pytest.approx(0.64) and fit.pad_x == 0 and fit.pad_y == 32
    assert blob[0, :, 0, 0] == pytest.approx([114 / 255] * 3)  # the padding is YOLO's grey
    back = fit.to_original(np.array([[38.4, 44.8, 64.0, 70.4]], dtype=np.float32))
    assert back[0] == pytest.approx([60, 20, 100, 60], abs=1e-3)


@pytest.mark.parametrize("layout", ["yolov5", "yolov8"])
def test_both_output_layouts_decode_to_the_same_boxes(layout: str) -> None:
    rows = np.array([[50, 40, 20, 10, 0.1, 0.8], [10, 10, 4, 4, 0.9, 0.3]], dtype=np.float32)  # cx cy w h c0 c1
    if layout == "yolov5":  # objectness 1, then the class scores
        out = np.concatenate([rows[:, :4], np.ones((2, 1), np.float32), rows[:, 4:]], axis=1)[None]
    else:
        out = rows.T[None]
    boxes, scores, classes = decode_output(out, layout="auto", n_classes=2)
    assert boxes.tolist() == [[40, 35, 60, 45], [8, 8, 12, 12]]
    assert scores == pytest.approx([0.8, 0.9]) and classes.tolist() == [1, 0]


def test_an_unknown_output_shape_is_named() -> None:
    with pytest.raises(ValidationError, match=r"shape \(2, 3\)"):
        decode_output(np.zeros((2, 3)))


def test_detections_are_in_original_pixels_with_mapped_labels(onnx_file: Path) -> None:
    by_index = OnnxDetector(DetectorConfig(path=onnx_file, labels={"0": "cat"}, input_size=INPUT))
    found = by_index.detect(square_image())
    assert [(p.label, round(p.score, 2)) for p in found] == [("cat", 0.9)]  # class 1 unmapped, the copy suppressed
    assert found[0].kind == "box"
    assert found[0].geometry["bbox"] == pytest.approx(list(SQUARE), abs=2.5)
    by_name = OnnxDetector(DetectorConfig(path=onnx_file, labels={"square": "cat", "box": "dog"}, input_size=INPUT))
    assert [p.label for p in by_name.detect(square_image())] == ["cat", "dog"]
    assert by_name.detect(square_image(with_square=False)) == []


def test_an_unreadable_image_fails_only_its_item(onnx_file: Path, tmp_path: Path) -> None:
    det = OnnxDetector(DetectorConfig(path=onnx_file, labels={"0": "cat"}, input_size=INPUT))
    good = tmp_path / "good.png"
    Image.fromarray(square_image()).save(good)
    (tmp_path / "bad.png").write_bytes(b"not an image")
    preds = det.predict([ItemInput(1, "image", path=tmp_path / "bad.png"), ItemInput(2, "image", path=good)])
    assert preds[0].error and "bad.png" in preds[0].error and not preds[0].proposals
    assert preds[1].error is None and [p.label for p in preds[1].proposals] == ["cat"]


def test_a_file_that_is_not_onnx_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "model.onnx"
    bad.write_bytes(b"nope")
    with pytest.raises(ValidationError, match="not an ONNX model") as exc:
        OnnxDetector(DetectorConfig(path=bad))
    assert exc.value.context["field"] == "path"


def test_prelabelling_with_a_registered_detector(hub: Hub, onnx_file: Path, tmp_path: Path) -> None:
    folder = tmp_path / "images"
    folder.mkdir()
    Image.fromarray(square_image()).save(folder / "square.png")
    Image.fromarray(square_image(with_square=False)).save(folder / "empty.png")
    pid = new_project(hub, "detect")
    import_source(hub, Actor.system(), pid, folder, fmt="image_folder", options=ImportOptions(media="copy"))
    with hub.db.session(write=True) as s:
        mv = register_model(s, Actor.system(), pid, {"kind": "onnx_detector", "name": "squares",
                            "path": str(onnx_file), "labels": {"0": "cat"}, "input_size": INPUT},
                            roots=[onnx_file.parent])  # fmt: skip
        assert (mv.version, mv.active, mv.status) == (1, True, "ready")
        start_prelabel(s, Actor.system(), pid)
    run_jobs(hub)
    with hub.db.session() as s:
        rows = s.execute(select(Item.name, Annotation.label, Annotation.geometry, Annotation.state,
                                Annotation.model_version, Annotation.source)
                         .join(Annotation, Annotation.item_id == Item.id)).all()  # fmt: skip
        versions = {name: version for name, version in s.execute(select(Item.name, Item.version))}
    assert len(rows) == 1
    name, label, geometry, state, model_version, source = rows[0]
    assert (name, label, state, model_version, source) == ("square.png", "cat", "proposed", "squares@1", "model")
    assert geometry["bbox"] == pytest.approx(list(SQUARE), abs=2.5)
    assert versions == {"square.png": 2, "empty.png": 1}  # the item that got a proposal moved on


def test_a_detector_outside_the_import_roots_is_refused(hub: Hub, onnx_file: Path, tmp_path: Path) -> None:
    pid = new_project(hub, "detect")
    with hub.db.session() as s, pytest.raises(PermissionDenied, match="not inside an allowed") as exc:
        register_model(s, Actor.system(), pid, {"kind": "onnx_detector", "name": "d", "path": str(onnx_file)},
                       roots=[tmp_path / "elsewhere"])  # fmt: skip
    assert exc.value.context["field"] == "path"  # the request's field (imports name theirs "source")


def test_a_detector_is_refused_on_a_project_without_images(hub: Hub, onnx_file: Path) -> None:
    pid = new_project(hub, "texts", ItemKind.TEXT)
    with hub.db.session() as s, pytest.raises(ValidationError, match="proposes boxes on images") as exc:
        register_model(s, Actor.system(), pid, {"kind": "onnx_detector", "name": "d", "path": str(onnx_file)},
                       roots=[onnx_file.parent])  # fmt: skip
    assert exc.value.context["field"] == "kind"
