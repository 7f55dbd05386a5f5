"""The generated demo data: real JPEGs, boxes (and circles' masks, triangles' corners) inside them, deterministic
for a seed."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from pycocotools import mask as mask_utils  # type: ignore[import-untyped]

from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind, Source
from labelhub.domain.geometry import validate_geometry
from labelhub.domain.records import ItemRecord
from labelhub.errors import ValidationError
from labelhub.media.demo import (
    DEMO_LABELS,
    DEMO_MODEL_VERSION,
    DEMO_TEXT_LABELS,
    TRIANGLE_KEYPOINTS,
    generate_demo_images,
    generate_demo_texts,
)


@pytest.fixture(scope="module")
def demo_items(tmp_path_factory: pytest.TempPathFactory) -> list[ItemRecord]:
    return generate_demo_images(tmp_path_factory.mktemp("demo"), count=12, seed=0)


def test_images_exist_as_640x480_jpegs(demo_items: list[ItemRecord]) -> None:
    assert len(demo_items) == 12
    assert len({item.name for item in demo_items}) == 12
    for item in demo_items:
        assert item.kind is ItemKind.IMAGE
        assert item.media_path is not None
        assert item.media_path.name == item.name
        with Image.open(item.media_path) as image:
            assert image.format == "JPEG"
            assert image.size == (640, 480) == (item.width, item.height)


def test_every_image_has_one_to_six_valid_boxes_inside_it(demo_items: list[ItemRecord]) -> None:
    for item in demo_items:
        boxes = [ann for ann in item.annotations if ann.kind is AnnotationKind.BOX]
        assert 1 <= len(boxes) <= 6
        for ann in boxes:
            assert ann.label in DEMO_LABELS
            # Raises when the box is empty, inverted or leaves the image.
            validate_geometry(ann.kind, ann.geometry, width=item.width, height=item.height)
            x1, y1, x2, y2 = ann.geometry["bbox"]
            assert 0 <= x1 < x2 <= 640 and 0 <= y1 < y2 <= 480


def test_human_boxes_first_then_model_proposals(demo_items: list[ItemRecord]) -> None:
    human = demo_items[:8]  # two thirds of 12
    proposed = demo_items[8:]
    for item in human:
        for ann in item.annotations:
            assert (ann.source, ann.state, ann.score) == (Source.HUMAN, AnnotationState.ACCEPTED, None)
    for item in proposed:
        for ann in item.annotations:
            assert (ann.source, ann.state) == (Source.MODEL, AnnotationState.PROPOSED)
            assert ann.model_version == DEMO_MODEL_VERSION
            assert ann.score is not None and 0.3 <= ann.score <= 0.99


def test_boxes_surround_drawn_shapes(demo_items: list[ItemRecord]) -> None:
    # Every shape covers its own centre, painted in a saturated colour; the background is muted.
    for item in demo_items:
        assert item.media_path is not None
        with Image.open(item.media_path) as image:
            hsv = image.convert("HSV")
        background = [hsv.getpixel((x, y))[1] for x in range(0, 640, 40) for y in range(0, 480, 40)]  # type: ignore[index]
        assert sorted(background)[len(background) // 2] < 100
        for ann in item.annotations:
            if ann.kind is not AnnotationKind.BOX:
                continue
            x1, y1, x2, y2 = ann.geometry["bbox"]
            centre = (round((x1 + x2) / 2), round((y1 + y2) / 2))
            assert hsv.getpixel(centre)[1] > 120, (item.name, ann.label)  # type: ignore[index]


def test_human_circles_have_masks_and_triangles_their_corners(demo_items: list[ItemRecord]) -> None:
    human, proposed = demo_items[:8], demo_items[8:]
    masks = keypoints = 0
    for item in human:
        boxes: dict[str | None, list[list[float]]] = {ann.label: [] for ann in item.annotations}
        for ann in item.annotations:
            if ann.kind is AnnotationKind.BOX:
                boxes[ann.label].append(ann.geometry["bbox"])
        for ann in item.annotations:
            validate_geometry(ann.kind, ann.geometry, width=item.width, height=item.height)
            if ann.kind is AnnotationKind.MASK:
                masks += 1
                assert ann.label == "circle"
                # The disc fills its box as a circle does its square (pi / 4 of it), decoded by pycocotools.
                x, y, w, h = mask_utils.toBbox(ann.geometry)
                assert any(
                    max(abs(x - b[0]), abs(y - b[1]), abs(x + w - b[2]), abs(y + h - b[3])) <= 1.5
                    for b in boxes["circle"]
                )
                assert mask_utils.area(ann.geometry) == pytest.approx(w * h * 3.14159 / 4, rel=0.08)
            elif ann.kind is AnnotationKind.KEYPOINTS:
                keypoints += 1
                assert ann.label == "triangle"
                points = ann.geometry["points"]
                assert len(points) == 3 * len(TRIANGLE_KEYPOINTS) and points[2::3] == [2.0, 2.0, 2.0]
                xs, ys = points[0::3], points[1::3]
                # The corners span the triangle's box.
                assert any(abs(min(xs) - b[0]) < 0.02 and abs(max(ys) - b[3]) < 0.02 for b in boxes["triangle"])
    assert masks > 0 and keypoints > 0
    for item in proposed:
        assert {ann.kind for ann in item.annotations} == {AnnotationKind.BOX}


def test_zero_images_is_an_empty_demo(tmp_path: Path) -> None:
    assert generate_demo_images(tmp_path, count=0) == []


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    first = generate_demo_images(tmp_path / "a", count=4, seed=7)
    second = generate_demo_images(tmp_path / "b", count=4, seed=7)
    other = generate_demo_images(tmp_path / "c", count=4, seed=8)
    for one, two, three in zip(first, second, other, strict=True):
        assert one.media_path is not None and two.media_path is not None and three.media_path is not None
        assert one.media_path.read_bytes() == two.media_path.read_bytes()
        assert one.media_path.read_bytes() != three.media_path.read_bytes()
        assert one.annotations == two.annotations


def test_default_demo_uses_every_class(tmp_path: Path) -> None:
    items = generate_demo_images(tmp_path, seed=0)
    assert len(items) == 24
    labels = {ann.label for item in items for ann in item.annotations}
    assert labels == set(DEMO_LABELS)
    sources = {ann.source for item in items for ann in item.annotations}
    assert sources == {Source.HUMAN, Source.MODEL}
    assert len(list(tmp_path.glob("*.jpg"))) == 24


def test_negative_count_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as info:
        generate_demo_images(tmp_path, count=-1)
    assert info.value.context["field"] == "count"
    with pytest.raises(ValidationError):
        generate_demo_texts(count=-1)


def test_texts_are_support_requests_half_of_them_labelled() -> None:
    items = generate_demo_texts(count=40, seed=0)
    assert len(items) == 40
    assert len({item.name for item in items}) == 40
    labelled = [item for item in items if item.annotations]
    assert len(labelled) == 20
    for item in items:
        assert item.kind is ItemKind.TEXT
        assert item.text and item.text[0].isupper() and item.text.endswith((".", "?"))
    for item in labelled:
        (ann,) = item.annotations
        assert ann.kind is AnnotationKind.CLASS
        assert ann.label in DEMO_TEXT_LABELS
        assert (ann.source, ann.state) == (Source.HUMAN, AnnotationState.ACCEPTED)
        validate_geometry(ann.kind, ann.geometry, text_length=len(item.text or ""))
    assert {item.annotations[0].label for item in labelled} == set(DEMO_TEXT_LABELS)
    assert len({item.text for item in items}) > 30  # templates and fillers vary the wording


def test_texts_are_deterministic_for_a_seed() -> None:
    first = [item.text for item in generate_demo_texts(count=10, seed=1)]
    assert first == [item.text for item in generate_demo_texts(count=10, seed=1)]
    assert first != [item.text for item in generate_demo_texts(count=10, seed=2)]
