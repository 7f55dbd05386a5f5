"""What registering a user's ONNX detector checks in the file before it is stored.

A file onnxruntime loads may still be no detector labelhub can run: a classifier, a one-channel or non-square
model, a fixed input of another size than ``input_size``. Pre-labelling would then fail on every item with
onnxruntime's own words, so :func:`inspect_detector` refuses such a file at registration:

- the input: one float32 image input ``1x3xSxS`` (batch and spatial dims may be dynamic). A fixed ``S`` is the
  input size (an ``input_size`` asked for must equal it); dynamic ones take ``input_size`` (default 640);
- one dry run on a blank letterboxed image: the first output must decode as ``(1, N, 5+C)`` or ``(1, 4+C, N)``
  (see :mod:`labelhub.assist.detector`) and, when the export names its classes, hold as many classes as names.

:func:`mapping_problem` then checks a label mapping's keys against the model's classes (an index below ``C`` or
one of the export's names). Refusals are ValidationErrors naming the request's field: ``path`` for the file's
own shape or layout, ``input_size`` for a size the model does not take, ``labels`` for the mapping.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from labelhub.assist.detector import DetectorConfig, OnnxDetector, decode_output, resolve_layout
from labelhub.errors import ValidationError

__all__ = ["DetectorInfo", "check_mapping", "inspect_detector", "mapping_problem"]

DEFAULT_SIZE = 640
NEEDS = "a detector needs 1x3xSxS"
EXPECTED = "(expected (1, N, 5+C) or (1, 4+C, N))"
MAX_LISTED = 100  # classes named in a message; the rest are counted


@dataclass(frozen=True, slots=True)
class DetectorInfo:
    """A detector file that passed the checks: its config (with the input size it takes), its classes' names
    (None when the export has none) and count, and the dry run's output shape."""

    config: DetectorConfig
    names: list[str] | None
    n_classes: int
    output_shape: tuple[int, ...]

    def class_list(self) -> str:
        """The model's classes for a message: ``0 person, 1 car, ...``, or their index range without names."""
        if self.names:
            shown = ", ".join(f"{i} {n}" for i, n in enumerate(self.names[:MAX_LISTED]))
            more = len(self.names) - MAX_LISTED
            return shown + (f", … ({len(self.names)} in all)" if more > 0 else "")
        span = "index 0" if self.n_classes == 1 else f"indices 0-{self.n_classes - 1}"
        return f"{span} (the export has no class names: map them by index)"


def _fixed(dim: object) -> int | None:
    """A dim's size when the graph fixes it; None for a dynamic (named or unknown) one."""
    return dim if isinstance(dim, int) and not isinstance(dim, bool) and dim > 0 else None


def _dims(shape: Sequence[object]) -> str:
    return "x".join(str(d) if (d := _fixed(raw)) is not None else "?" for raw in shape)


def _input_size(det: OnnxDetector, given: int | None) -> tuple[int, bool]:
    """Return the square size to letterbox to, and whether the model fixes it; refuse an input no image fits."""
    shape = det.input_shape
    dims = _dims(shape)
    if det.input_count != 1:
        raise ValidationError(f"the model takes {det.input_count} inputs; a detector takes one, the image 1x3xSxS",
                              field="path")  # fmt: skip
    if det.input_type != "tensor(float)":
        raise ValidationError(f"model input is {det.input_type}; {NEEDS} of float32 (re-export it without half "
                              "precision or quantized inputs)", field="path")  # fmt: skip
    if len(shape) != 4:
        raise ValidationError(f"model input is {dims}; {NEEDS} (a batch of images, rank 4)", field="path")
    batch, channels, h, w = (_fixed(d) for d in shape)
    if channels not in (None, 3):
        raise ValidationError(f"model input is {dims}; {NEEDS} (re-export with 3 channels)", field="path")
    if batch not in (None, 1):
        raise ValidationError(f"model input is {dims}; {NEEDS} (re-export with batch 1)", field="path")
    if h is not None and w is not None and h != w:
        side = max(h, w)
        raise ValidationError(f"model input is {dims}; {NEEDS}, a square input (re-export it at {side}x{side})",
                              field="path")  # fmt: skip
    fixed = h or w
    if fixed is None:
        return given or DEFAULT_SIZE, False
    if not 32 <= fixed <= 4096:
        raise ValidationError(f"model input is {dims}; labelhub runs inputs of 32..4096 pixels", field="path")
    if given is not None and given != fixed:
        raise ValidationError(f"input_size {given} does not match the model's fixed input {fixed}; leave input_size "
                              f"out or set it to {fixed}", field="input_size")  # fmt: skip
    return fixed, True


