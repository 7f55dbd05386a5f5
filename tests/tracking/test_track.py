"""Track values and their records in the video convention."""

from __future__ import annotations

import pytest

from labelhub.domain.enums import AnnotationKind, Source
from labelhub.domain.geometry import validate_geometry
from labelhub.errors import ValidationError
from labelhub.tracking import BoxState, FrameBox, Keyframe, Track

BOX = (1.0, 2.0, 11.0, 12.0)


def test_records_follow_the_video_convention() -> None:
    track = Track(
        "person",
        (
            FrameBox(0, BoxState.KEYFRAME, BOX, 1.0, source=Source.HUMAN),
            FrameBox(1, BoxState.PROPAGATED, (2.0, 2.0, 12.0, 12.0), 0.42, needs_review=True),
            FrameBox(2, BoxState.OUTSIDE, (2.0, 2.0, 12.0, 12.0), 0.3),
            FrameBox(3, BoxState.OUTSIDE, None, 1.0, source=Source.HUMAN),
        ),
    )
    records = track.to_records(track_id=7)
    assert [r.frame for r in records] == [0, 1, 2]  # an outside frame with no known place has no record
    kf, prop, out = records
    assert all(r.kind is AnnotationKind.TRACK_BOX and r.track_id == 7 and r.label == "person" for r in records)
    assert kf.attributes == {"keyframe": True, "outside": False, "needs_review": False} and kf.score is None
    assert kf.source is Source.HUMAN and prop.source is Source.MODEL
    assert prop.attributes["keyframe"] is False and prop.score == 0.42 and prop.attributes["needs_review"]
    assert out.attributes["outside"] is True
    for r in records:
        validate_geometry(r.kind, r.geometry, width=20, height=20)
    assert track.keyframes == (Keyframe(0, BOX), Keyframe(3, None))
    assert track.review_frames() == [1]


def test_boxes_must_be_in_frame_order() -> None:
    with pytest.raises(ValidationError) as err:
        Track("x", (FrameBox(1, BoxState.PROPAGATED, BOX, 0.5),))
    assert err.value.context["field"] == "boxes[0].frame"
