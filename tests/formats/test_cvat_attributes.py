"""CVAT attributes through a project: <meta> declarations become the project's, and exports declare them again."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

import pytest
from tests.builders import new_project
from tests.formats._attribute_support import annotation_values, declare, project_schema
from tests.formats._cvat_support import IMAGE_BODY, cvat_xml
from tests.formats._video_support import SYSTEM

from labelhub.domain.attributes import AttributeSpec
from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.errors import ImportValidationError
from labelhub.formats import ExportItem, ExportOptions, ImportOptions
from labelhub.formats._attributes import with_schema_attributes
from labelhub.formats.cvat import CvatImagesExporter
from labelhub.hub import Hub
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source

NONE = ImportOptions(media="none")


def _declared(xml: Path) -> dict[str, list[dict[str, str]]]:
    """label -> its <attribute> declarations, each field's text (values as CVAT writes them, one per line)."""
    root = ElementTree.parse(xml).getroot()
    out: dict[str, list[dict[str, str]]] = {}
    for label in root.iter("label"):
        out[label.findtext("name") or ""] = [
            {child.tag: (child.text or "").strip() for child in a} for a in label.iter("attribute")
        ]
    return out


def test_an_import_declares_the_files_attributes_and_an_export_declares_them_again(hub: Hub, tmp_path: Path) -> None:
    src = cvat_xml(tmp_path / "in" / "annotations.xml", IMAGE_BODY)
    pid = new_project(hub, "cvat-attrs")
    report = import_source(hub, SYSTEM, pid, src, fmt="cvat_images", options=NONE)
    assert report.warnings == []
    schema, _ = project_schema(hub, pid)
    assert [a.to_json() for a in schema.attributes] == [
        {"name": "parked", "type": "bool", "options": [], "labels": ["car"], "default": False},
        {"name": "speed", "type": "number", "options": [], "labels": ["car"], "default": 0, "mutable": True},
        {"name": "colour", "type": "select", "options": ["red", "blue"], "labels": ["car"], "default": "red"},
        {"name": "occluded", "type": "bool", "options": [], "labels": [], "default": False},  # CVAT's own flag
    ]
    box = next(a for _, label, _, a in annotation_values(hub, pid) if label == "car")
    assert (box["parked"], box["speed"], box["colour"]) == (True, 42, "blue")  # typed as declared

    out = tmp_path / "out.xml"
    export_project(hub, SYSTEM, pid, out, fmt="cvat_images")
    assert _declared(out) == _declared(src)
    again = new_project(hub, "cvat-attrs-again")
    import_source(hub, SYSTEM, again, out, fmt="cvat_images", options=NONE)
    assert project_schema(hub, again)[0].attributes == schema.attributes
    assert annotation_values(hub, again) == annotation_values(hub, pid)


VIDEO_BODY = """  <track id="3" label="car" source="manual">
    <attribute name="colour">blue</attribute>
    <box frame="0" outside="0" occluded="0" keyframe="1" xtl="10" ytl="10" xbr="50" ybr="40" z_order="0">
      <attribute name="parked">false</attribute>
      <attribute name="speed">10</attribute>
    </box>
    <box frame="1" outside="0" occluded="1" keyframe="0" xtl="12" ytl="10" xbr="52" ybr="40" z_order="0">
      <attribute name="parked">true</attribute>
      <attribute name="speed">12.5</attribute>
    </box>
    <box frame="2" outside="1" occluded="0" keyframe="1" xtl="12" ytl="10" xbr="52" ybr="40" z_order="0">
      <attribute name="parked">true</attribute>
      <attribute name="speed">12.5</attribute>
    </box>
  </track>"""


def test_video_tracks_keep_every_per_box_value_and_the_declarations(hub: Hub, tmp_path: Path) -> None:
    src = cvat_xml(tmp_path / "clip.xml", VIDEO_BODY, size=3, mode="interpolation")
    pid = new_project(hub, "cvat-video-attrs", ItemKind.VIDEO)
    import_source(hub, SYSTEM, pid, src, fmt="cvat_video", options=NONE)
    values = annotation_values(hub, pid)
    assert [(f, a["parked"], a["speed"], a["colour"]) for _, _, f, a in values] == [
        (0, False, 10, "blue"),
        (1, True, 12.5, "blue"),
        (2, True, 12.5, "blue"),
    ]  # fmt: skip  (the track's own <attribute> holds on each of its boxes)
    assert [a.name for a in project_schema(hub, pid)[0].attributes] == ["parked", "speed", "colour", "occluded"]

    out = tmp_path / "out.xml"
    export_project(hub, SYSTEM, pid, out, fmt="cvat_video")
    assert _declared(out) == _declared(src)
    boxes = ElementTree.parse(out).getroot().findall("track/box")
    assert [{a.get("name"): a.text for a in b.findall("attribute")} for b in boxes][1] == {
        "parked": "true", "speed": "12.5", "colour": "blue"
    }  # fmt: skip
    again = new_project(hub, "cvat-video-again", ItemKind.VIDEO)
    import_source(hub, SYSTEM, again, out, fmt="cvat_video", options=NONE)
    assert annotation_values(hub, again) == values


