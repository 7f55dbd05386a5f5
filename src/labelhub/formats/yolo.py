"""YOLO txt: one ``<image stem>.txt`` per image, each line a box or a segmentation polygon, normalised to 0..1.

A line ``class cx cy w h`` (a sixth number is a model confidence) is a box; a line ``class x1 y1 ... xn yn``
(an odd count of at least 7 values) is a polygon; :mod:`labelhub.formats._yolo_lines` says how each line is
told apart and checked. At this boundary normalised values become labelhub's absolute pixels, which needs each
image's size: the importer reads it from the image header, so YOLO cannot be imported metadata-only.

Supported layouts: an Ultralytics ``data.yaml``; a folder with ``images/`` and ``labels/`` (optionally split
into sub-folders) and ``classes.txt`` or a ``*.yaml`` with ``names``; and labels kept apart from the images,
given as ``extra["labels_dir"]`` with ``images_dir`` (or found as ``labels_yolo/`` next to ``images/``).
The options ``names`` (``cat,dog``, in class-id order) or ``names_file`` (a ``classes.txt`` or YAML path, checked
against the import roots like any ``_file`` option) give the class names instead of the dataset's.
The folders a ``data.yaml`` names must lie inside the dataset: relative, without ``..``. A ``path`` that is
absolute or climbs out is not followed (the folder of ``data.yaml`` is the root then), so an uploaded dataset
cannot pull other files of the server into the media store.

A ``data.yaml`` with ``kpt_shape`` is an Ultralytics pose dataset: every line is a box followed by keypoints,
read into a ``box`` and a ``keypoints`` record as :mod:`labelhub.formats._yolo_pose` describes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from labelhub.domain.enums import ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord, Problem
from labelhub.errors import FormatError
from labelhub.formats._common import absolute, image_size, is_image, is_safe_relative, list_images
from labelhub.formats._encoding import bad_byte_in_file
from labelhub.formats._guards import check_labels, is_dir, read_names, storable
from labelhub.formats._mismatch import not_this_format
from labelhub.formats._yolo_export import YoloExporter
from labelhub.formats._yolo_lines import LineError, parse_line
from labelhub.formats._yolo_pose import PoseShape, parse_pose_line, pose_meta, pose_shape
from labelhub.formats.base import FormatImporter, ImportOptions

__all__ = ["YoloExporter", "YoloImporter", "detect"]

_YAML_SUFFIXES = (".yaml", ".yml")
_SPLIT_KEYS = ("train", "val", "test")
_NOT_SPLITS = frozenset({"path", "download", "names", "nc", "yaml_file", "kpt_shape", "flip_idx"})
_SPLIT_NAME = re.compile(r"^(train|val|valid|validation|test)\w*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Split:
    """One folder of images and the folder of their label files."""

    name: str | None
    images: Path
    labels: Path


@dataclass(frozen=True, slots=True)
class _Layout:
    names: list[str]
    splits: list[_Split]
    pose: PoseShape | None = None  # the data.yaml's kpt_shape: every line is a pose line


def detect(path: Path) -> bool:
    """Return True when ``path`` is a YOLO ``data.yaml`` or a folder in one of the YOLO layouts."""
    try:
        if path.is_file():
            return path.suffix.lower() in _YAML_SUFFIXES and _yaml_names(path) is not None
        if not path.is_dir():
            return False
        if (path / "images").is_dir() and ((path / "labels").is_dir() or (path / "labels_yolo").is_dir()):
            return True
        return _data_yaml(path) is not None
    except (FormatError, OSError):
        return False


def _read_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else None
        raise FormatError(f"{path.name} is not valid YAML: {exc.problem}", file=str(path), line=line) from None
    except (yaml.YAMLError, OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        # ValueError: an integer of thousands of digits; RecursionError: lists nested thousands deep.
        raise FormatError(f"cannot read {path.name}: {str(exc)[:200]}", file=str(path)) from None


def _yaml_names(path: Path) -> list[str] | None:
    """Return the ``names`` a YAML file declares, or None when it has none."""
    data = _read_yaml(path)
    if not isinstance(data, dict) or "names" not in data:
        return None
    names = data["names"]
    if isinstance(names, list) and all(isinstance(n, str | int | float) for n in names):
        return check_labels([str(n) for n in names], path, "names")
    if isinstance(names, dict) and all(isinstance(k, int) for k in names):
        # Ultralytics writes {0: person, 1: bicycle}; the ids must run 0..n-1 to index the lines.
        if sorted(names) != list(range(len(names))):
            raise FormatError("names ids must run 0, 1, 2, ... without gaps", file=str(path), field="names")
        return check_labels([str(names[i]) for i in range(len(names))], path, "names")
    raise FormatError("names must be a list or a {id: name} mapping", file=str(path), field="names")


def _data_yaml(folder: Path) -> Path | None:
    """Return the YAML file in ``folder`` that names classes and image folders, preferring data.yaml."""
    candidates = sorted(p for p in folder.iterdir() if p.suffix.lower() in _YAML_SUFFIXES and p.is_file())
    candidates.sort(key=lambda p: p.stem != "data")
    for path in candidates:
        data = _read_yaml(path)
        if isinstance(data, dict) and "names" in data and any(k in data for k in _SPLIT_KEYS):
            return path
    return None


def _names_near(*folders: Path) -> list[str] | None:
    """Return the class names from a ``classes.txt`` or a YAML file with ``names`` in the first folder that has one."""
    for folder in folders:
        classes = folder / "classes.txt"
        if classes.is_file():
            return read_names(classes)
        for path in sorted(folder.glob("*.y*ml")):
            names = _yaml_names(path)
            if names is not None:
                return names
    return None


def _paired_splits(images: Path, labels: Path) -> list[_Split]:
    """Return one split per sub-folder of ``images`` (train, val, ...), or one unnamed split."""
    subdirs = sorted(p for p in images.iterdir() if p.is_dir() and not p.name.startswith("."))
    direct = any(p.is_file() and is_image(p) for p in images.iterdir())
    if subdirs and not direct:
        return [_Split(sub.name, sub, labels / sub.name) for sub in subdirs]
    # A single folder of images is a split when it is named like one (images/train2017 given directly).
    split = images.name if _SPLIT_NAME.match(images.name) else None
    return [_Split(split, images, labels)]


def _labels_for(images: Path) -> Path:
    # Ultralytics swaps the last "images" folder of the path for "labels".
    parts = list(images.parts)
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == "images":
            parts[i] = "labels"
            return Path(*parts)
    return images.parent / "labels" / images.name


def _split_entries(data: dict[Any, Any]) -> Iterator[tuple[str, str]]:
    """Yield ``(key, folder)`` for every image folder the YAML names: train/val/test, then other split keys.

    The YOLO exporter writes a split it cannot map to train/val/test (e.g. ``holdout``) under its own key with
    an ``images/...`` value; Ultralytics ignores such keys, and reading them back keeps those items.
    """
    for key, value in data.items():
        entries = value if isinstance(value, list) else [value] if isinstance(value, str) else []
        other = (
            isinstance(key, str) and key not in _NOT_SPLITS and bool(entries) and all(map(_is_images_entry, entries))
        )
        if key in _SPLIT_KEYS or other:
            for entry in entries:
                yield str(key), str(entry)


def _is_images_entry(entry: object) -> bool:
    return isinstance(entry, str) and entry.startswith("images/")


def _from_data_yaml(path: Path) -> _Layout:
    data = _read_yaml(path)
    names = _yaml_names(path)
    if not isinstance(data, dict) or names is None:
        raise FormatError("the YAML file has no 'names'", file=str(path), field="names")
    root = path.parent
    declared = data.get("path")
    if isinstance(declared, str) and declared and is_safe_relative(declared.rstrip("/")):
        # Ultralytics resolves a relative ``path`` against the working directory or its own datasets folder;
        # next to the YAML file is the only place we can look, and the YAML's own folder when that does not exist.
        candidate = root / declared
        root = candidate if is_dir(candidate) else root
    splits: list[_Split] = []
    seen: set[Path] = set()
    for key, entry in _split_entries(data):
        if not is_safe_relative(entry.rstrip("/")):
            msg = f"{key}: {entry!r} must be a folder inside the dataset (a relative path without '..')"
            raise FormatError(msg, file=str(path), field=key)
        images = root / entry
        if not is_dir(images):
            # Ultralytics also accepts a .txt list of image paths; only folders are read here.
            raise FormatError(f"{key}: {entry} is not a folder of images", file=str(path), field=key)
        if images.resolve() in seen:
            continue
        seen.add(images.resolve())
        split = images.name if images.name != "images" else key
        splits.append(_Split(split, images, _labels_for(images)))
    return _Layout(names, splits, pose_shape(data, path))


def _given_names(options: ImportOptions) -> list[str] | None:
    """The class names the options give: ``names`` (``cat,dog``, in class-id order) or ``names_file`` (a
    ``classes.txt`` or a YAML file with ``names``); None when neither is set."""
    raw, file = options.extra.get("names"), options.extra.get("names_file")
    if raw is not None and file is not None:
        raise FormatError("give the class names once: the option names or names_file, not both", field="names")
    if file is not None:
        path = Path(file)
        if not path.is_file():
            raise FormatError(f"names_file: {path} is not a file", file=str(path), field="names_file")
        if path.suffix.lower() not in _YAML_SUFFIXES:
            return read_names(path)
        names = _yaml_names(path)
        if names is None:
            raise FormatError("names_file: the YAML file has no 'names'", file=str(path), field="names")
        return names
    if raw is None:
        return None
    text = str(raw)
    if "," not in text and ("/" in text or Path(text).suffix.lower() in (*_YAML_SUFFIXES, ".txt")):
        raise FormatError(f"names takes the class names separated by commas (names=cat,dog), not a file ({text!r}); "
                          "for a file of names use the option names_file", field="names")  # fmt: skip
    names = [n.strip() for n in text.split(",")]
    if not all(names):
        raise FormatError(f"names: an empty class name in {text!r}; separate the names by single commas "
                          "(names=cat,dog)", field="names")  # fmt: skip
    return check_labels(names, "options", "names")


def resolve_layout(source: Path, options: ImportOptions) -> _Layout:
    """Return the class names and the image/label folder pairs that ``source`` and ``options`` describe; the
    options' names (:func:`_given_names`) take the place of any the dataset has."""
    given = _given_names(options)
    layout = _found_layout(source, options, given)
    return _Layout(given, layout.splits, layout.pose) if given else layout


