"""CVAT for video: ``<mutable>`` declarations and per-frame attribute values of tracks, both ways."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from tests.builders import new_project
from tests.formats._attribute_support import annotation_values, project_schema
from tests.formats._cvat_support import cvat_xml
from tests.formats._support import split_records
from tests.formats._video_support import SYSTEM

from labelhub.domain.enums import ItemKind
from labelhub.domain.records import ItemRecord
from labelhub.formats import ExportItem, ExportOptions, ImportOptions
from labelhub.formats._attributes import with_schema_attributes
from labelhub.formats.cvat_video import CvatVideoExporter, CvatVideoImporter
from labelhub.hub import Hub
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source

NONE = ImportOptions(media="none")


def _shape(frame: int, speed: int, keyframe: int = 1) -> str:
    return (
        f'<box frame="{frame}" keyframe="{keyframe}" outside="0" occluded="0" xtl="10" ytl="10" xbr="50" ybr="40">'
        f'<attribute name="speed">{speed}</attribute><attribute name="colour">blue</attribute></box>'
    )


# One car track over frames 0..4: speed (mutable in the file's <meta>) changes on frame 2 and on frame 4, on a
# shape that is no box keyframe; colour (immutable) is the same on every shape.
TRACK = (
    '<track id="0" label="car" source="manual">'
    + "".join(_shape(f, s, k) for f, s, k in ((0, 10, 1), (1, 10, 0), (2, 35, 0), (3, 35, 0), (4, 0, 1)))
    + "</track>"
)


def _import(path: Path) -> tuple[ItemRecord, dict[str, bool]]:
    with CvatVideoImporter(path, ImportOptions(media="none")) as importer:
        specs = importer.attribute_specs()
        (item,), problems = split_records(importer)
    assert problems == []
    return item, {s.name: s.mutable for s in specs}


def _declared_mutable(root: ElementTree.Element) -> dict[str | None, str | None]:
    """``<meta>``'s attribute declarations as name -> ``<mutable>`` text."""
    return {a.findtext("name"): a.findtext("mutable") for a in root.iter("attribute") if a.find("name") is not None}


def _speeds(item: ItemRecord) -> list[tuple[int | None, object]]:
    return [(a.frame, a.attributes.get("speed")) for a in sorted(item.annotations, key=lambda a: a.frame or 0)]


def test_mutable_declarations_and_per_frame_values_come_in_and_go_out_as_they_were(tmp_path: Path) -> None:
    src = cvat_xml(tmp_path / "in.xml", TRACK, size=5, mode="interpolation")
    item, mutable = _import(src)
    assert mutable == {"parked": False, "speed": True, "colour": False}
    assert _speeds(item) == [(0, 10), (1, 10), (2, 35), (3, 35), (4, 0)]
    assert {a.attributes["colour"] for a in item.annotations} == {"blue"}

    # The export declares <mutable> from the project's specs (here: those the import declared), and every shape
    # carries its frame's values.
    with CvatVideoImporter(src, ImportOptions(media="none")) as importer:
        specs = importer.attribute_specs()
    options = with_schema_attributes(ExportOptions(), specs)
    out = tmp_path / "out.xml"
    with CvatVideoExporter(out, ["car", "plate", "good_frame"], options) as exporter:
        exporter.write(ExportItem(record=item))
    root = ElementTree.parse(out).getroot()
    assert _declared_mutable(root) == {"parked": "False", "speed": "True", "colour": "False"}
    shapes = root.findall("track/box")
    written = [(b.get("frame"), b.findtext("attribute[@name='speed']")) for b in shapes]
    assert written == [("0", "10"), ("1", "10"), ("2", "35"), ("3", "35"), ("4", "0")]

    again, mutable_again = _import(out)
    assert mutable_again == mutable and _speeds(again) == _speeds(item)


def test_a_mutable_value_is_read_as_true_in_any_of_cvats_spellings(tmp_path: Path) -> None:
    src = cvat_xml(tmp_path / "in.xml", TRACK, size=5, mode="interpolation")
    text = src.read_text().replace("<mutable>False</mutable><input_type>checkbox", "<mutable>true</mutable><input_"
                                   "type>checkbox")  # fmt: skip
    src.write_text(text, encoding="utf-8")
    _, mutable = _import(src)
    assert mutable == {"parked": True, "speed": True, "colour": False}


def test_a_project_declares_what_the_file_marks_mutable_and_exports_it_so(hub: Hub, tmp_path: Path) -> None:
    src = cvat_xml(tmp_path / "in.xml", TRACK, size=5, mode="interpolation")
    pid = new_project(hub, "cvat-mutable", ItemKind.VIDEO)
    import_source(hub, SYSTEM, pid, src, fmt="cvat_video", options=NONE)
    declared = {s.name: s.mutable for s in project_schema(hub, pid)[0].attributes}
    assert declared == {"parked": False, "speed": True, "colour": False, "occluded": True}  # CVAT's per-box flag
    speeds = [(f, a["speed"]) for _, _, f, a in annotation_values(hub, pid)]
    assert speeds == [(0, 10), (1, 10), (2, 35), (3, 35), (4, 0)]

    out = tmp_path / "out.xml"
    export_project(hub, SYSTEM, pid, out, fmt="cvat_video")
    assert _declared_mutable(ElementTree.parse(out).getroot()) == {  # occluded stays the shapes' own flag
        "parked": "False",
        "speed": "True",
        "colour": "False",
    }
