"""A user-supplied ONNX object detector (a YOLO export, say), run with onnxruntime: model kind ``onnx_detector``.

Per image: letterbox to the model's square input (keep the aspect ratio, pad with grey 114 as YOLO trains),
run the model, decode its output, drop boxes under the score threshold, suppress overlaps per class (OpenCV's
``NMSBoxesBatched``), map the boxes back to the original image's pixels and the model's classes to the
project's. The glue is written here because onnxruntime runs the graph only; ultralytics would decode its own
exports but pulls in its whole training stack (and an AGPL licence) for thirty lines of array code.

Accepted output layouts (the first output of the graph, batch 1; boxes as centre x, centre y, width, height
in input pixels, as YOLO exports them):

- ``(1, N, 5 + C)``: YOLOv5/v7 style rows ``cx, cy, w, h, objectness, class scores...``; a box's score is
  objectness times its best class score;
- ``(1, 4 + C, N)``: YOLOv8/v11 style columns ``cx, cy, w, h, class scores...`` (no objectness).

``layout="auto"`` tells them apart by the class count when it is known (the export's ``names`` metadata or
the label mapping's integer keys), else by the shape: more columns than rows is the YOLOv8 layout. Anything
else is refused with the shape it had.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import numpy.typing as npt

from labelhub.assist.predictors import ItemInput, ModelRef, Prediction, Proposal, register_loader
from labelhub.errors import ValidationError

__all__ = [
    "DetectorConfig",
    "Letterbox",
    "OnnxDetector",
    "decode_output",
    "letterbox",
    "load_onnx_detector",
    "resolve_layout",
]

KIND = "onnx_detector"
Layout = Literal["auto", "yolov5", "yolov8"]
PAD_VALUE = 114
F32 = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    """Where the model is and how to read it; ``labels`` maps a model class (index as a string, or the
    export's class name) to a project label. With no mapping, the export's class names are used as they are."""

    path: Path
    labels: Mapping[str, str] = field(default_factory=dict)
    input_size: int = 640
    score_threshold: float = 0.25
    iou_threshold: float = 0.45
    layout: Layout = "auto"
    max_detections: int = 300

    def __post_init__(self) -> None:
        if not 32 <= self.input_size <= 4096:
            raise ValidationError(f"input_size must be 32..4096, got {self.input_size}", field="input_size")
        for name in ("score_threshold", "iou_threshold"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ValidationError(f"{name} must be within 0..1, got {v}", field=name)
        if self.layout not in ("auto", "yolov5", "yolov8"):
            raise ValidationError(f"layout must be auto, yolov5 or yolov8, got {self.layout!r}", field="layout")


@dataclass(frozen=True, slots=True)
class Letterbox:
    """How an image was fitted into the model's input: ``input = original * scale + pad``."""

    scale: float
    pad_x: float
    pad_y: float
    width: int
    height: int

    def to_original(self, xyxy: F32) -> F32:
        """Return input-pixel boxes ``(n, 4)`` in the original image's pixels, clipped to it."""
        out = xyxy.astype(np.float32).copy()
        out[:, [0, 2]] = (out[:, [0, 2]] - self.pad_x) / self.scale
        out[:, [1, 3]] = (out[:, [1, 3]] - self.pad_y) / self.scale
        out[:, [0, 2]] = out[:, [0, 2]].clip(0, self.width)
        out[:, [1, 3]] = out[:, [1, 3]].clip(0, self.height)
        return out


def letterbox(image: npt.NDArray[np.uint8], size: int) -> tuple[F32, Letterbox]:
    """Return the ``(1, 3, size, size)`` float input (RGB in 0..1) for an ``(h, w, 3)`` RGB image, and the fit."""
    h, w = image.shape[:2]
    scale = min(size / w, size / h)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR) if (new_w, new_h) != (w, h) else image
    pad_x, pad_y = (size - new_w) / 2, (size - new_h) / 2
    left, top = round(pad_x - 0.1), round(pad_y - 0.1)
    canvas = np.full((size, size, 3), PAD_VALUE, dtype=np.uint8)
    canvas[top : top + new_h, left : left + new_w] = resized
    blob = canvas.transpose(2, 0, 1)[None].astype(np.float32) / 255.0
    return np.ascontiguousarray(blob), Letterbox(scale, float(left), float(top), w, h)