def _found_layout(source: Path, options: ImportOptions, given: list[str] | None) -> _Layout:
    labels_dir = options.extra.get("labels_dir")
    if labels_dir is not None:
        if options.images_dir is None:
            raise FormatError("the option labels_dir needs the images' folder as well (--images-dir; API: images_dir)",
                              field="images_dir")  # fmt: skip
        labels, images = Path(labels_dir), options.images_dir
        return _layout(given or _names_near(labels, labels.parent), images, labels, source)
    if source.is_file():
        return _from_data_yaml(source)
    if not source.is_dir():
        raise FormatError(f"{source} does not exist", file=str(source))
    images = options.images_dir or source / "images"
    if (source / "labels_yolo").is_dir() and images.is_dir():
        labels = source / "labels_yolo"
        return _layout(given or _names_near(labels, source), images, labels, source)
    data_yaml = _data_yaml(source)
    if data_yaml is not None:
        return _from_data_yaml(data_yaml)
    if (source / "labels").is_dir() and images.is_dir():
        labels = source / "labels"
        return _layout(given or _names_near(source, labels), images, labels, source)
    raise not_this_format(
        source, "yolo", f"{source} is not a YOLO dataset: expected data.yaml, or images/ with labels/ or labels_yolo/"
    )


def _layout(names: list[str] | None, images: Path, labels: Path, source: Path) -> _Layout:
    if not names:
        raise FormatError(
            f"no class names found for {labels}: add classes.txt or a YAML file with 'names'", file=str(source)
        )
    if not images.is_dir():
        raise FormatError(f"{images} is not a folder of images", file=str(images))
    return _Layout([str(n) for n in names], _paired_splits(images, labels))


