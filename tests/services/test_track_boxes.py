"""The editor's read of a video's track boxes, packed per track by the database: the same boxes, numbers and order
as reading the rows one by one, on both databases; and on SQLite, a value its JSON functions refuse."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, text
from tests.api._video import otb_frames, video_of_frames
from tests.builders import new_project

from labelhub.domain.enums import ItemKind
from labelhub.hub import Hub
from labelhub.services.track_boxes import TrackBox, track_boxes
from labelhub.services.track_rows import track_rows
from labelhub.storage.db import is_sqlite
from labelhub.storage.models import Annotation

BOX = [213.52898251426222, 100.41059199513037, 233.93391665171265, 151.19439058416515]  # a tracker's digits


def _video(hub: Hub, tmp_path: Path) -> tuple[int, int]:
    pid = new_project(hub, "boxes", ItemKind.VIDEO)
    return pid, video_of_frames(hub, pid, otb_frames(6), tmp_path)


def _row(pid: int, iid: int, track: int | None, frame: int, **given: Any) -> dict[str, Any]:
    row = {"item_id": iid, "project_id": pid, "kind": "track_box", "label": "car", "frame": frame, "track_id": track,
           "geometry": {"bbox": BOX}, "source": "model", "score": 0.5046868558173903,
           "attributes": {"keyframe": False, "outside": False}}  # fmt: skip
    return row | given


def _as_read_row_by_row(hub: Hub, iid: int) -> dict[int, list[TrackBox]]:
    out: dict[int, list[TrackBox]] = {}
    with hub.db.session() as s:
        for r in track_rows(s, iid):
            if r.track_id is not None:
                bbox = r.geometry.get("bbox")
                out.setdefault(r.track_id, []).append(
                    TrackBox(r.id, r.frame, r.label, r.source, r.score, bbox, r.attributes)
                )
    return out


def test_every_box_reads_as_stored_in_frame_and_row_order(hub: Hub, tmp_path: Path) -> None:
    pid, iid = _video(hub, tmp_path)
    rows = [
        _row(pid, iid, 2, 3),
        _row(pid, iid, 1, 4, score=None, source="human", attributes={"keyframe": True, "outside": False}),
        _row(pid, iid, 1, 0, score=0.000123456789012345678),  # 20 digits in a row, after the point
        _row(pid, iid, 1, 2, geometry={}, attributes={}),  # no box
        _row(pid, iid, 1, 2, attributes={"keyframe": False, "note": "second box on frame 2", "id": 2**70}),
        _row(pid, iid, 1, 1, label="van", score=1e-300, geometry={"bbox": [1, 2.5, 30, 40]}),
        _row(pid, iid, 1, None),  # a box without a frame (a damaged import): read, first
        _row(pid, iid, None, 5),  # a track box without a track: not read
        _row(pid, iid, 3, 1, kind="box"),  # not a track box
    ]
    with hub.db.session(write=True) as s:
        s.execute(insert(Annotation), rows)
    with hub.db.session() as s:
        packed = track_boxes(s, iid)
        one = track_boxes(s, iid, 2)
        none = track_boxes(s, iid, 7)
    # As the rows read them (which put a box without a frame first on SQLite, last on PostgreSQL).
    framed = {t: [b for b in boxes if b.frame is not None] for t, boxes in packed.items()}
    assert framed == {t: [b for b in bs if b.frame is not None] for t, bs in _as_read_row_by_row(hub, iid).items()}
    assert list(packed) == [1, 2]
    assert [b.frame for b in packed[1]] == [None, 0, 1, 2, 2, 4]
    first = framed[1]
    assert first[2].bbox is None and first[3].attributes == {"keyframe": False, "note": "second box on frame 2",
                                                             "id": 2**70}  # fmt: skip
    assert first[0].score == 0.000123456789012345678 and first[1].score == 1e-300 and first[4].score is None
    assert first[0].bbox == BOX and first[1].bbox == [1, 2.5, 30, 40] and first[1].label == "van"
    assert one == {2: packed[2]} and none == {}


def test_a_value_sqlite_cannot_read_as_json_falls_back_to_row_by_row(hub: Hub, tmp_path: Path) -> None:
    if not is_sqlite(hub.db.engine):
        pytest.skip("PostgreSQL's JSONB refuses NaN when it is written")
    pid, iid = _video(hub, tmp_path)
    with hub.db.session(write=True) as s:
        s.execute(insert(Annotation), [_row(pid, iid, 1, 0), _row(pid, iid, 1, 1)])
        # NaN, as Python's json writes it: SQLite's JSON functions refuse the text.
        s.execute(text("UPDATE annotations SET geometry = '{\"bbox\": [NaN, 1, 2, 3]}' WHERE frame = 1"))
    with hub.db.session() as s:
        boxes = track_boxes(s, iid)[1]
    assert [b.frame for b in boxes] == [0, 1]
    assert boxes[0].bbox == BOX and math.isnan(boxes[1].bbox[0]) and boxes[1].bbox[1:] == [1, 2, 3]
