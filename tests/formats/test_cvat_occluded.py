"""CVAT's built-in ``occluded`` flag: an import declares it (per frame on video), an export writes it on shapes only."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from tests.builders import new_project
from tests.formats._attribute_support import annotation_values, declare, project_schema
from tests.formats._cvat_support import IMAGE_BODY, cvat_xml
from tests.formats._video_support import SYSTEM

from labelhub.domain.attributes import AttributeSpec
from labelhub.domain.enums import ItemKind
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source

NONE = ImportOptions(media="none")
OCCLUDED = {"name": "occluded", "type": "bool", "options": [], "labels": [], "default": False}


def _declarations(hub: Hub, pid: int) -> dict[str, dict[str, object]]:
    return {a.name: a.to_json() for a in project_schema(hub, pid)[0].attributes}


def _meta_names(xml: Path) -> set[str | None]:
    """The names of every ``<attribute>`` ``<meta>`` declares."""
    meta = ElementTree.parse(xml).getroot().find("meta")
    assert meta is not None
    return {a.findtext("name") for a in meta.iter("attribute")}


def _shape_flags(xml: Path, path: str) -> list[tuple[str | None, list[str | None]]]:
    """Each shape's ``occluded`` XML attribute and the names of its ``<attribute>`` children."""
    root = ElementTree.parse(xml).getroot()
    return [(s.get("occluded"), [a.get("name") for a in s.findall("attribute")]) for s in root.findall(path)]


def test_an_images_import_declares_occluded_and_a_round_trip_keeps_it(hub: Hub, tmp_path: Path) -> None:
    src = cvat_xml(tmp_path / "in.xml", IMAGE_BODY)
    pid = new_project(hub, "occluded-images")
    assert import_source(hub, SYSTEM, pid, src, fmt="cvat_images", options=NONE).warnings == []
    assert _declarations(hub, pid)["occluded"] == OCCLUDED  # a yes/no for every class, not per frame
    flags = {label: a.get("occluded") for _, label, _, a in annotation_values(hub, pid) if label != "plate"}
    assert flags == {"car": True, "good_frame": None}  # a tag has no flag

    out = tmp_path / "out.xml"
    export_project(hub, SYSTEM, pid, out, fmt="cvat_images")
    assert "occluded" not in _meta_names(out)  # CVAT's built-in flag, never an <attribute> of a label
    boxes = _shape_flags(out, "image/box")
    assert [flag for flag, _ in boxes] == ["1", "0"] and all("occluded" not in names for _, names in boxes)
    again = new_project(hub, "occluded-images-again")
    import_source(hub, SYSTEM, again, out, fmt="cvat_images", options=NONE)
    assert _declarations(hub, again)["occluded"] == OCCLUDED
    assert annotation_values(hub, again) == annotation_values(hub, pid)


TRACK = """  <track id="1" label="car" source="manual">
    <box frame="0" outside="0" occluded="0" keyframe="1" xtl="10" ytl="10" xbr="50" ybr="40" z_order="0" />
    <box frame="1" outside="0" occluded="1" keyframe="1" xtl="12" ytl="10" xbr="52" ybr="40" z_order="0" />
    <box frame="2" outside="0" occluded="0" keyframe="1" xtl="14" ytl="10" xbr="54" ybr="40" z_order="0" />
    <box frame="3" outside="1" occluded="0" keyframe="1" xtl="14" ytl="10" xbr="54" ybr="40" z_order="0" />
  </track>"""


def test_a_video_import_declares_occluded_per_frame_and_a_round_trip_keeps_it(hub: Hub, tmp_path: Path) -> None:
    src = cvat_xml(tmp_path / "clip.xml", TRACK, size=4, mode="interpolation")
    pid = new_project(hub, "occluded-video", ItemKind.VIDEO)
    assert import_source(hub, SYSTEM, pid, src, fmt="cvat_video", options=NONE).warnings == []
    assert _declarations(hub, pid)["occluded"] == {**OCCLUDED, "mutable": True}
    values = annotation_values(hub, pid)
    assert [(f, a["occluded"]) for _, _, f, a in values] == [(0, False), (1, True), (2, False), (3, False)]

    out = tmp_path / "out.xml"
    export_project(hub, SYSTEM, pid, out, fmt="cvat_video")
    assert "occluded" not in _meta_names(out)
    boxes = _shape_flags(out, "track/box")
    assert [flag for flag, _ in boxes] == ["0", "1", "0", "0"] and all("occluded" not in n for _, n in boxes)
    again = new_project(hub, "occluded-video-again", ItemKind.VIDEO)
    import_source(hub, SYSTEM, again, out, fmt="cvat_video", options=NONE)
    assert _declarations(hub, again)["occluded"] == {**OCCLUDED, "mutable": True}
    assert annotation_values(hub, again) == values


def test_a_project_occluded_of_another_type_is_kept_and_the_import_says_so(hub: Hub, tmp_path: Path) -> None:
    pid = new_project(hub, "occluded-text")
    declare(hub, pid, AttributeSpec("occluded", "select", ("no", "partly", "fully")), classes=("car",))
    report = import_source(hub, SYSTEM, pid, cvat_xml(tmp_path / "in.xml", IMAGE_BODY), fmt="cvat_images", options=NONE)
    assert _declarations(hub, pid)["occluded"]["type"] == "select"
    assert report.warnings == [
        "attribute 'occluded' is bool for every class in the file, but the project declares it as select: the"
        " select declaration is kept, and the file's values of it come in as they are (the editor shows those that"
        " do not fit)"
    ]
    car = next(a for _, label, _, a in annotation_values(hub, pid) if label == "car")
    assert car["occluded"] is True


def test_a_project_yes_no_occluded_is_left_as_it_is(hub: Hub, tmp_path: Path) -> None:
    pid = new_project(hub, "occluded-mine")
    declare(hub, pid, AttributeSpec("occluded", "bool", labels=("car",), default=True), classes=("car",))
    report = import_source(hub, SYSTEM, pid, cvat_xml(tmp_path / "in.xml", IMAGE_BODY), fmt="cvat_images", options=NONE)
    assert report.warnings == []
    assert _declarations(hub, pid)["occluded"] == {**OCCLUDED, "labels": ["car"], "default": True}


def test_a_file_whose_shapes_carry_no_flag_declares_nothing(hub: Hub, tmp_path: Path) -> None:
    body = """  <image id="0" name="a.jpg" width="640" height="480">
    <box label="plate" xtl="1" ytl="2" xbr="30" ybr="12" />
    <tag label="good_frame" source="manual" occluded="1" />
  </image>"""
    pid = new_project(hub, "occluded-none")
    import_source(hub, SYSTEM, pid, cvat_xml(tmp_path / "in.xml", body), fmt="cvat_images", options=NONE)
    assert "occluded" not in _declarations(hub, pid)
    assert list(_declarations(hub, pid)) == ["parked", "speed", "colour"]  # what <meta> declares
