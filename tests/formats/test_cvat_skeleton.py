"""CVAT skeletons <-> keypoints with the class's declared points: import, export, round trip, errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from xml.etree import ElementTree
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import select
from tests.formats._keypoint_support import classes_of, image_project
from tests.formats._support import split_records

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.domain.schema import PALETTE, LabelClass
from labelhub.errors import FormatError
from labelhub.formats import ExportItem, ExportOptions, ImportOptions
from labelhub.formats._keypoint_schema import with_schema_keypoints
from labelhub.formats.cvat import CvatImagesExporter, CvatImagesImporter
from labelhub.formats.cvat_video import CvatVideoImporter
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source
from labelhub.storage.models import Annotation, Item

NO_MEDIA = ImportOptions(media="none")
NAMES = ["nose", "left_eye", "right_eye"]
# CVAT's editor writes edges first and may list nodes in any order: node ids decide the points' order.
SVG = (
    '<line x1="50" y1="10" x2="20" y2="40" data-type="edge" data-node-from="1" data-node-to="2"></line>'
    '<line x1="50" y1="10" x2="80" y2="40" data-type="edge" data-node-from="3" data-node-to="1"></line>'
    '<circle r="1.5" cx="80" cy="40" data-type="element node" data-element-id="3" data-node-id="3"'
    ' data-label-name="right_eye"></circle>'
    '<circle r="1.5" cx="50" cy="10" data-type="element node" data-element-id="1" data-node-id="1"'
    ' data-label-name="nose"></circle>'
    '<circle r="1.5" cx="20" cy="40" data-type="element node" data-element-id="2" data-node-id="2"'
    ' data-label-name="left_eye"></circle>'
)
SUBLABELS = "".join(
    f"<label><name>{n}</name><type>points</type><attributes /><parent>person</parent></label>" for n in NAMES
)
IMAGES = """  <image id="0" name="a.jpg" width="64" height="48">
    <skeleton label="person" source="manual" z_order="1">
      <points label="nose" occluded="0" outside="0" points="10.5,12" />
      <points label="left_eye" occluded="0" outside="1" points="9,9" />
      <points label="right_eye" occluded="1" outside="0" points="14,11.25" />
      <attribute name="pose">standing</attribute>
    </skeleton>
    <box label="car" occluded="0" xtl="1" ytl="2" xbr="30" ybr="20" />
  </image>
  <image id="1" name="b.jpg" width="64" height="48">
    <skeleton label="person" source="auto" z_order="0">
      <points label="right_eye" occluded="0" outside="0" points="30,31" />
    </skeleton>
  </image>"""


def skeleton_xml(path: Path, body: str = IMAGES, *, svg: str = SVG, sub: str = SUBLABELS) -> Path:
    """Write a CVAT for images 1.1 file declaring car and the 3-point skeleton person (pose: select)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        f"""<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta><task><name>poses</name><size>2</size><mode>annotation</mode><labels>
    <label><name>car</name><color>#ff0000</color><type>rectangle</type><attributes /></label>
    <label><name>person</name><color>#00ff00</color><type>skeleton</type><attributes>
      <attribute><name>pose</name><mutable>False</mutable><input_type>select</input_type>
        <default_value>standing</default_value><values>standing
sitting</values></attribute></attributes>
      <svg>{escape(svg)}</svg></label>
    {sub}
  </labels></task></meta>
{body}
</annotations>
""",
        encoding="utf-8",
    )
    return path


WANT_A = [10.5, 12.0, 2.0, 0.0, 0.0, 0.0, 14.0, 11.25, 1.0]
WANT_B = [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 30.0, 31.0, 2.0]


def test_a_skeleton_label_declares_the_points_and_each_skeleton_is_keypoints(tmp_path: Path) -> None:
    src = skeleton_xml(tmp_path / "annotations.xml")
    with CvatImagesImporter(src, ImportOptions(media="none")) as importer:
        items, problems = split_records(importer)
        labels, meta = importer.labels(), importer.schema_meta()
    assert problems == []
    assert labels == ["car", "person"]  # the points are no classes of their own
    person = meta["cvat"]["labels"][1]
    assert (person["type"], person["keypoints"], person["skeleton"]) == ("skeleton", NAMES, [[0, 1], [2, 0]])
    assert person["layout"] == [[50.0, 10.0], [20.0, 40.0], [80.0, 40.0]]
    a, b = items
    skeleton, box = a.annotations
    assert (skeleton.kind, skeleton.label, skeleton.geometry["points"]) == (AnnotationKind.KEYPOINTS, "person", WANT_A)
    assert skeleton.attributes == {"occluded": False, "z_order": 1, "pose": "standing"}
    assert box.kind is AnnotationKind.BOX
    assert b.annotations[0].geometry["points"] == WANT_B  # points the shape does not list are absent


