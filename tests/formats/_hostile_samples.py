"""A small valid source of every importable format, and which of its files the hostile tests rewrite, and how.

Each :class:`Case` builds its source into an empty folder (real PNG images, 64x48) and lists its targets:
the file a mutation rewrites and the strategy that mutates its valid bytes. The tests then check that the
importer gives records, Problems or a labelhub error, whatever the bytes are.
"""

from __future__ import annotations

import functools
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from hypothesis import strategies as st
from tests.formats._cvat_support import cvat_xml
from tests.formats._hostile import (
    Writer,
    make_shard,
    mutated_bytes,
    mutated_image,
    mutated_json,
    mutated_lines,
    mutated_xml,
    png_bytes,
    write_to,
)

from labelhub.domain.enums import ItemKind
from labelhub.formats import ImportOptions
from labelhub.formats._video_export import MANIFEST, MANIFEST_FORMAT
from labelhub.formats._webdataset_export import INDEX_FORMAT, INDEX_SUFFIX

Mutator = Callable[[bytes], st.SearchStrategy[bytes]]


@dataclass(frozen=True, slots=True)
class Target:
    """One file of a source that a test rewrites: where it is, how its bytes are mutated, how they are written."""

    rel: str
    mutate: Mutator
    write: Writer | None = None

    def writer(self) -> Writer:
        return self.write or write_to(self.rel)


@dataclass(frozen=True, slots=True)
class Case:
    """A format, the item kind of its project, and a valid sample to start from."""

    id: str
    fmt: str
    kind: ItemKind
    build: Callable[[Path], Path]  # writes the sample into the folder, returns the source to import
    targets: list[Target]
    expect: tuple[int, int]  # items and annotations the valid sample gives
    options: dict[str, Any] = field(default_factory=dict)

    def import_options(self) -> ImportOptions:
        return ImportOptions(**self.options)


def _lines(sep: str | None = None) -> Mutator:
    return lambda data: mutated_lines(data, sep)


