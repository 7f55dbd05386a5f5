"""The public names of labelhub.tracking: a change to this list is a change to the package's surface."""

from __future__ import annotations

import labelhub.tracking


def test_public_names() -> None:
    assert labelhub.tracking.__all__ == [
        "TRACKERS",
        "ArrayFrames",
        "Box",
        "BoxKalman",
        "BoxState",
        "BoxTracker",
        "FrameBox",
        "FrameSource",
        "ImageFileFrames",
        "KalmanNoise",
        "Keyframe",
        "Propagation",
        "PropagationConfig",
        "ScaledFrames",
        "Suggestion",
        "Track",
        "TrackerSpec",
        "TrackerStep",
        "VideoFileFrames",
        "check_keyframes",
        "get_tracker",
        "interpolate",
        "propagate",
        "remove_keyframe",
        "set_keyframe",
        "suggest_frames",
        "tracker_names",
    ]
    assert all(hasattr(labelhub.tracking, name) for name in labelhub.tracking.__all__)