def _points_by_image(hub: Hub, pid: int) -> dict[str, list[tuple[str, list[float], dict[str, Any]]]]:
    with hub.db.session() as s:
        rows = s.execute(
            select(Item.name, Annotation.label, Annotation.geometry, Annotation.attributes)
            .join(Annotation, Annotation.item_id == Item.id)
            .where(Item.project_id == pid, Annotation.kind == AnnotationKind.KEYPOINTS.value)
            .order_by(Item.name)
        ).all()
    return {name: [(label, geometry["points"], attrs)] for name, label, geometry, attrs in rows}


def test_skeletons_round_trip_through_labelhub(hub: Hub, tmp_path: Path) -> None:
    system = Actor.system()
    first = image_project(hub, "cvat-poses")
    report = import_source(hub, system, first, skeleton_xml(tmp_path / "in.xml"), fmt="cvat_images", options=NO_MEDIA)
    assert report.warnings == [] and report.annotations_added == 3
    person = classes_of(hub, first)["person"]
    assert (person.keypoints, person.skeleton) == (tuple(NAMES), ((0, 1), (2, 0)))
    got = _points_by_image(hub, first)
    assert got["a.jpg"] == [("person", WANT_A, {"occluded": False, "z_order": 1, "pose": "standing"})]
    assert got["b.jpg"][0][1] == WANT_B

    dest = tmp_path / "out.xml"
    export_project(hub, system, first, dest, fmt="cvat_images")
    root = ElementTree.parse(dest).getroot()
    labels = {lab.findtext("name"): lab for lab in root.iter("label")}
    assert labels["person"].findtext("type") == "skeleton"
    assert [n for n, lab in labels.items() if lab.findtext("parent") == "person"] == NAMES
    svg = ElementTree.fromstring(f"<svg>{labels['person'].findtext('svg')}</svg>")
    drawn = [(c.get("data-node-id"), c.get("data-label-name"), c.get("cx")) for c in svg.iter("circle")]
    assert drawn == [("1", "nose", "50.0"), ("2", "left_eye", "20.0"), ("3", "right_eye", "80.0")]  # as imported
    assert [(e.get("data-node-from"), e.get("data-node-to")) for e in svg.iter("line")] == [("1", "2"), ("3", "1")]
    (shape,) = root.findall("image")[0].findall("skeleton")
    points = [(p.get("label"), p.get("outside"), p.get("occluded"), p.get("points")) for p in shape.findall("points")]
    assert points == [("nose", "0", "0", "10.50,12.00"), ("left_eye", "1", "0", "0.00,0.00"),
                      ("right_eye", "0", "1", "14.00,11.25")]  # fmt: skip
    assert shape.find("attribute[@name='pose']") is not None

    second = image_project(hub, "cvat-poses-again")
    again = import_source(hub, system, second, dest, fmt="cvat_images", options=NO_MEDIA)
    assert again.warnings == [] and again.annotations_added == 3
    mine = classes_of(hub, second)["person"]
    assert (mine.keypoints, mine.skeleton) == (person.keypoints, person.skeleton)
    assert _points_by_image(hub, second) == got


def test_a_project_keeps_its_own_declaration_and_is_warned(hub: Hub, tmp_path: Path) -> None:
    own = LabelClass("person", PALETTE[0], keypoints=("head", "tail"), skeleton=((0, 1),))
    pid = image_project(hub, "cvat-own-skeleton", own, LabelClass("car", PALETTE[1]))
    report = import_source(
        hub, Actor.system(), pid, skeleton_xml(tmp_path / "in.xml"), fmt="cvat_images", options=NO_MEDIA
    )
    assert len(report.warnings) == 1
    assert "'person' keeps its own keypoints (head, tail)" in report.warnings[0]
    assert "the CVAT file declares nose, left_eye, right_eye" in report.warnings[0]
    assert classes_of(hub, pid)["person"].keypoints == ("head", "tail")


def _keypoints(label: str, points: list[float]) -> AnnotationRecord:
    return AnnotationRecord(kind=AnnotationKind.KEYPOINTS, label=label, geometry={"points": points})