def resolve_layout(a: int, b: int, layout: Layout = "auto", n_classes: int | None = None) -> Layout:
    """Return the layout of an output ``(1, a, b)``: ``layout`` itself unless it is ``auto`` (see the module)."""
    if layout != "auto":
        return layout
    if n_classes is not None and b == 5 + n_classes and a != 4 + n_classes:
        return "yolov5"
    if n_classes is not None and a == 4 + n_classes and b != 5 + n_classes:
        return "yolov8"
    return "yolov8" if a < b else "yolov5"


def decode_output(
    output: npt.NDArray[Any], *, layout: Layout = "auto", n_classes: int | None = None
) -> tuple[F32, F32, npt.NDArray[np.int64]]:
    """Return ``(boxes xyxy in input pixels, scores, class ids)`` for every candidate of one image's output."""
    arr = np.asarray(output, dtype=np.float32)
    if arr.ndim != 3 or arr.shape[0] != 1:
        raise ValidationError(
            f"detector output has shape {tuple(arr.shape)}; expected (1, N, 5+C) or (1, 4+C, N)", field="output"
        )
    a, b = arr.shape[1], arr.shape[2]
    layout = resolve_layout(a, b, layout, n_classes)
    if layout == "yolov8":
        if a < 5:
            raise ValidationError(f"detector output (1, {a}, {b}) has no class rows for (1, 4+C, N)", field="output")
        rows = arr[0].T
        cls_scores = rows[:, 4:]
    else:
        if b < 6:
            raise ValidationError(f"detector output (1, {a}, {b}) has no class columns for (1, N, 5+C)", field="output")
        rows = arr[0]
        cls_scores = rows[:, 5:] * rows[:, 4:5]
    class_ids = cls_scores.argmax(axis=1).astype(np.int64)
    scores = cls_scores[np.arange(len(rows)), class_ids].astype(np.float32)
    cx, cy, w, h = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1).astype(np.float32)
    return boxes, scores, class_ids


def _nms(boxes: F32, scores: F32, class_ids: npt.NDArray[np.int64], score_thr: float, iou_thr: float) -> list[int]:
    """Return the kept indices, best first: OpenCV's class-aware NMS (boxes as x, y, w, h)."""
    if len(boxes) == 0:
        return []
    xywh = np.concatenate([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], axis=1)
    keep = cv2.dnn.NMSBoxesBatched(xywh.tolist(), scores.tolist(), class_ids.tolist(), score_thr, iou_thr)
    kept = [int(i) for i in np.asarray(keep).ravel()]
    return sorted(kept, key=lambda i: (-float(scores[i]), i))


def _class_names(session: Any) -> list[str] | None:
    """The export's class names from its ``names`` metadata (ultralytics writes a dict literal), if any."""
    raw = session.get_modelmeta().custom_metadata_map.get("names")
    if not raw:
        return None
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        return None
    if isinstance(value, dict) and all(isinstance(k, int) for k in value):
        return [str(value[k]) for k in sorted(value)]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return None


