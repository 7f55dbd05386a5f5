"""A track as the editor reads it: suggested frames lie where the track has boxes the system set, never on frames
where it has none (outside an imported track's span)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert
from tests.api._video import otb_frames, video_of_frames
from tests.builders import new_project

from labelhub.domain.attributes import AttributeSpec
from labelhub.domain.enums import ItemKind
from labelhub.hub import Hub
from labelhub.services.access import Actor
from labelhub.services.track_boxes import TrackBox
from labelhub.services.track_view import track_view
from labelhub.services.tracks import read_tracks
from labelhub.storage.models import Annotation


def test_suggestions_stay_inside_the_frames_an_imported_track_has(hub: Hub, tmp_path: Path) -> None:
    pid = new_project(hub, "span", ItemKind.VIDEO)
    iid = video_of_frames(hub, pid, otb_frames(40), tmp_path)
    # As a CVAT-video or MOT import leaves a track: keyframes on 10 and 20, interpolated boxes between, nothing else.
    rows = [
        {"item_id": iid, "project_id": pid, "kind": "track_box", "label": "car", "frame": f, "track_id": 1,
         "geometry": {"bbox": [10.0 + f, 20.0, 40.0 + f, 60.0]}, "source": "human" if f in (10, 20) else "model",
         "score": None if f in (10, 20) else 0.5 + 0.01 * f,
         "attributes": {"keyframe": f in (10, 20), "outside": False, "needs_review": False}}
        for f in range(10, 21)
    ]  # fmt: skip
    with hub.db.session(write=True) as s:
        s.execute(insert(Annotation), rows)
    with hub.db.session() as s:
        _, (view,) = read_tracks(s, hub, Actor.system(), pid, iid)
    assert view.states == "-" * 10 + "k" + "p" * 9 + "k" + "-" * 19
    assert view.suggested, "the interpolated frames have something to check"
    assert all(11 <= f <= 19 for f in view.suggested), view.suggested
    assert view.suggested[0] == 11  # the least confident of them


def test_the_editor_is_sent_boxes_to_a_hundredth_of_a_pixel_and_confidences_to_a_thousandth(
    hub: Hub, tmp_path: Path
) -> None:
    pid = new_project(hub, "decimals", ItemKind.VIDEO)
    iid = video_of_frames(hub, pid, otb_frames(5), tmp_path)
    person = [10.0, 20.0, 40.0, 60.0]
    tracker = [10.123456789012345, 20.987654321098765, 40.004999999, 60.5]  # as the propagation job stores them
    rows = [
        {"item_id": iid, "project_id": pid, "kind": "track_box", "label": "car", "frame": f, "track_id": 1,
         "geometry": {"bbox": person if f == 0 else tracker}, "source": "human" if f == 0 else "model",
         "score": None if f == 0 else 0.123456789,
         "attributes": {"keyframe": f == 0, "outside": False, "needs_review": f == 3}}
        for f in range(4)
    ]  # fmt: skip
    with hub.db.session(write=True) as s:
        s.execute(insert(Annotation), rows)
    with hub.db.session() as s:
        _, (view,) = read_tracks(s, hub, Actor.system(), pid, iid)
    assert view.states == "kppp-"
    assert view.boxes[0] == person
    assert view.boxes[1] == view.boxes[3] == [10.12, 20.99, 40.0, 60.5]
    assert view.boxes[4] is None
    assert view.confidence == [None, 0.123, 0.123, 0.123, None]
    assert view.review == [3]
    assert view.suggested[0] == 3  # equal confidences: the frame farthest from the keyframe


def test_per_frame_values_cover_the_tracks_own_frames_and_the_whole_view_pads_them() -> None:
    specs = (
        AttributeSpec("occluded", "bool", mutable=True),
        AttributeSpec("colour", "text"),  # one value for the whole track: not per frame
        AttributeSpec("speaking", "bool", labels=("person",), mutable=True),  # not of this class
    )
    rows = [TrackBox(i, f, "car", "human" if f == 2 else "model", None if f == 2 else 0.9, [1, 2, 3, 4],
                     {"keyframe": f == 2, "occluded": f >= 3, "colour": "red"})
            for i, f in enumerate((2, 3, 4), 1)]  # fmt: skip
    rows.insert(2, TrackBox(9, 3, "car", "model", 0.8, [1, 2, 3, 4], {"keyframe": False}))  # frame 3's later box
    view = track_view(1, rows, 8, specs)
    assert (view.start, view.states) == (2, "kpp")
    assert view.frame_attributes == {"occluded": [False, None, True]}
    assert view.whole().frame_attributes == {"occluded": [None, None, False, None, True, None, None, None]}