def test_keypoints_of_a_class_without_names_stay_points(tmp_path: Path) -> None:
    classes = [LabelClass("person", PALETTE[0], keypoints=("a", "b")), LabelClass("dot", PALETTE[1])]
    options = with_schema_keypoints(ExportOptions(), classes)
    out = tmp_path / "out.xml"
    # The person's points were stored before the class declared two names: not one triple per name.
    anns = [_keypoints("dot", [1, 2, 2, 3, 4, 2]), _keypoints("person", [1, 2, 2])]
    with CvatImagesExporter(out, ["person", "dot"], options) as exporter:
        exporter.write(ExportItem(record=ItemRecord(kind=ItemKind.IMAGE, name="a.jpg", annotations=anns)))
        tally = exporter.tally
    image = ElementTree.parse(out).getroot().find("image")
    assert image is not None and [e.tag for e in image] == ["points"]
    assert image[0].get("points") == "1.00,2.00;3.00,4.00"
    assert tally.skipped == {"keypoints": 1}


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ('<skeleton label="person"><points label="nose" outside="0" points="1,x" /></skeleton>', "points",
         "image 'a.jpg': skeleton 'person': point 'nose' needs points=\"x,y\""),
        ('<skeleton label="person"><points label="nose" outside="0" /></skeleton>', "points",
         "point 'nose' needs points"),
        ('<skeleton label="person"><points label="tail" points="1,2" /></skeleton>', "label",
         "image 'a.jpg': skeleton 'person' has a point 'tail' that is none of its points (nose, left_eye"),
        ('<skeleton label="car"><points label="nose" points="1,2" /></skeleton>', "label",
         "image 'a.jpg': skeleton 'car': its label is not declared as a skeleton"),
    ],
)  # fmt: skip
def test_bad_skeletons_are_problems_naming_the_image_label_and_line(
    tmp_path: Path, body: str, field: str, words: str
) -> None:
    src = skeleton_xml(tmp_path / "a.xml", f'<image id="0" name="a.jpg">\n{body}\n</image>')
    with CvatImagesImporter(src, ImportOptions(media="none")) as importer:
        _, problems = split_records(importer)
    assert [(p.file, p.line, p.field) for p in problems] == [(str(src), 14, field)]
    assert words in problems[0].message


@pytest.mark.parametrize(
    ("svg", "words"),
    [
        (SVG.replace('data-node-to="2"', 'data-node-to="9"'), "an <svg> edge joins nodes '1' and '9'"),
        ("<line", "its <svg> is not readable XML"),
        (SVG.replace('data-label-name="nose"', 'data-label-name="tail"').replace("left_eye", "x"), "'tail'"),
    ],
)
def test_a_broken_skeleton_declaration_refuses_the_file(tmp_path: Path, svg: str, words: str) -> None:
    src = skeleton_xml(tmp_path / "a.xml", "", svg=svg)
    with pytest.raises(FormatError, match="skeleton label 'person'") as err:
        CvatImagesImporter(src, ImportOptions(media="none")).labels()
    assert words in err.value.detail and err.value.context["line"] == 6


def test_skeleton_tracks_are_reported_as_not_supported(tmp_path: Path) -> None:
    body = """<track id="0" label="person" source="manual">
    <skeleton frame="0" keyframe="1" z_order="0"><points label="nose" outside="0" points="1,2" /></skeleton>
  </track>"""
    src = skeleton_xml(tmp_path / "v" / "annotations.xml", body)
    with CvatVideoImporter(src.parent, ImportOptions(media="none")) as importer:
        _, problems = split_records(importer)
    assert [p.line for p in problems] == [14]
    assert "<skeleton> shapes are not supported by cvat_video" in problems[0].message


@pytest.mark.parametrize(
    ("svg", "edges"),
    [
        (re.sub(r' data-label-name="[a-z_]+"', "", SVG), [[0, 1], [2, 0]]),  # nodes follow the sub-labels
        ("", []),  # no drawing: the sub-labels in order, no edges
    ],
)
def test_a_skeleton_without_node_names_or_drawing_takes_its_sub_labels(
    tmp_path: Path, svg: str, edges: list[list[int]]
) -> None:
    src = skeleton_xml(tmp_path / "a.xml", "", svg=svg)
    with CvatImagesImporter(src, ImportOptions(media="none")) as importer:
        person = importer.schema_meta()["cvat"]["labels"][1]
    assert (person["keypoints"], person["skeleton"]) == (NAMES, edges)