class YoloImporter(FormatImporter):
    """Reads a YOLO dataset; yields one image item per image file, with its label file's boxes and polygons."""

    item_kind = ItemKind.IMAGE

    def __init__(self, source: Path, options: ImportOptions) -> None:
        super().__init__(source, options)
        if options.media == "none":
            raise FormatError(
                "YOLO boxes are relative to the image size, so a YOLO import needs the image files; "
                "import with media 'copy' or 'link'",
                file=str(source),
                field="media",
            )
        self.layout = resolve_layout(source, options)
        self._images: list[tuple[_Split, list[Path]]] | None = None

    def labels(self) -> list[str]:
        """Return the class names, index i naming class id i."""
        return list(self.layout.names)

    def schema_meta(self) -> dict[str, Any]:
        """Return a pose dataset's ``{"yolo": {"kpt_shape": ..., "classes": ...}}`` (see ``_yolo_pose``), else {}."""
        pose = self.layout.pose
        return pose_meta(pose, self.layout.names) if pose is not None else {}

    def total(self) -> int | None:
        """Return the number of image files found."""
        return sum(len(files) for _, files in self._listing())

    def _listing(self) -> list[tuple[_Split, list[Path]]]:
        if self._images is None:
            self._images = [(split, list_images(split.images)) for split in self.layout.splits]
        return self._images

    def __iter__(self) -> Iterator[ItemRecord | Problem]:
        """Yield per image its line problems and then the item; label files with no image come last."""
        return storable(self._records(), self.source)

    def _records(self) -> Iterator[ItemRecord | Problem]:
        names_seen: dict[str, Path] = {}
        for split, files in self._listing():
            expected: set[Path] = set()
            for image in files:
                rel = image.relative_to(split.images)
                label_file = split.labels / rel.with_suffix(".txt")
                expected.add(label_file)
                name = rel.as_posix()
                if name in names_seen:
                    msg = f"image name {name!r} is also used by {names_seen[name]}"
                    yield Problem(msg, file=str(image))
                    continue
                names_seen[name] = image
                yield from self._item(split, image, name, label_file)
            if split.labels.is_dir():
                for orphan in sorted(split.labels.rglob("*.txt")):
                    if orphan not in expected and orphan.name != "classes.txt":
                        yield Problem("label file has no matching image", file=str(orphan))

    def _item(self, split: _Split, image: Path, name: str, label_file: Path) -> Iterator[ItemRecord | Problem]:
        try:
            width, height = image_size(image)
        except FormatError as exc:
            yield Problem(exc.detail, file=str(image))
            return
        annotations: list[AnnotationRecord] = []
        problems: list[Problem] = []
        origin = label_file.relative_to(split.labels.parent).as_posix()
        if label_file.is_file():
            names, file, pose = self.layout.names, str(label_file), self.layout.pose
            try:
                with label_file.open(encoding="utf-8") as fh:
                    for n, line in enumerate(fh, start=1):
                        tokens = line.split()
                        if not tokens:
                            continue
                        try:
                            if pose is None:
                                recs = [parse_line(tokens, names, width, height)]
                            else:
                                recs = parse_pose_line(tokens, names, width, height, pose, n)
                        except LineError as exc:
                            problems.append(Problem(str(exc), file=file, line=n))
                            continue
                        for rec in recs:
                            rec.origin = f"{origin}: line {n}"
                        annotations.extend(recs)
            except UnicodeDecodeError:
                bad = bad_byte_in_file(label_file)
                if bad is None:
                    yield Problem("cannot read the label file: it is not UTF-8", file=file)
                else:
                    msg = f"cannot read the label file: it is not valid UTF-8 ({bad.describe()})"
                    yield Problem(msg, file=file, line=bad.line)
                return
            except OSError as exc:
                yield Problem(f"cannot read the label file: {exc}", file=file)
                return
        yield from problems
        yield ItemRecord(
            kind=ItemKind.IMAGE,
            name=name,
            media_path=absolute(image),
            width=width,
            height=height,
            split=split.name,
            annotations=annotations,
            origin=origin,
        )
