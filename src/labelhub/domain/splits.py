"""Train/val/test splits: by ratio with a stable seed, or from a field the items already carry.

A ratio split hashes ``seed`` and the item's name (BLAKE2b) to a number in ``[0, 1)`` and cuts that range at
the cumulative ratios. Each item's split therefore depends only on its own name and the seed, not on the order
of a file or on the other items: importing the same data again, or adding items later, never moves an item
from one split to another, which keeps a test set from leaking into training. The ratios hold in expectation
(on 1,000 items a split of 10 % gets 100 ± 10); on tiny projects they are approximate.

Hand-written: the hashing is a few lines over :mod:`hashlib`, and libraries that split (scikit-learn's
``train_test_split``) shuffle a whole list, which is order-dependent and does not stream.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from labelhub.errors import ValidationError

DEFAULT_NAMES = ("train", "val", "test")
_SCALE = float(1 << 64)
# How far from 1 (or 100) the ratios may sum and still be scaled to 1: rounding such as 0.33/0.33/0.33.
_SUM_SLACK = 0.01


@dataclass(frozen=True, slots=True)
class SplitRule:
    """How to assign splits: ``ratios`` (name, fraction) pairs summing to 1, or ``field`` to read one."""

    ratios: tuple[tuple[str, float], ...] = ()
    field: str | None = None
    seed: int = 0

    def assign(self, name: str, meta: Mapping[str, Any], current: str | None = None) -> str | None:
        """Return the split of the item called ``name``, with metadata ``meta`` and split ``current``."""
        if self.field is not None:
            if self.field == "split":
                return current
            value = meta.get(self.field)
            return str(value) if value is not None and value != "" else None
        digest = hashlib.blake2b(f"{self.seed}\x00{name}".encode(), digest_size=8).digest()
        u = int.from_bytes(digest, "big") / _SCALE
        acc = 0.0
        for split, fraction in self.ratios:
            acc += fraction
            if u < acc:
                return split
        return self.ratios[-1][0]

    def describe(self) -> str:
        if self.field is not None:
            return f"from field {self.field!r}"
        return "/".join(f"{n}={f:g}" for n, f in self.ratios) + f" (seed {self.seed})"


def parse_split(text: str, seed: int = 0) -> SplitRule:
    """Read a split option as the CLI and API take it.

    - ``0.8/0.1/0.1`` (or ``80/10/10``): ratios for train, val and test (two numbers: train and val);
    - ``train=0.7,val=0.2,holdout=0.1``: named splits;
    - ``field:NAME``: take each item's split from its metadata field ``NAME`` (``field:split`` keeps the split
      the source format gave).
    Ratios are fractions summing to 1 or percentages summing to 100 (within 1 %, so ``33/33/33`` is fine);
    any other sum (``0.5/0.6``) is most likely a typo, so it is refused rather than silently rescaled.
    """
    text = text.strip()
    if text.startswith("field:"):
        name = text.removeprefix("field:").strip()
        if not name:
            raise ValidationError("split field:NAME needs a field name", field="split")
        return SplitRule(field=name, seed=seed)
    pairs: list[tuple[str, str]] = []
    if "=" in text:
        for part in text.split(","):
            key, sep, value = part.partition("=")
            if not sep or not key.strip():
                raise ValidationError(f"split part {part!r} is not NAME=RATIO", field="split")
            pairs.append((key.strip(), value.strip()))
    else:
        values = [v.strip() for v in text.replace(",", "/").split("/")]
        if not 2 <= len(values) <= 3:
            raise ValidationError(
                f"split {text!r}: give 2 or 3 ratios (train/val[/test]), NAME=RATIO pairs, or field:NAME",
                field="split",
            )
        pairs = list(zip(DEFAULT_NAMES, values, strict=False))
    ratios: list[tuple[str, float]] = []
    for name, value in pairs:
        try:
            f = float(value)
        except ValueError:
            raise ValidationError(f"split ratio {value!r} for {name!r} is not a number", field="split") from None
        if not f >= 0 or f == float("inf"):
            raise ValidationError(f"split ratio for {name!r} must be a finite number >= 0", field="split")
        ratios.append((name, f))
    names = [n for n, _ in ratios]
    if len(set(names)) != len(names):
        raise ValidationError(f"split {text!r} names a split twice", field="split")
    total = sum(f for _, f in ratios)
    if total <= 0:
        raise ValidationError(f"split {text!r}: the ratios sum to 0", field="split")
    if not any(abs(total - whole) <= whole * _SUM_SLACK * (1 + 1e-9) for whole in (1, 100)):
        raise ValidationError(
            f"split {text!r}: the ratios sum to {total:g}; give fractions that sum to 1 (0.8/0.1/0.1) or"
            " percentages that sum to 100 (80/10/10)",
            field="split",
        )
    return SplitRule(ratios=tuple((n, f / total) for n, f in ratios if f > 0), seed=seed)