def _output_classes(output: npt.NDArray[np.float32], names: list[str] | None, config: DetectorConfig) -> int:
    """Return the class count ``C`` of a dry run's output, refusing a layout the decoder does not read."""
    shape = tuple(int(d) for d in output.shape)
    if len(shape) != 3 or shape[0] != 1:
        hint = (
            "is this a classifier? labelhub runs only detectors from ONNX files; serve a classifier as an http "
            "model (docs/remote-models.md)"
            if len(shape) == 2 and shape[0] == 1
            else "export the detector's raw output with batch 1, as YOLOv5 or YOLOv8 exports do"
        )
        raise ValidationError(f"output {shape} is not a detector's {EXPECTED}: {hint}", field="path")
    n_named = len(names) if names else None
    try:
        decode_output(output, layout=config.layout, n_classes=n_named)
    except ValidationError as exc:
        raise ValidationError(f"{exc.detail} {EXPECTED}; is it a detector's raw output?", field="path") from None
    layout = resolve_layout(shape[1], shape[2], config.layout, n_named)
    n = shape[1] - 4 if layout == "yolov8" else shape[2] - 5
    if n_named is not None and n != n_named:
        form = "(1, 4+C, N)" if layout == "yolov8" else "(1, N, 5+C)"
        raise ValidationError(f"output {shape} read as {form} holds {n} classes, but the model's names metadata lists "
                              f"{n_named}; re-export it so that its names fit its output", field="path")  # fmt: skip
    return n


def inspect_detector(config: DetectorConfig, *, size_given: bool) -> DetectorInfo:
    """Load the file, check its input and one dry run's output; return what it takes and what it holds.

    ``size_given``: ``config.input_size`` was asked for (else it is only the default, and a model with a fixed
    input size supplies its own).
    """
    detector = OnnxDetector(config)  # refuses a file onnxruntime cannot load
    given = config.input_size if size_given else None
    size, fixed = _input_size(detector, given)
    try:
        output = detector.run_blank(size)
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own untyped errors for a graph that cannot run
        why = f"{type(exc).__name__}: {str(exc)[:300]}"
        if given is not None and not fixed:
            msg = f"the model cannot run on a {size}x{size} input ({why}); try another input_size, such as the size "
            raise ValidationError(msg + "it was exported or trained at", field="input_size") from None
        raise ValidationError(f"the model cannot run on a blank {size}x{size} image: {why}", field="path") from None
    n_classes = _output_classes(output, detector.names, config)
    return DetectorInfo(
        replace(config, input_size=size), detector.names, n_classes, tuple(int(d) for d in output.shape)
    )


def _key(k: str) -> str:
    return k if k.lstrip("-").isdecimal() else repr(k)


def mapping_problem(labels: Mapping[str, str], info: DetectorInfo) -> str | None:
    """Say which keys of ``labels`` name no class of the model (an index below C, as written, or a class name)."""
    valid = {str(i) for i in range(info.n_classes)} | set(info.names or [])
    bad = [_key(k) for k in labels if k not in valid]
    if not bad:
        return None
    which = f"model class {bad[0]} does not exist" if len(bad) == 1 else f"model classes {', '.join(bad)} do not exist"
    return f"{which}; the model's classes are {info.class_list()}"


def check_mapping(labels: Mapping[str, str], info: DetectorInfo) -> None:
    """Refuse (on ``labels``) a mapping from a class the model does not have."""
    problem = mapping_problem(labels, info)
    if problem is not None:
        raise ValidationError(problem, field="labels")
