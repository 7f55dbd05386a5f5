"""Which boxes of a track are keyframes: the SQL keyframe edits read agrees with the Python rule, both databases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import insert
from tests.api._video import otb_frames, video_of_frames
from tests.builders import new_project

from labelhub.domain.enums import ItemKind
from labelhub.hub import Hub
from labelhub.services.track_rows import is_keyframe, keyframe_rows, track_rows
from labelhub.storage.models import Annotation

# (source, attributes) per frame: every way a box says, or leaves unsaid, whether a person set it.
CASES: list[tuple[str, dict[str, Any]]] = [
    ("human", {"keyframe": True}),
    ("model", {"keyframe": True}),  # an imported keyframe made by another tool's model
    ("human", {"keyframe": False}),  # an imported interpolated box, written as the person's
    ("model", {"keyframe": False}),
    ("human", {}),  # no flag: the source decides
    ("model", {}),
    ("human", {"keyframe": "yes"}),  # not a boolean: the source decides
    ("model", {"keyframe": 1}),
    ("model", {"keyframe": None}),
    ("human", {"outside": True, "keyframe": True}),
]


def _track(hub: Hub, tmp_path: Path, cases: list[tuple[str, dict[str, Any]]]) -> int:
    pid = new_project(hub, "rows", ItemKind.VIDEO)
    iid = video_of_frames(hub, pid, otb_frames(len(cases) + 2), tmp_path)
    rows = [
        {"item_id": iid, "project_id": pid, "kind": "track_box", "label": "car", "frame": f, "track_id": 1,
         "geometry": {"bbox": [1.0, 2.0, 30.0, 40.0]}, "source": source, "attributes": attrs}
        for f, (source, attrs) in enumerate(cases)
    ]  # fmt: skip
    with hub.db.session(write=True) as s:
        s.execute(insert(Annotation), rows)
    return iid


def test_the_keyframes_read_in_sql_are_those_the_python_rule_names(hub: Hub, tmp_path: Path) -> None:
    iid = _track(hub, tmp_path, CASES)
    with hub.db.session() as s:
        every = track_rows(s, iid, 1)
        keys = keyframe_rows(s, iid, 1)
        with_frame_3 = keyframe_rows(s, iid, 1, frame=3)
        other_track = keyframe_rows(s, iid, 2)
    expected = [r.frame for r in every if is_keyframe(r.source, r.attributes)]
    assert expected == [0, 1, 4, 6, 9]
    assert [r.frame for r in keys] == expected
    assert [r.frame for r in with_frame_3] == [0, 1, 3, 4, 6, 9]  # frame 3 is a propagated box, asked for
    assert keys[0]._mapping == every[0]._mapping  # whole rows, as track_rows gives them
    assert other_track == []


def test_a_track_without_keyframes_gives_only_the_frame_asked_for(hub: Hub, tmp_path: Path) -> None:
    iid = _track(hub, tmp_path, [("model", {"keyframe": False}), ("model", {})])
    with hub.db.session() as s:
        assert keyframe_rows(s, iid, 1) == []
        assert [r.frame for r in keyframe_rows(s, iid, 1, frame=1)] == [1]
        assert keyframe_rows(s, iid, 1, frame=5) == []
