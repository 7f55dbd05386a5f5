"""Class colours: 80 classes (COCO) get 80 colours a person tells apart, visible on the editor's dark stage, and the
web app's copy of the palette is the server's."""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

from labelhub.domain.schema import PALETTE, LabelSchema

WEB_LABELS = Path(__file__).resolve().parents[2] / "web" / "src" / "lib" / "labels.ts"
STAGE = "#15171c"  # the image editor's background (EditorFrame.svelte)


def _rgb(color: str) -> tuple[int, int, int]:
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def _linear(v: int) -> float:
    c = v / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _lab(color: str) -> tuple[float, float, float]:
    """CIELAB (D65) of an sRGB colour."""
    r, g, b = (_linear(v) for v in _rgb(color))
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 216 / 24389 else (24389 / 27 * t + 16) / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def _contrast(color: str, background: str) -> float:
    """WCAG contrast ratio of two colours."""
    lum = [
        0.2126 * r + 0.7152 * g + 0.0722 * b for r, g, b in ((_linear(v) for v in _rgb(c)) for c in (color, background))
    ]
    return (max(lum) + 0.05) / (min(lum) + 0.05)


def test_80_classes_get_80_colours_far_apart() -> None:
    colours = LabelSchema.from_names([f"class{i}" for i in range(80)]).to_json()["classes"]
    first80 = [c["color"] for c in colours]
    assert first80 == list(PALETTE[:80])
    closest = min(math.dist(_lab(a), _lab(b)) for a, b in itertools.combinations(first80, 2))
    assert closest >= 10  # CIE76 delta E: about 2.3 is barely noticeable, 10 clearly another colour


def test_every_colour_shows_on_the_dark_stage_and_none_is_pale() -> None:
    assert min(_contrast(c, STAGE) for c in PALETTE) >= 3  # WCAG's minimum for graphics
    for c in PALETTE:
        lightness, a, b = _lab(c)
        assert math.hypot(a, b) >= 30 or lightness < 60, c  # a light colour is a saturated one, not a pastel


def test_the_web_app_has_the_same_palette() -> None:
    text = WEB_LABELS.read_text(encoding="utf-8")
    body = re.search(r"export const PALETTE = \[(.*?)\] as const;", text, re.S)
    assert body is not None
    assert re.findall(r'"(#[0-9a-f]{6})"', body.group(1)) == list(PALETTE)