MERGE_META = """<?xml version="1.0" encoding="utf-8"?>
<annotations><version>1.1</version><meta><task><name>t</name><labels>
  <label><name>car</name><attributes>
    <attribute><name>colour</name><input_type>select</input_type><default_value>red</default_value>
      <values>red
blue</values></attribute>
    <attribute><name>speed</name><input_type>number</input_type><default_value>0</default_value>
      <values>0
100
1</values></attribute>
    <attribute><name>keyframe</name><input_type>checkbox</input_type><default_value>false</default_value>
      <values>false</values></attribute>
  </attributes></label>
  <label><name>truck</name><attributes>
    <attribute><name>colour</name><input_type>radio</input_type><default_value>green</default_value>
      <values>green
red</values></attribute>
    <attribute><name>speed</name><input_type>text</input_type><default_value></default_value>
      <values></values></attribute>
  </attributes></label>
</labels></task></meta>
{body}</annotations>
"""


def test_the_same_name_on_several_labels_merges_and_a_type_conflict_keeps_the_first(hub: Hub, tmp_path: Path) -> None:
    body = """<image id="0" name="a.jpg" width="64" height="48">
    <box label="truck" occluded="0" xtl="1" ytl="1" xbr="9" ybr="9"><attribute name="speed">fast</attribute></box>
  </image>"""
    src = tmp_path / "merge.xml"
    src.write_text(MERGE_META.format(body=body), encoding="utf-8")
    pid = new_project(hub, "merge")
    report = import_source(hub, SYSTEM, pid, src, fmt="cvat_images", options=NONE)
    colour, speed, occluded = project_schema(hub, pid)[0].attributes
    # Every label of the file declares colour: it applies to every class.
    assert (colour.type, colour.options, colour.labels, colour.default) == (
        "select", ("red", "blue", "green"), (), "red"
    )  # fmt: skip
    assert (speed.type, speed.labels) == ("number", ("car",))
    assert (occluded.name, occluded.type) == ("occluded", "bool")  # the shapes carry CVAT's flag
    assert report.warnings == [
        "the file's attribute 'keyframe' was not declared in the project: the name is reserved: tracks or formats"
        " keep their own data under it (choose another name). Its values come in as they are",
        "attribute 'speed' is text for truck in the file, but the file declares it as number (for car): the number"
        " declaration is kept, and the file's values of it come in as they are (the editor shows those that do not"
        " fit)",
    ]
    assert annotation_values(hub, pid)[0][3]["speed"] == "fast"


def test_a_project_declaration_of_another_type_is_kept_and_the_import_says_so(hub: Hub, tmp_path: Path) -> None:
    pid = new_project(hub, "declared-first")
    declare(hub, pid, AttributeSpec("speed", "text"), AttributeSpec("parked", "bool"), classes=("car",))
    _, version = project_schema(hub, pid)
    # A file that declares speed as a number but parked not at all.
    body = IMAGE_BODY.replace('<attribute name="colour">blue</attribute>', "")
    src = cvat_xml(tmp_path / "in.xml", body)
    text = src.read_text(encoding="utf-8")
    start = text.index("<attribute><name>parked</name>")
    src.write_text(text[:start] + text[text.index("</attribute>", start) + len("</attribute>") :], encoding="utf-8")

    report = import_source(hub, SYSTEM, pid, src, fmt="cvat_images", options=NONE)
    schema, after = project_schema(hub, pid)
    speed, parked, colour, occluded = schema.attributes
    assert (speed.type, speed.labels, parked.type, colour.type) == ("text", (), "bool", "select")
    assert occluded.name == "occluded"
    assert after > version
    assert len(report.warnings) == 1
    assert "attribute 'speed' is number for car in the file, but the project declares it as text" in report.warnings[0]
    box = next(a for _, label, _, a in annotation_values(hub, pid) if label == "car")
    # speed came in as the file typed it; parked, which only the project declares, as the project's bool
    assert (box["speed"], box["parked"]) == (42, True)


