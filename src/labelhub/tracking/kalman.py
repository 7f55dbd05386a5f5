"""A constant-velocity Kalman filter on a box's centre and size (filterpy), for one tracking pass.

State ``[cx, cy, w, h, vcx, vcy, vw, vh]``, measurement ``[cx, cy, w, h]``: the tracker's box. The filter is
started on the keyframe (its box is known exactly, its velocity not at all). Each frame it predicts where the
box should be; the tracker's box then updates it, unless the tracker lost the object, in which case the
prediction stands in for a few frames ("coasting"). How well the tracker's box agrees with the prediction is
one part of the propagated box's confidence.

The noise levels are relative to the keyframe box's size (the square root of its area), so a 20-pixel
pedestrian and a 300-pixel car get the same behaviour. The matrices come from filterpy
(``Q_discrete_white_noise``); only their scaling is chosen here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from labelhub.errors import ValidationError
from labelhub.tracking._boxes import Box, from_cxcywh, to_cxcywh

__all__ = ["BoxKalman", "KalmanNoise"]


@dataclass(frozen=True, slots=True, kw_only=True)
class KalmanNoise:
    """Noise levels as fractions of the target size (per frame, standard deviations).

    ``process``: how much the velocity may change from one frame to the next; ``measurement``: how far off the
    tracker's box may be; ``velocity``: the spread of the unknown starting velocity.
    """

    process: float = 0.02
    measurement: float = 0.05
    velocity: float = 0.1

    def __post_init__(self) -> None:
        for name in ("process", "measurement", "velocity"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ValidationError(f"kalman noise {name} must be a positive number, got {value!r}", field=name)


class BoxKalman:
    """A constant-velocity filter on one box; :meth:`predict` then :meth:`update` (or not) once per frame."""

    def __init__(self, box: Box, noise: KalmanNoise | None = None) -> None:
        # filterpy loads SciPy's statistics (0.3-0.5 s): imported by the first filter, not by every process that
        # imports the tracking package (the CLI and the server do, through the media store's frame cache).
        from filterpy.common import Q_discrete_white_noise
        from filterpy.kalman import KalmanFilter

        noise = noise or KalmanNoise()
        c = to_cxcywh(box)
        size = math.sqrt(max(c[2] * c[3], 1.0))
        kf = KalmanFilter(dim_x=8, dim_z=4)
        kf.F = np.eye(8)
        kf.F[:4, 4:] = np.eye(4)
        kf.H = np.eye(4, 8)
        kf.x = np.concatenate([c, np.zeros(4)]).reshape(8, 1)
        kf.P = np.diag([1.0] * 4 + [(noise.velocity * size) ** 2] * 4)
        kf.Q = Q_discrete_white_noise(dim=2, dt=1.0, var=(noise.process * size) ** 2, block_size=4, order_by_dim=False)
        kf.R = np.eye(4) * (noise.measurement * size) ** 2
        self._kf = kf
        self._prior: Box = box

    @property
    def box(self) -> Box:
        """Return the filter's current box (after the last predict or update)."""
        return from_cxcywh(self._kf.x[:4, 0])

    @property
    def velocity(self) -> tuple[float, float]:
        """Return the estimated centre velocity in pixels per frame."""
        return float(self._kf.x[4, 0]), float(self._kf.x[5, 0])

    def predict(self) -> Box:
        """Return the box predicted for the next frame, and advance the filter to it."""
        self._kf.predict()
        # A box cannot shrink below one pixel: keep the size part of the state sane while coasting.
        self._kf.x[2:4, 0] = np.maximum(self._kf.x[2:4, 0], 1.0)
        self._prior = self.box
        return self._prior

    def distance(self, box: Box) -> float:
        """Return the Mahalanobis distance of ``box`` from the current prediction (about 2 when it agrees)."""
        z = to_cxcywh(box).reshape(4, 1)
        kf = self._kf
        y = z - kf.H @ kf.x
        s = kf.H @ kf.P @ kf.H.T + kf.R
        return float(math.sqrt(max(0.0, float((y.T @ np.linalg.solve(s, y))[0, 0]))))

    def agreement(self, box: Box) -> float:
        """Return how well ``box`` agrees with the prediction, in (0, 1]: 1 at the prediction, falling with distance.

        ``exp(-d^2 / 16)`` of the Mahalanobis distance ``d`` (4 dimensions): about 0.8 at the distance a
        consistent measurement has on average, 0.1 at three times that.
        """
        d = self.distance(box)
        return math.exp(-(d * d) / 16.0)

    def update(self, box: Box) -> Box:
        """Return the filtered box after taking the tracker's ``box`` as this frame's measurement."""
        self._kf.update(to_cxcywh(box).reshape(4, 1))
        self._kf.x[2:4, 0] = np.maximum(self._kf.x[2:4, 0], 1.0)
        return self.box
