"""CVAT test data: a 1.1 file with a small <meta> (labels car, plate and good_frame, with attribute specs)."""

from __future__ import annotations

from pathlib import Path

META = """<version>1.1</version>
  <meta><task><name>demo</name><size>{size}</size><mode>{mode}</mode>
    <labels>
      <label><name>car</name><color>#ff0000</color><type>any</type><attributes>
        <attribute><name>parked</name><mutable>False</mutable><input_type>checkbox</input_type>
          <default_value>false</default_value><values>false</values></attribute>
        <attribute><name>speed</name><mutable>True</mutable><input_type>number</input_type>
          <default_value>0</default_value><values>0
200
1</values></attribute>
        <attribute><name>colour</name><mutable>False</mutable><input_type>select</input_type>
          <default_value>red</default_value><values>red
blue</values></attribute>
      </attributes></label>
      <label><name>plate</name><color>#00ff00</color><attributes /></label>
      <label><name>good_frame</name><color>#0000ff</color><type>tag</type><attributes /></label>
    </labels>
    <original_size><width>640</width><height>480</height></original_size>
  </task></meta>"""


def cvat_xml(path: Path, body: str, *, size: int = 2, mode: str = "annotation", prolog: str = "") -> Path:
    """Write a CVAT 1.1 file with the demo <meta> (labels car, plate, good_frame) and ``body``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = f'<?xml version="1.0" encoding="utf-8"?>\n{prolog}<annotations>\n  {META.format(size=size, mode=mode)}\n'
    path.write_text(text + body + "\n</annotations>\n", encoding="utf-8")
    return path


IMAGE_BODY = """  <image id="0" name="sub/a.jpg" width="640" height="480" subset="train">
    <box label="car" occluded="1" xtl="10.5" ytl="20" xbr="110.25" ybr="80" z_order="4" group_id="2">
      <attribute name="parked">true</attribute>
      <attribute name="speed">42</attribute>
      <attribute name="colour">blue</attribute>
    </box>
    <polygon label="plate" occluded="0" points="1,2;30,2;30,12.5;1,12" z_order="0" />
    <points label="plate" occluded="0" points="5,6;7,8" z_order="0" source="auto" />
    <tag label="good_frame" source="manual" />
    <box label="plate" occluded="0" xtl="100" ytl="100" xbr="140" ybr="120" rotation="90" z_order="0" />
  </image>
  <image id="1" name="b.jpg" width="640" height="480" />"""
