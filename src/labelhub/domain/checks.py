"""Checks of single setting values shared by the value objects of every layer (training, embedders, encoders):
each failure is a ValidationError naming the field at fault. No numpy here; numpy's scalars pass as the
numbers they are (``numbers.Integral``, ``numbers.Real``)."""

from __future__ import annotations

import math
from numbers import Integral, Real

from labelhub.errors import ValidationError

__all__ = ["check_int", "check_number", "check_span"]


def check_int(value: object, name: str, *, low: int = 0, high: int | None = None) -> int:
    """Return ``value`` when it is a whole number in ``[low, high]``; raise ValidationError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValidationError(f"{name} must be a whole number, got {value!r:.80}", field=name)
    v = int(value)
    if v < low or (high is not None and v > high):
        bound = f"in [{low}, {high}]" if high is not None else f">= {low}"
        raise ValidationError(f"{name} must be {bound}, got {value!r}", field=name)
    return v


def check_number(value: object, name: str, *, low: float, high: float, open_low: bool = False) -> float:
    """Return ``value`` as a float when it is finite and in range (``(low, high]`` with ``open_low``)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValidationError(f"{name} must be a number, got {value!r:.80}", field=name)
    v = float(value)
    below = v <= low if open_low else v < low
    if not math.isfinite(v) or below or v > high:
        bound = f"({low}, {high}]" if open_low else f"[{low}, {high}]"
        raise ValidationError(f"{name} must be in {bound}, got {value!r}", field=name)
    return v


def check_span(value: object, name: str, *, low: int, high: int) -> tuple[int, int]:
    """Return ``value`` when it is a pair of whole numbers ``(smallest, largest)`` within ``[low, high]``."""
    if not (isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, Integral) and not isinstance(v, bool)
                                                                 for v in value)):  # fmt: skip
        raise ValidationError(f"{name} must be (smallest, largest), got {value!r:.80}", field=name)
    first, last = int(value[0]), int(value[1])
    if not low <= first <= last <= high:
        raise ValidationError(f"{name} must be (smallest, largest) within [{low}, {high}], got {value!r}", field=name)
    return first, last
