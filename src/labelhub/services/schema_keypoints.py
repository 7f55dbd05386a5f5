"""Giving a project's classes the keypoint skeletons an imported file declares.

A COCO file names its categories' ``keypoints`` and ``skeleton`` (a CVAT file its skeleton labels' points
and edges, read into ``format_meta["cvat"]["labels"]``); the import keeps them in the schema's
``format_meta`` (for the export's category ids) and, through :func:`adopt_file_skeletons`, declares them on the
classes that declare no keypoints yet. A class that already declares its own keeps them; when the file's
differ, the import says so in a warning.

A YOLO pose dataset names no points: its ``format_meta["yolo"]`` gives ``kpt_shape`` and the dataset's classes,
which are declared ``kp1 .. kpK`` without edges; a class that already declares K names keeps them silently
(they are the better names), one that declares another count keeps its own with a warning.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from labelhub.domain.keypoints import Skeleton, adopt, check_skeleton, edges_from_json, from_coco
from labelhub.domain.schema import LabelSchema
from labelhub.errors import ValidationError
from labelhub.storage.models import Project


def _coco_skeletons(meta: Mapping[str, Any]) -> Iterator[tuple[str, Skeleton]]:
    coco = meta.get("coco")
    cats = coco.get("categories") if isinstance(coco, dict) else None
    for cat in cats if isinstance(cats, list) else ():
        if isinstance(cat, dict) and isinstance(cat.get("name"), str):
            sk = from_coco(cat)
            if sk is not None:
                yield cat["name"], sk


def _coco_refusals(meta: Mapping[str, Any]) -> Iterator[str]:
    """A warning per COCO category naming keypoints that cannot be declared (else the class silently had none)."""
    coco = meta.get("coco")
    cats = coco.get("categories") if isinstance(coco, dict) else None
    for cat in cats if isinstance(cats, list) else ():
        if not isinstance(cat, dict) or not isinstance(cat.get("name"), str) or not cat.get("keypoints"):
            continue
        if from_coco(cat) is not None:
            continue
        raw, given = cat.get("skeleton"), cat.get("keypoints")
        names: list[Any] = given if isinstance(given, list) else []
        try:
            edges = tuple((a - 1, b - 1) for a, b in edges_from_json(raw))
            check_skeleton(names, edges, "category")
            why = f"keypoints {given!r} are not a list of names"
        except (TypeError, ValueError):
            why = f"skeleton {raw!r} is not a list of pairs of keypoint numbers"
        except ValidationError as exc:
            field = str(exc.context.get("field", "")).removeprefix("category.")
            k = field.removeprefix("skeleton[").rstrip("]")
            if field.startswith("skeleton[") and k.isdigit() and isinstance(raw, list):
                why = (f"skeleton[{k}] {raw[int(k)]!r} is no edge between two of its {len(names)} keypoints"
                       f" (COCO numbers them from 1)")  # fmt: skip
            else:
                why = exc.detail
        yield (
            f"the COCO file's category {cat['name'][:60]!r} gives its class no keypoints: {why}. Its keypoints"
            " annotations come in as they are; declare the points in the project settings"
        )


def _cvat_skeletons(meta: Mapping[str, Any]) -> Iterator[tuple[str, Skeleton]]:
    cvat = meta.get("cvat")
    labels = cvat.get("labels") if isinstance(cvat, dict) else None
    for lab in labels if isinstance(labels, list) else ():
        if isinstance(lab, dict) and isinstance(lab.get("name"), str) and isinstance(lab.get("keypoints"), list):
            try:
                names = tuple(str(n) for n in lab["keypoints"])
                edges = edges_from_json(lab.get("skeleton"))
                check_skeleton(names, edges, "label")
            except (TypeError, ValueError, ValidationError):
                continue
            if names:
                yield lab["name"], Skeleton(names, edges)


def _yolo_skeletons(meta: Mapping[str, Any], declared: Mapping[str, Skeleton]) -> Iterator[tuple[str, Skeleton]]:
    yolo = meta.get("yolo")
    shape = yolo.get("kpt_shape") if isinstance(yolo, dict) else None
    classes = yolo.get("classes") if isinstance(yolo, dict) else None
    if not isinstance(shape, list) or not shape or type(shape[0]) is not int or not isinstance(classes, list):
        return
    k = shape[0]
    generic = Skeleton(tuple(f"kp{i}" for i in range(1, k + 1)))
    for name in classes:
        mine = declared.get(name) if isinstance(name, str) else None
        if isinstance(name, str) and (mine is None or len(mine.keypoints) != k):
            yield name, generic


def adopt_file_skeletons(project: Project, meta: Mapping[str, Any] | None) -> list[str]:
    """Declare the file's skeletons on the project's classes that have none, in place; return the warnings."""
    schema = LabelSchema.from_json(project.label_schema)
    declared = {c.name: c.skeleton_decl for c in schema.classes}
    refusals = list(_coco_refusals(meta or {}))
    found, source = list(_coco_skeletons(meta or {})), "the COCO file"
    if not found:  # CVAT's skeleton labels (see labelhub.formats._cvat_skeleton)
        found, source = list(_cvat_skeletons(meta or {})), "the CVAT file"
    if not found:  # a YOLO pose dataset's kpt_shape (see labelhub.formats._yolo_pose)
        found, source = list(_yolo_skeletons(meta or {}, declared)), "the YOLO data.yaml"
    if not found:
        return refusals
    adopted, warnings = adopt(declared, found, source)
    warnings = refusals + warnings
    adopted = {k: v for k, v in adopted.items() if schema.has_class(k)}
    if adopted:
        classes = tuple(
            replace(c, keypoints=adopted[c.name].keypoints, skeleton=adopted[c.name].skeleton)
            if c.name in adopted
            else c
            for c in schema.classes
        )
        new = LabelSchema(classes=classes, kinds=schema.kinds, attributes=schema.attributes)
        project.label_schema = {**project.label_schema, **new.to_json()}
        project.version += 1
    return warnings
