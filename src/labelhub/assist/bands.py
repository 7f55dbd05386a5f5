"""Auto-accept bands: what happens to a model's proposal, decided by its calibrated score.

- score above ``upper``: **accepted**, stored as a label whose source is the model;
- ``lower <= score <= upper``: **proposed**, shown to a person for review;
- score below ``lower``: **dropped**, not worth a reviewer's time.

The bounds only mean something on calibrated scores (:mod:`labelhub.assist.calibration`), and
:func:`suggest_bands` picks them from held-out predictions:

- ``upper`` is the lowest bound whose accepted held-out items reach ``target_precision``; by default the
  precision that must reach it is the lower end of a one-sided 95 % Wilson interval, not the raw share,
  because 300 held-out items with 6 mistakes (98.0 %) are weak evidence that new items will do as well;
- ``lower`` is the highest bound below which at most ``drop_precision`` of the held-out proposals were right.

Bounds sit half-way between two neighbouring held-out scores, so a new item scoring exactly like a
held-out one is not routed by a rounding accident.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from labelhub.assist._checks import check_number
from labelhub.errors import ValidationError

__all__ = ["BandSuggestion", "Bands", "Route", "route", "suggest_bands", "wilson_lower"]


class Route(StrEnum):
    """Where a proposal goes."""

    ACCEPTED = "accepted"
    PROPOSED = "proposed"
    DROPPED = "dropped"


@dataclass(frozen=True, slots=True)
class Bands:
    """The two bounds, ``0 <= lower <= upper <= 1``; ``upper = 1`` accepts nothing, ``lower = 0`` drops nothing."""

    lower: float
    upper: float

    def __post_init__(self) -> None:
        lower = check_number(self.lower, "lower", low=0.0, high=1.0)
        upper = check_number(self.upper, "upper", low=0.0, high=1.0)
        if lower > upper:
            raise ValidationError(f"lower ({lower}) must not be above upper ({upper})", field="lower")

    def route(self, score: float) -> Route:
        """Return where a proposal with this calibrated score goes."""
        s = check_number(score, "score", low=0.0, high=1.0)
        if s > self.upper:
            return Route.ACCEPTED
        return Route.DROPPED if s < self.lower else Route.PROPOSED


def route(scores: npt.ArrayLike, bands: Bands) -> list[Route]:
    """Return the route of each score (in [0, 1])."""
    arr = np.asarray(scores, dtype=np.float64).ravel()
    if not np.all(np.isfinite(arr)) or (arr.size and (arr.min() < 0 or arr.max() > 1)):
        raise ValidationError("scores must be probabilities in [0, 1]", field="scores")
    return [bands.route(float(s)) for s in arr]


def wilson_lower(successes: npt.ArrayLike, n: npt.ArrayLike, z: float) -> npt.NDArray[np.float64]:
    """Return the lower end of the Wilson score interval for ``successes`` out of ``n`` (``z`` standard errors)."""
    k = np.asarray(successes, dtype=np.float64)
    m = np.asarray(n, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / m
        centre = p + z * z / (2 * m)
        spread = z * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m))
        out = (centre - spread) / (1 + z * z / m)
    return np.where(m > 0, out, 0.0)


@dataclass(frozen=True, slots=True)
class BandSuggestion:
    """Suggested bands and what they did on the held-out items they came from.

    ``reached`` is False when no bound reached the target: ``upper`` is then 1 and nothing is accepted.
    """

    bands: Bands
    reached: bool
    accepted_precision: float
    accepted_share: float
    dropped_share: float
    n: int


def suggest_bands(
    scores: npt.ArrayLike,
    correct: npt.ArrayLike,
    *,
    target_precision: float = 0.98,
    drop_precision: float = 0.2,
    z: float = 1.645,
) -> BandSuggestion:
    """Return bands for held-out proposals with calibrated ``scores`` and whether each was ``correct``.

    ``z`` is the one-sided Wilson interval's width in standard errors (1.645: 95 %); 0 uses the plain
    precision, i.e. the lowest upper bound whose held-out precision is at least ``target_precision``.
    """
    s = np.asarray(scores, dtype=np.float64).ravel()
    ok = np.asarray(correct).ravel()
    if s.size == 0:
        raise ValidationError("scores must hold at least one held-out proposal", field="scores")
    if not np.all(np.isfinite(s)) or s.min() < 0 or s.max() > 1:
        raise ValidationError("scores must be probabilities in [0, 1]", field="scores")
    if ok.shape != s.shape or not np.all(np.isin(ok, (0, 1))):
        raise ValidationError(f"correct must be {s.size} true/false values", field="correct")
    target = check_number(target_precision, "target_precision", low=0.0, high=1.0, open_low=True)
    drop = check_number(drop_precision, "drop_precision", low=0.0, high=1.0)
    zz = check_number(z, "z", low=0.0, high=10.0)
    order = np.argsort(-s, kind="stable")
    s_sorted, ok_sorted = s[order], ok[order].astype(np.float64)
    n = s.size
    # Accepting the top k is only possible where the k-th and (k+1)-th scores differ.
    cuts = np.flatnonzero(np.append(s_sorted[:-1] > s_sorted[1:], True)) + 1
    hits = np.cumsum(ok_sorted)
    stat = wilson_lower(hits[cuts - 1], cuts, zz) if zz > 0 else hits[cuts - 1] / cuts
    good = cuts[stat >= target]
    upper, reached = 1.0, False
    if good.size:
        k = int(good.max())
        reached = True
        upper = 0.0 if k == n else float((s_sorted[k - 1] + s_sorted[k]) / 2)
    lower = _lower_bound(s_sorted, ok_sorted, drop, upper)
    accepted = s > upper
    return BandSuggestion(
        bands=Bands(lower, upper),
        reached=reached,
        accepted_precision=float(ok[accepted].mean()) if accepted.any() else math.nan,
        accepted_share=float(accepted.mean()),
        dropped_share=float((s < lower).mean()),
        n=n,
    )


def _lower_bound(s_sorted: npt.NDArray[np.float64], ok_sorted: npt.NDArray[np.float64], drop: float,
                 upper: float) -> float:  # fmt: skip
    """The highest bound below which at most ``drop`` of the proposals were right (0 when none is)."""
    asc, ok_asc = s_sorted[::-1], ok_sorted[::-1]
    n = asc.size
    cuts = np.flatnonzero(np.append(asc[:-1] < asc[1:], True)) + 1  # dropping the lowest j is possible here
    share = np.cumsum(ok_asc)[cuts - 1] / cuts
    good = cuts[share <= drop]
    if not good.size:
        return 0.0
    j = int(good.max())
    bound = 1.0 if j == n else float((asc[j - 1] + asc[j]) / 2)
    return min(bound, upper)