class OnnxDetector:
    """Proposes boxes with a user's ONNX detector; one unreadable image fails only its own item."""

    def __init__(self, config: DetectorConfig, *, model_version: str = "") -> None:
        import onnxruntime as ort  # type: ignore[import-untyped]  # heavy: loaded only when a detector is used

        if not config.path.is_file():
            raise ValidationError(f"ONNX model {config.path} does not exist", field="path")
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(str(config.path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own untyped errors for a bad file
            raise ValidationError(
                f"{config.path} is not an ONNX model onnxruntime can load: {exc}", field="path"
            ) from exc
        self.config = config
        self.model_version = model_version
        inputs = self._session.get_inputs()
        self._input = inputs[0].name
        # What the graph takes (checked when a detector is registered): dims are ints, or names/None when dynamic.
        self.input_count = len(inputs)
        self.input_shape: tuple[int | str | None, ...] = tuple(inputs[0].shape)
        self.input_type: str = str(inputs[0].type)
        self.names = _class_names(self._session)
        # Integer keys of the mapping tell which classes matter, not how many there are: only names count them.
        self._n_classes = len(self.names) if self.names else None
        labels = dict(config.labels) or {n: n for n in self.names or []}
        self._labels = labels
        self.classes: tuple[str, ...] = tuple(dict.fromkeys(labels.values()))

    def project_label(self, class_id: int) -> str | None:
        """Return the project label of model class ``class_id``, or None when it is not mapped (skipped)."""
        label = self._labels.get(str(class_id))
        if label is None and self.names is not None and 0 <= class_id < len(self.names):
            label = self._labels.get(self.names[class_id])
        return label

    def run_blank(self, size: int) -> npt.NDArray[Any]:
        """Return the raw first output for a blank (grey) letterboxed ``size`` input: a registration's dry run."""
        blob, _ = letterbox(np.full((max(1, size * 3 // 4), size, 3), PAD_VALUE, dtype=np.uint8), size)
        (output, *_) = self._session.run(None, {self._input: blob})
        return np.asarray(output)

    def detect(self, image: npt.NDArray[np.uint8]) -> list[Proposal]:
        """Return the box proposals for one ``(h, w, 3)`` RGB image, best score first."""
        blob, fit = letterbox(image, self.config.input_size)
        (output, *_) = self._session.run(None, {self._input: blob})
        boxes, scores, class_ids = decode_output(output, layout=self.config.layout, n_classes=self._n_classes)
        keep = _nms(boxes, scores, class_ids, self.config.score_threshold, self.config.iou_threshold)
        keep = keep[: self.config.max_detections]
        if not keep:
            return []
        original = fit.to_original(boxes[keep])
        out: list[Proposal] = []
        for row, i in zip(original, keep, strict=True):
            label = self.project_label(int(class_ids[i]))
            x1, y1, x2, y2 = (round(float(v), 2) for v in row)
            if label is None or x2 <= x1 or y2 <= y1:
                continue
            score = min(1.0, max(0.0, float(scores[i])))
            out.append(Proposal(kind="box", label=label, score=score, geometry={"bbox": [x1, y1, x2, y2]}))
        return out

    def predict(self, items: Sequence[ItemInput]) -> list[Prediction]:
        """Return one Prediction per item, in order; an image that cannot be read carries its error."""
        out: list[Prediction] = []
        for item in items:
            if item.path is None:
                out.append(Prediction(item.item_id, error=f"item {item.item_id} has no image file to detect on"))
                continue
            image = cv2.imread(str(item.path), cv2.IMREAD_COLOR)
            if image is None:
                out.append(Prediction(item.item_id, error=f"cannot read image {item.path.name}"))
                continue
            rgb = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), dtype=np.uint8)
            out.append(Prediction(item.item_id, proposals=tuple(self.detect(rgb))))
        return out


def config_from_params(params: Mapping[str, Any], models_dir: Path) -> DetectorConfig:
    """Return the detector's config from a model version's params (a relative path is under ``models_dir``)."""
    raw = params.get("path")
    if not isinstance(raw, str) or not raw:
        raise ValidationError("an onnx_detector needs params.path, the .onnx file", field="path")
    path = Path(raw) if Path(raw).is_absolute() else models_dir / raw
    labels = params.get("labels") or {}
    if not isinstance(labels, Mapping) or not all(isinstance(v, str) and v for v in labels.values()):
        raise ValidationError("labels must map model classes to project label names", field="labels")
    return DetectorConfig(
        path=path,
        labels={str(k): str(v) for k, v in labels.items()},
        input_size=int(params.get("input_size", 640)),
        score_threshold=float(params.get("score_threshold", 0.25)),
        iou_threshold=float(params.get("iou_threshold", 0.45)),
        layout=params.get("layout", "auto"),
    )


def load_onnx_detector(ref: ModelRef) -> OnnxDetector:
    """The ``onnx_detector`` loader: a registered version's params name the file and the label mapping."""
    return OnnxDetector(config_from_params(ref.params, ref.models_dir), model_version=ref.tag)


register_loader(KIND, load_onnx_detector)