def test_a_refused_import_declares_nothing(hub: Hub, tmp_path: Path) -> None:
    pid = new_project(hub, "refused")
    before = project_schema(hub, pid)
    bad = IMAGE_BODY.replace('xtl="10.5" ytl="20" xbr="110.25"', 'xtl="110.5" ytl="20" xbr="10.25"')
    src = cvat_xml(tmp_path / "bad.xml", bad)
    with pytest.raises(ImportValidationError, match="nothing was imported"):
        import_source(hub, SYSTEM, pid, src, fmt="cvat_images", options=NONE)
    assert project_schema(hub, pid) == before
    assert before[0].attributes == ()


def test_an_export_declares_attributes_the_project_declared_itself(tmp_path: Path) -> None:
    specs = [
        AttributeSpec("colour", "select", ("red", "blue"), labels=("car",)),
        AttributeSpec("parked", "bool", default=True),
        AttributeSpec("speed", "number"),
        AttributeSpec("note", "text", labels=("car",), default="n/a"),
        AttributeSpec("weight", "number", labels=("car",), default=2),
    ]
    box = AnnotationRecord(
        AnnotationKind.BOX, "car", {"bbox": [1.0, 1.0, 9.0, 9.0]}, attributes={"speed": 2.5, "colour": "blue"}
    )
    other = AnnotationRecord(AnnotationKind.BOX, "car", {"bbox": [1.0, 1.0, 9.0, 9.0]}, attributes={"speed": 40})
    item = ItemRecord(kind=ItemKind.IMAGE, name="a.jpg", width=64, height=48, annotations=[box, other])
    out = tmp_path / "out.xml"
    options = with_schema_attributes(ExportOptions(), specs)
    with CvatImagesExporter(out, ["car", "plate"], options) as exporter:
        exporter.write(ExportItem(record=item))
    fields = ("name", "input_type", "default_value", "values")
    declared = {label: [tuple(a[k] for k in fields) for a in attrs] for label, attrs in _declared(out).items()}
    assert declared == {
        "car": [
            ("colour", "select", "red", "red\nblue"),
            ("parked", "checkbox", "true", "true"),
            ("speed", "number", "2.5", "2.5\n40\n0.01"),  # the range of the values written
            ("note", "text", "n/a", "n/a"),
            ("weight", "number", "2", "2\n3\n1"),  # no value written: from the default
        ],
        "plate": [("parked", "checkbox", "true", "true"), ("speed", "number", "0", "0\n100\n1")],
    }


UNDEFINED_META = """<?xml version="1.0" encoding="utf-8"?>
<annotations><version>1.1</version><meta><task><name>t</name><labels>
  <label><name>car</name><attributes>
    <attribute><name>colour</name><input_type>select</input_type><default_value>__undefined__</default_value>
      <values>__undefined__
red
blue</values></attribute>
    <attribute><name>parked</name><input_type>checkbox</input_type><default_value>false</default_value>
      <values>false</values></attribute>
  </attributes></label>
  <label><name>bus</name><attributes>
    <attribute><name>parked</name><input_type>checkbox</input_type><default_value>false</default_value>
      <values>false</values></attribute>
  </attributes></label>
</labels></task></meta>
<image id="0" name="a.jpg" width="10" height="10">
  <box label="car" occluded="0" xtl="1" ytl="1" xbr="9" ybr="9"><attribute name="colour">__undefined__</attribute>
    <attribute name="parked">maybe</attribute></box>
  <box label="bus" occluded="0" xtl="1" ytl="1" xbr="9" ybr="9"><attribute name="parked">true</attribute></box>
</image></annotations>
"""


def test_cvat_s_undefined_is_no_value_a_checkbox_s_odd_word_stays_text_and_every_label_means_every_class(
    hub: Hub, tmp_path: Path
) -> None:
    src = tmp_path / "undefined.xml"
    src.write_text(UNDEFINED_META, encoding="utf-8")
    pid = new_project(hub, "undefined")
    import_source(hub, SYSTEM, pid, src, fmt="cvat_images", options=NONE)
    colour, parked, _occluded = project_schema(hub, pid)[0].attributes
    assert (colour.options, colour.default, colour.labels) == (("red", "blue"), None, ("car",))
    assert (parked.type, parked.labels) == ("bool", ())  # declared on every label of the file: every class
    values = {label: a for _, label, _, a in annotation_values(hub, pid)}
    assert "colour" not in values["car"]  # __undefined__: nothing chosen
    assert values["car"]["parked"] == "maybe" and values["bus"]["parked"] is True  # "maybe" is not read as false
