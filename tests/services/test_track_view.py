"""A track as the editor reads it: suggested frames lie where the track has boxes the system set, never on frames
where it has none (outside an imported track's span)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert
from tests.api._video import otb_frames, video_of_frames
from tests.builders import new_project

from labelhub.domain.enums import ItemKind
from labelhub.hub import Hub
from labelhub.services.access import Actor
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
