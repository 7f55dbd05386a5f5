"""Agreement of independent labellers, on cases small enough to check by hand."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from labelhub.domain.agreement import (
    agreement_table,
    annotator_agreement,
    box_iou,
    class_alpha,
    iou_matrix,
    item_agreement,
    pair_agreement,
    pairwise_matrix,
)


def box(label: str, *xyxy: float) -> dict[str, Any]:
    return {"kind": "box", "label": label, "geometry": {"bbox": list(xyxy)}}


def tag(label: str) -> dict[str, Any]:
    return {"kind": "class", "label": label, "geometry": {}}


def span(label: str, start: int, end: int) -> dict[str, Any]:
    return {"kind": "span", "label": label, "geometry": {"start": start, "end": end}}


def poly(label: str, *points: float) -> dict[str, Any]:
    return {"kind": "polygon", "label": label, "geometry": {"points": list(points)}}


SQUARE = (0, 0, 10, 0, 10, 10, 0, 10)
MIXED = [tag("day"), box("cat", 0, 0, 10, 10), poly("dog", *SQUARE), span("PER", 0, 4)]


def test_identical_replicas_agree_fully() -> None:
    assert pair_agreement(MIXED, list(MIXED)) == 1.0
    assert item_agreement([MIXED, MIXED, MIXED]) == 1.0


def test_disjoint_replicas_agree_not_at_all() -> None:
    a = [tag("day"), box("cat", 0, 0, 10, 10), span("PER", 0, 4)]
    b = [tag("night"), box("cat", 50, 50, 60, 60), span("PER", 10, 14)]
    assert pair_agreement(a, b) == 0.0


def test_two_empty_replicas_agree_and_a_lone_replica_has_no_score() -> None:
    assert pair_agreement([], []) == 1.0
    assert item_agreement([[tag("a")]]) is None


@pytest.mark.parametrize(
    ("a", "b", "want"),
    [
        # Jaccard of {a, b} and {b}: 1/2
        ([tag("a"), tag("b")], [tag("b")], 0.5),
        # IoU of [0,0,10,10] and [0,0,10,5] is 0.5: a match; the second box of a is unmatched -> F1 = 2*1/3
        ([box("cat", 0, 0, 10, 10), box("cat", 40, 40, 50, 50)], [box("cat", 0, 0, 10, 5)], 2 / 3),
        # the same box with another label matches nothing
        ([box("cat", 0, 0, 10, 10)], [box("dog", 0, 0, 10, 10)], 0.0),
        # spans: 4 and 4 characters, 2 shared -> F1 = 2*2/8
        ([span("PER", 0, 4)], [span("PER", 2, 6)], 0.5),
    ],
)
def test_pair_agreement_by_hand(a: list[dict[str, Any]], b: list[dict[str, Any]], want: float) -> None:
    assert pair_agreement(a, b) == pytest.approx(want)


def test_ious_of_boxes_and_polygons() -> None:
    assert box_iou([0, 0, 10, 10], [5, 0, 15, 10]) == pytest.approx(50 / 150)
    half = {"points": [0, 0, 10, 0, 10, 5, 0, 5]}
    m = iou_matrix("polygon", [{"points": list(SQUARE)}], [{"points": list(SQUARE)}, half])
    assert m[0, 0] == pytest.approx(1.0)
    assert m[0, 1] == pytest.approx(0.5, abs=0.06)  # rasterised: pixel edges


def test_item_agreement_is_the_mean_of_the_pairs() -> None:
    a, b, c = [tag("x")], [tag("x")], [tag("y")]
    assert item_agreement([a, b, c]) == pytest.approx((1 + 0 + 0) / 3)
    assert pairwise_matrix([a, b, c]) == [[1.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]


def test_annotator_agreement_is_their_mean_with_the_others() -> None:
    items = [{1: [tag("x")], 2: [tag("x")], 3: [tag("y")]}, {1: [tag("z")], 3: [tag("z")]}]
    got = annotator_agreement(items)
    assert got[1] == (pytest.approx((0.5 + 1.0) / 2), 2)  # item 1: (1 + 0) / 2 with 2 and 3; item 2: 1
    assert got[2] == (pytest.approx(0.5), 1)
    assert got[3] == (pytest.approx((0.0 + 1.0) / 2), 2)


def test_krippendorff_alpha_of_a_known_case() -> None:
    # Two coders, four units: a a b b / a a b a. Coincidences: o_aa = 4, o_bb = 2, o_ab = o_ba = 1; n_a = 5,
    # n_b = 3, n = 8. Nominal alpha = 1 - (n - 1) * (o_ab + o_ba) / (2 * n_a * n_b) = 1 - 7 * 2 / 30 = 8/15.
    items = [{1: [tag(x)], 2: [tag(y)]} for x, y in zip("aabb", "aaba", strict=True)]
    assert class_alpha(items) == pytest.approx(8 / 15)


def test_alpha_is_undefined_without_variation_or_pairs() -> None:
    assert class_alpha([{1: [tag("a")], 2: [tag("a")]}]) is None  # one value only
    assert class_alpha([{1: [tag("a")]}, {2: [tag("b")]}]) is None  # nobody paired in any item
    assert class_alpha([{1: [tag("a")], 2: [tag("a")]}, {1: [tag("b")], 2: [tag("b")]}]) == pytest.approx(1.0)


def test_the_box_iou_matrix_equals_the_pairwise_iou_and_the_table_equals_the_per_item_functions() -> None:
    rng = np.random.default_rng(7)
    corners = rng.uniform(0, 100, size=(12, 2))
    boxes = [[float(x), float(y), float(x + w), float(y + h)]
             for (x, y), (w, h) in zip(corners, rng.uniform(0, 40, size=(12, 2)), strict=True)]  # fmt: skip
    boxes[3] = [5.0, 5.0, 5.0, 9.0]  # empty: IoU 0 with everything
    a, b = [{"bbox": x} for x in boxes[:7]], [{"bbox": x} for x in boxes[5:]]
    want = np.array([[box_iou(x["bbox"], y["bbox"]) for y in b] for x in a])
    assert np.allclose(iou_matrix("box", a, b), want) and iou_matrix("box", a, b).shape == (7, 7)
    assert iou_matrix("box", [], b).shape == (0, 7)

    def person(*xs: int) -> list[dict[str, Any]]:
        return [{"kind": "box", "label": "cat", "geometry": {"bbox": boxes[x]}} for x in xs]

    items = {10: {1: person(0, 1, 2), 2: person(0, 1), 3: person(0, 4)}, 11: {1: person(5), 2: person(6)},
             12: {3: person(7)}}  # fmt: skip
    scores, per_user = agreement_table(items)
    assert set(scores) == {10, 11}  # one person alone is not scored
    assert scores[10] == pytest.approx(item_agreement(list(items[10].values())))
    p = {(u, v): pair_agreement(items[10][u], items[10][v]) for u in (1, 2, 3) for v in (1, 2, 3) if u != v}
    eleven = pair_agreement(items[11][1], items[11][2])
    assert per_user[1] == pytest.approx((((p[1, 2] + p[1, 3]) / 2 + eleven) / 2, 2))
    assert per_user[3] == pytest.approx(((p[3, 1] + p[3, 2]) / 2, 1)) and 12 not in per_user
    assert annotator_agreement(items.values()) == per_user
