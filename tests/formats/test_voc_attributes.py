"""Pascal VOC's per-object flags as attributes a project declares as bools."""

from __future__ import annotations

from pathlib import Path
from xml.etree import ElementTree

from tests.builders import new_project
from tests.formats._attribute_support import annotation_values, declare
from tests.formats._video_support import SYSTEM

from labelhub.domain.attributes import AttributeSpec
from labelhub.formats import ImportOptions
from labelhub.hub import Hub
from labelhub.services.exports import export_project
from labelhub.services.imports import import_source

XML = """<annotation><filename>a.jpg</filename><size><width>64</width><height>48</height><depth>3</depth></size>
  <object><name>car</name><pose>Left</pose><truncated>1</truncated><difficult>1</difficult><occluded>0</occluded>
    <bndbox><xmin>2</xmin><ymin>3</ymin><xmax>20</xmax><ymax>30</ymax></bndbox></object>
</annotation>
"""


def test_declared_bool_flags_come_in_as_bools_and_go_out_as_0_or_1(hub: Hub, tmp_path: Path) -> None:
    src = tmp_path / "voc" / "Annotations"
    src.mkdir(parents=True)
    (src / "a.xml").write_text(XML, encoding="utf-8")
    pid = new_project(hub, "voc-flags")
    declare(hub, pid, AttributeSpec("difficult", "bool"), AttributeSpec("occluded", "bool"), classes=("car",))
    import_source(hub, SYSTEM, pid, tmp_path / "voc", fmt="voc", options=ImportOptions(media="none"))
    ((_, _, _, attrs),) = annotation_values(hub, pid)
    # declared: true/false; truncated is declared nowhere and stays the file's integer
    assert attrs == {"difficult": True, "occluded": False, "truncated": 1, "pose": "Left"}
    assert type(attrs["truncated"]) is int  # (1 == True in Python: the types tell)
    assert isinstance(attrs["difficult"], bool) and isinstance(attrs["occluded"], bool)

    out = tmp_path / "out"
    export_project(hub, SYSTEM, pid, out, fmt="voc")
    obj = ElementTree.parse(out / "Annotations" / "a.xml").getroot().find("object")
    assert obj is not None
    assert [obj.findtext(k) for k in ("truncated", "difficult", "occluded")] == ["1", "1", "0"]
    again = new_project(hub, "voc-flags-again")
    declare(hub, again, AttributeSpec("difficult", "bool"), AttributeSpec("occluded", "bool"), classes=("car",))
    import_source(hub, SYSTEM, again, out, fmt="voc", options=ImportOptions(media="none"))
    back = annotation_values(hub, again)[0][3]
    assert back == attrs and isinstance(back["difficult"], bool) and not isinstance(back["truncated"], bool)
