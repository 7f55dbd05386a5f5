"""Image folders: hymenoptera's class folders in and out, plain trees, and exports that cannot be written."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.formats._support import split_records

from labelhub.domain.enums import AnnotationKind, ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.errors import FormatError
from labelhub.formats.base import ExportItem, ExportOptions, ImportOptions
from labelhub.formats.image_folder import ImageFolderExporter, ImageFolderImporter


def _labels(items: list[ItemRecord]) -> Counter[str | None]:
    return Counter(i.annotations[0].label if i.annotations else None for i in items)


def test_hymenoptera_class_folders(hymenoptera: Path) -> None:
    with ImageFolderImporter(hymenoptera, ImportOptions()) as importer:
        items, problems = split_records(importer)
        assert importer.labels() == ["ants", "bees"]
        assert importer.total() == 100
    assert problems == []
    assert len(items) == 100
    assert _labels(items) == {"ants": 50, "bees": 50}
    assert all(i.annotations[0].kind is AnnotationKind.CLASS for i in items)
    first = items[0]
    assert first.name == "ants/10308379_1b6c72e180.jpg"
    assert (first.width, first.height) == (500, 375)
    assert first.media_path is not None and first.media_path.is_file() and first.media_path.is_absolute()


def test_hymenoptera_round_trip(hymenoptera: Path, tmp_path: Path) -> None:
    with ImageFolderImporter(hymenoptera, ImportOptions()) as importer:
        items, _ = split_records(importer)
        labels = importer.labels()
    dest = tmp_path / "export"
    with ImageFolderExporter(dest, labels, ExportOptions(copy_media=True)) as exporter:
        for item in items:
            exporter.write(ExportItem(record=item, media_file=item.media_path))
    assert sorted(p.name for p in dest.iterdir()) == ["ants", "bees"]
    with ImageFolderImporter(dest, ImportOptions()) as importer:
        back, problems = split_records(importer)
    assert problems == []
    assert [(i.name, i.annotations[0].label, i.width, i.height) for i in back] == [
        (i.name, i.annotations[0].label, i.width, i.height) for i in items
    ]


def test_mixed_tree_has_no_labels(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    make_image(tmp_path / "top.png")
    make_image(tmp_path / "a" / "one.png", 10, 20)
    make_image(tmp_path / "a" / "deep" / "two.jpg")
    make_image(tmp_path / ".hidden" / "skip.png")
    (tmp_path / "notes.txt").write_text("not an image")
    with ImageFolderImporter(tmp_path, ImportOptions()) as importer:
        items, problems = split_records(importer)
        assert importer.labels() == []
    assert problems == []
    assert [(i.name, i.annotations) for i in items] == [("a/deep/two.jpg", []), ("a/one.png", []), ("top.png", [])]
    assert (items[1].width, items[1].height) == (10, 20)


def test_metadata_only_and_unreadable_image(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    make_image(tmp_path / "cats" / "ok.png")
    (tmp_path / "cats" / "broken.jpg").write_bytes(b"not really a jpeg")
    with ImageFolderImporter(tmp_path, ImportOptions(media="none")) as importer:
        items, problems = split_records(importer)
    assert problems == []
    assert [(i.name, i.width, i.media_path) for i in items] == [
        ("cats/broken.jpg", None, None),
        ("cats/ok.png", None, None),
    ]
    with ImageFolderImporter(tmp_path, ImportOptions()) as importer:
        items, problems = split_records(importer)
    assert [i.name for i in items] == ["cats/ok.png"]
    assert [p.file for p in problems] == [str(tmp_path / "cats" / "broken.jpg")]


def test_export_unlabeled_and_same_file_names(tmp_path: Path, make_image: Callable[..., Path]) -> None:
    src = make_image(tmp_path / "src.png")
    first = ItemRecord(kind=ItemKind.IMAGE, name="x/photo.png")
    second = ItemRecord(kind=ItemKind.IMAGE, name="y/photo.png")
    bare = ItemRecord(kind=ItemKind.IMAGE, name="bare.png")
    for item in (first, second):
        item.annotations.append(AnnotationRecord(AnnotationKind.CLASS, "cat"))
    dest = tmp_path / "out"
    with ImageFolderExporter(dest, ["cat"], ExportOptions()) as exporter:
        for item in (first, second, bare):
            exporter.write(ExportItem(record=item, media_file=src))
    assert sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*.png")) == [
        "cat/photo-1.png",
        "cat/photo.png",
        "unlabeled/bare.png",
    ]
    # The unlabeled folder reads back as no label.
    with ImageFolderImporter(dest, ImportOptions()) as importer:
        items, _ = split_records(importer)
        assert importer.labels() == ["cat"]
    assert _labels(items) == {"cat": 2, None: 1}


@pytest.mark.parametrize("problem", ["no media", "two labels", "bad label"])
def test_failed_export_leaves_nothing_behind(tmp_path: Path, make_image: Callable[..., Path], problem: str) -> None:
    src = make_image(tmp_path / "in" / "src.png")
    good = ItemRecord(kind=ItemKind.IMAGE, name="a.png")
    bad = ItemRecord(kind=ItemKind.IMAGE, name="b.png")
    media: Path | None = src
    if problem == "no media":
        media = None
    elif problem == "two labels":
        bad.annotations += [AnnotationRecord(AnnotationKind.CLASS, "a"), AnnotationRecord(AnnotationKind.CLASS, "b")]
    else:
        bad.annotations.append(AnnotationRecord(AnnotationKind.CLASS, "../escape"))
    with (
        pytest.raises(FormatError, match=r"'b\.png'"),
        ImageFolderExporter(tmp_path / "out", [], ExportOptions()) as exp,
    ):
        exp.write(ExportItem(record=good, media_file=src))
        exp.write(ExportItem(record=bad, media_file=media))
    assert [p.name for p in tmp_path.iterdir()] == ["in"]
