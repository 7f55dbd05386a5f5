"""Video object tracking: boxes propagated from a person's keyframes, with confidence and suggested frames.

No database and no HTTP here: frames come from a :class:`FrameSource`, keyframes are plain values, and the
result is a :class:`Track` (one :class:`FrameBox` per frame). See ``docs/tracking.md`` for the method.
"""

from labelhub.tracking.config import PropagationConfig
from labelhub.tracking.frames import ArrayFrames, FrameSource, ImageFileFrames, ScaledFrames, VideoFileFrames
from labelhub.tracking.interpolate import interpolate
from labelhub.tracking.kalman import BoxKalman, KalmanNoise
from labelhub.tracking.propagate import Propagation, propagate, remove_keyframe, set_keyframe
from labelhub.tracking.suggest import Suggestion, suggest_frames
from labelhub.tracking.track import Box, BoxState, FrameBox, Keyframe, Track, check_keyframes
from labelhub.tracking.trackers import TRACKERS, BoxTracker, TrackerSpec, TrackerStep, get_tracker, tracker_names

__all__ = [
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