def _put(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_bytes(data)
    return path


@functools.cache
def _png(n: int = 0) -> bytes:
    return png_bytes(64, 48, (n * 37 % 256, 80, 40))


@functools.cache
def avi_bytes() -> bytes:
    """A valid 4-frame MJPG AVI of 32x24."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.avi"
        writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (32, 24))
        for i in range(4):
            writer.write(np.full((24, 32, 3), 40 * i, np.uint8))
        writer.release()
        return path.read_bytes()


# ---------------------------------------------------------------------------------------------------- COCO

COCO_DOC: dict[str, Any] = {
    "images": [
        {"id": 1, "file_name": "a.png", "width": 64, "height": 48, "license": 1},
        {"id": 2, "file_name": "b.png"},  # no size: the header is read
    ],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [2, 3, 20, 15], "area": 150, "iscrowd": 0,
         "segmentation": [[2, 3, 22, 3, 22, 18]]},
        {"id": 2, "image_id": 1, "category_id": 2, "bbox": [0, 0, 1, 3], "area": 3, "iscrowd": 1,
         "segmentation": {"size": [48, 64], "counts": [0, 3, 3069]}},
        {"id": 3, "image_id": 1, "category_id": 2, "bbox": [0, 0, 1, 3], "iscrowd": 1,
         "segmentation": {"size": [48, 64], "counts": "03mo2"}},
        {"id": 4, "image_id": 2, "category_id": 3, "bbox": [10, 10, 5, 5], "keypoints": [12, 12, 2, 13, 13, 1]},
    ],
    "categories": [
        {"id": 1, "name": "cat"},
        {"id": 2, "name": "dog"},
        {"id": 3, "name": "person", "keypoints": ["a", "b"], "skeleton": [[1, 2]]},
    ],
}  # fmt: skip


def build_coco(root: Path) -> Path:
    _put(root / "images" / "a.png", _png(0))
    _put(root / "images" / "b.png", _png(1))
    return _put(root / "ann.json", json.dumps(COCO_DOC, indent=1))


CAPTIONS_DOC: dict[str, Any] = {
    "images": [{"id": 1, "file_name": "a.png", "width": 64, "height": 48}, {"id": 2, "file_name": "b.png"}],
    "annotations": [
        {"id": 1, "image_id": 1, "caption": "a cat"},
        {"id": 2, "image_id": 2, "caption": "a dog"},
        {"id": 3, "image_id": 1, "caption": "another cat"},
    ],
}


def build_captions(root: Path) -> Path:
    _put(root / "images" / "a.png", _png(0))
    _put(root / "images" / "b.png", _png(1))
    return _put(root / "captions_val2017.json", json.dumps(CAPTIONS_DOC, indent=1))


# ---------------------------------------------------------------------------------------------------- YOLO

YOLO_A = "0 0.5 0.5 0.2 0.3\n1 0.1 0.1 0.3 0.1 0.2 0.3\n1 0.25 0.25 0.1 0.1 0.9\n"


def build_yolo(root: Path) -> Path:
    _put(root / "images" / "a.png", _png(0))
    _put(root / "images" / "b.png", _png(1))
    _put(root / "labels" / "a.txt", YOLO_A)
    _put(root / "labels" / "b.txt", "1 0.5 0.5 0.5 0.5\n")
    _put(root / "classes.txt", "cat\ndog\n")
    return root


DATA_YAML = "path: .\ntrain: images/train\nval: images/val\nnames:\n  0: cat\n  1: dog\n"


def build_yolo_yaml(root: Path) -> Path:
    _put(root / "images" / "train" / "a.png", _png(0))
    _put(root / "images" / "val" / "b.png", _png(1))
    _put(root / "labels" / "train" / "a.txt", YOLO_A)
    _put(root / "labels" / "val" / "b.txt", "1 0.5 0.5 0.5 0.5\n")
    return _put(root / "data.yaml", DATA_YAML)


# ----------------------------------------------------------------------------------------------------- VOC

VOC_A = """<annotation><folder>VOC</folder><filename>a.png</filename>
<size><width>64</width><height>48</height><depth>3</depth></size>
<object><name>cat</name><pose>Left</pose><truncated>0</truncated><difficult>1</difficult>
<bndbox><xmin>2</xmin><ymin>3</ymin><xmax>20</xmax><ymax>30</ymax></bndbox></object>
<object><name>dog</name><bndbox><xmin>10</xmin><ymin>10</ymin><xmax>64</xmax><ymax>48</ymax></bndbox></object>
</annotation>
"""
VOC_B = "<annotation><filename>b.png</filename><object><name>dog</name><bndbox><xmin>1</xmin><ymin>1</ymin>" \
        "<xmax>5</xmax><ymax>5</ymax></bndbox></object></annotation>\n"  # fmt: skip


def build_voc(root: Path) -> Path:
    _put(root / "JPEGImages" / "a.png", _png(0))
    _put(root / "JPEGImages" / "b.png", _png(1))
    _put(root / "Annotations" / "a.xml", VOC_A)
    _put(root / "Annotations" / "b.xml", VOC_B)
    _put(root / "ImageSets" / "Main" / "train.txt", "a\n")
    _put(root / "ImageSets" / "Main" / "val.txt", "b\n")
    return root


# ---------------------------------------------------------------------------------------------------- CVAT

CVAT_IMAGES = """  <image id="0" name="a.png" width="64" height="48" subset="train">
    <box label="car" occluded="1" xtl="1.5" ytl="2" xbr="30.25" ybr="40" z_order="4" group_id="2">
      <attribute name="parked">true</attribute><attribute name="speed">42</attribute>
    </box>
    <polygon label="plate" occluded="0" points="1,2;30,2;30,12.5" z_order="0" />
    <points label="plate" occluded="0" points="5,6;7,8" source="auto" />
    <tag label="good_frame" source="manual" />
    <box label="plate" occluded="0" xtl="10" ytl="10" xbr="20" ybr="20" rotation="45" />
  </image>
  <image id="1" name="b.png" />"""

CVAT_TRACKS = """  <track id="0" label="car" source="manual">
    <box frame="0" keyframe="1" outside="0" occluded="0" xtl="1" ytl="2" xbr="30" ybr="40" z_order="0">
      <attribute name="speed">3</attribute></box>
    <box frame="1" keyframe="0" outside="0" occluded="1" xtl="2" ytl="2" xbr="31" ybr="40" z_order="0" />
    <box frame="2" keyframe="1" outside="1" occluded="0" xtl="2" ytl="2" xbr="31" ybr="40" z_order="0" />
  </track>
  <track id="1" label="plate" source="auto" group_id="3">
    <polygon frame="1" keyframe="1" outside="0" occluded="0" points="1,1;10,1;10,10" z_order="0" />
  </track>
  <image id="2" name="frame_000002"><tag label="good_frame" /></image>"""


def build_cvat_images(root: Path) -> Path:
    _put(root / "images" / "a.png", _png(0))
    _put(root / "images" / "b.png", _png(1))
    return cvat_xml(root / "annotations.xml", CVAT_IMAGES, size=2)


def build_cvat_video(root: Path) -> Path:
    for i in range(3):
        _put(root / "images" / f"frame_{i:06d}.png", _png(i))
    return cvat_xml(root / "annotations.xml", CVAT_TRACKS, size=3, mode="interpolation")


# ----------------------------------------------------------------------------------------------------- MOT

SEQINFO = "[Sequence]\nname=SEQ-01\nimDir=img1\nframeRate=25\nseqLength=3\nimWidth=64\nimHeight=48\nimExt=.png\n"
MOT_GT = "1,1,10,5,20,30,1,1,0.9\n2,1,12,5,20,30,1,1,0.8\n3,1,50,5,20,30,1,1,0.7\n2,2,0,0,5,5,0,7,0.25\n"
MOT_DET = "1,-1,11,6,19,29,0.93,-1,-1,-1\n3,-1,30,30,10,10,0.41,-1,-1,-1\n"


def build_mot(root: Path) -> Path:
    seq = root / "SEQ-01"
    for i in range(1, 4):
        _put(seq / "img1" / f"{i:06d}.png", _png(i))
    _put(seq / "seqinfo.ini", SEQINFO)
    _put(seq / "gt" / "gt.txt", MOT_GT)
    _put(seq / "det" / "det.txt", MOT_DET)
    return seq


# -------------------------------------------------------------------------------------------- Label Studio

_RECT = {"id": "r1", "type": "rectanglelabels", "from_name": "label", "to_name": "image", "original_width": 64,
         "original_height": 48, "value": {"x": 10, "y": 10, "width": 20, "height": 30, "rotation": 0,
                                          "rectanglelabels": ["cat"]}}  # fmt: skip
LS_TASKS: list[Any] = [
    {"id": 1, "data": {"image": "/data/upload/1/abcdef12-a.png", "meta": "x"},
     "annotations": [{"id": 10, "completed_by": 1, "result": [
         _RECT,
         {"type": "polygonlabels", "original_width": 64, "original_height": 48,
          "value": {"points": [[10, 10], [50, 10], [30, 40]], "polygonlabels": ["dog"]}},
         {"type": "choices", "value": {"choices": ["indoor"]}},
         {"type": "rectanglelabels", "original_width": 64, "original_height": 48,
          "value": {"x": 50, "y": 50, "width": 10, "height": 10, "rotation": 30, "rectanglelabels": ["dog"]}},
     ]}],
     "predictions": [{"model_version": "m1", "score": 0.5, "result": [_RECT]}]},
    {"id": 2, "data": {"image": "b.png"}, "annotations": [{"result": []}, {"was_cancelled": True, "result": []}]},
]  # fmt: skip
LS_TEXT: list[Any] = [
    {"id": 1, "data": {"text": "hello 😀 world"}, "annotations": [{"result": [
        {"type": "labels", "value": {"start": 0, "end": 5, "text": "hello", "labels": ["greet"]}},
        {"type": "labels", "value": {"start": 9, "end": 14, "text": "world", "labels": ["thing"]}},
        {"type": "choices", "value": {"choices": ["positive"]}},
    ]}]},
    {"id": 2, "data": {"text": "bye"}, "annotations": []},
]  # fmt: skip


def build_label_studio(root: Path) -> Path:
    _put(root / "a.png", _png(0))
    _put(root / "b.png", _png(1))
    return _put(root / "tasks.json", json.dumps(LS_TASKS, indent=1))


def build_label_studio_text(root: Path) -> Path:
    return _put(root / "tasks.json", json.dumps(LS_TEXT, indent=1))


# ---------------------------------------------------------------------------------------------------- text

JSONL = (
    '{"id": "a", "text": "hello world", "label": "greet", "spans": [{"start": 0, "end": 5, "label": "word"}],'
    ' "split": "train", "extra": 1}\n{"id": 2, "text": "bye", "labels": ["x", "y"]}\n'
)
CSV = 'id,text,label\n1,hello,greet\n2,"quoted, ""text""",bye\n3,"two\nlines",greet\n'


def build_jsonl(root: Path) -> Path:
    return _put(root / "data.jsonl", JSONL)


def build_csv(root: Path) -> Path:
    return _put(root / "data.csv", CSV)


# ----------------------------------------------------------------------------------------- folders, video


def build_image_folder(root: Path) -> Path:
    _put(root / "cats" / "a.png", _png(0))
    _put(root / "dogs" / "b.png", _png(1))
    _put(root / "unlabeled" / "c.png", _png(2))
    return root


VIDEO_MANIFEST = {"format": MANIFEST_FORMAT, "videos": [{"name": "seq", "fps": 12.5}]}


def build_video(root: Path) -> Path:
    _put(root / "clips" / "a.avi", avi_bytes())
    for i in range(3):
        _put(root / "seq" / f"{i + 1:04d}.png", _png(i))
    _put(root / MANIFEST, json.dumps(VIDEO_MANIFEST))
    return root


# ---------------------------------------------------------------------------------------------- WebDataset

WDS_DOCS: list[dict[str, Any]] = [
    {"name": "a.png", "kind": "image", "media": "png", "width": 64, "height": 48, "split": "train", "meta": {"n": 1},
     "annotations": [
         {"kind": "box", "label": "cat", "geometry": {"bbox": [1, 2, 30, 40]}, "score": 0.5, "source": "model",
          "state": "proposed", "model_version": "v1", "attributes": {"x": 1}},
         {"kind": "polygon", "label_id": 1, "geometry": {"points": [1, 1, 10, 1, 10, 10]}}]},
    {"name": "b.png", "kind": "image", "media": "png", "width": 64, "height": 48, "annotations": []},
]  # fmt: skip
WDS_INDEX = {"format": INDEX_FORMAT, "shards": [{"name": "shard-000000.tar", "samples": 2}], "labels": ["cat", "dog"],
             "samples": 2, "format_meta": {}}  # fmt: skip
SHARD = "shard-000000.tar"


def _shard_members(first_json: bytes) -> list[tuple[str, bytes]]:
    return [
        ("00000000.json", first_json),
        ("00000000.png", _png(0)),
        ("00000001.json", json.dumps(WDS_DOCS[1]).encode()),
        ("00000001.png", _png(1)),
    ]


def build_webdataset(root: Path) -> Path:
    make_shard(root / SHARD, _shard_members(json.dumps(WDS_DOCS[0]).encode()))
    _put(root / f"shard{INDEX_SUFFIX}", json.dumps(WDS_INDEX))
    return root


def _write_sample_json(root: Path, data: bytes) -> None:
    make_shard(root / SHARD, _shard_members(data))


def _json(doc: Any) -> Mutator:
    return lambda _data: mutated_json(doc)


_CASES = [
    Case("coco", "coco", ItemKind.IMAGE, build_coco,
         [Target("ann.json", _json(COCO_DOC)), Target("images/b.png", mutated_image)], (2, 8)),
    Case("coco_captions", "coco_captions", ItemKind.IMAGE, build_captions,
         [Target("captions_val2017.json", _json(CAPTIONS_DOC)), Target("images/b.png", mutated_image)], (2, 0)),
    Case("yolo", "yolo", ItemKind.IMAGE, build_yolo,
         [Target("labels/a.txt", _lines()), Target("classes.txt", _lines()),
          Target("images/a.png", mutated_image)], (2, 4)),
    Case("yolo_yaml", "yolo", ItemKind.IMAGE, build_yolo_yaml,
         [Target("data.yaml", _lines()), Target("labels/train/a.txt", _lines())], (2, 4)),
    Case("voc", "voc", ItemKind.IMAGE, build_voc,
         [Target("Annotations/a.xml", mutated_xml), Target("Annotations/b.xml", mutated_xml),
          Target("ImageSets/Main/train.txt", _lines()), Target("JPEGImages/b.png", mutated_image)], (2, 3)),
    Case("cvat_images", "cvat_images", ItemKind.IMAGE, build_cvat_images,
         [Target("annotations.xml", mutated_xml), Target("images/b.png", mutated_image)], (2, 5)),
    Case("cvat_video", "cvat_video", ItemKind.VIDEO, build_cvat_video,
         [Target("annotations.xml", mutated_xml), Target("images/frame_000000.png", mutated_image)], (1, 5)),
    Case("mot", "mot", ItemKind.VIDEO, build_mot,
         [Target("SEQ-01/gt/gt.txt", _lines(",")), Target("SEQ-01/det/det.txt", _lines(",")),
          Target("SEQ-01/seqinfo.ini", _lines("=")), Target("SEQ-01/img1/000001.png", mutated_image)], (1, 6)),
    Case("label_studio", "label_studio", ItemKind.IMAGE, build_label_studio,
         [Target("tasks.json", _json(LS_TASKS)), Target("b.png", mutated_image)], (2, 5)),
    Case("label_studio_text", "label_studio", ItemKind.TEXT, build_label_studio_text,
         [Target("tasks.json", _json(LS_TEXT))], (2, 3)),
    Case("text_jsonl", "text", ItemKind.TEXT, build_jsonl, [Target("data.jsonl", _lines(","))], (2, 4)),
    Case("text_csv", "text", ItemKind.TEXT, build_csv, [Target("data.csv", _lines(","))], (3, 3)),
    Case("image_folder", "image_folder", ItemKind.IMAGE, build_image_folder,
         [Target("cats/a.png", mutated_image)], (3, 2)),
    Case("video", "video", ItemKind.VIDEO, build_video,
         [Target("clips/a.avi", mutated_bytes), Target("seq/0002.png", mutated_image),
          Target(MANIFEST, _json(VIDEO_MANIFEST))], (2, 0), {"media": "link"}),
    Case("webdataset", "webdataset", ItemKind.IMAGE, build_webdataset,
         [Target(SHARD, mutated_bytes), Target("00000000.json", _json(WDS_DOCS[0]), _write_sample_json),
          Target(f"shard{INDEX_SUFFIX}", _json(WDS_INDEX))], (2, 2)),
]  # fmt: skip
CASES: dict[str, Case] = {c.id: c for c in _CASES}
