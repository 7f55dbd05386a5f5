"""MOT challenge sequences: ``<seq>/img1/000001.jpg``, ``gt/gt.txt``, optional ``det/det.txt`` and ``seqinfo.ini``.

One sequence folder is one video item (frames from ``imDir``, default ``img1/``, in name order; the frame
count, rate and size from ``seqinfo.ini`` or the frames). The source may be a sequence folder, its ``gt.txt``,
or a folder of sequences (one level, or two with split folders such as ``train/`` and ``test/``).

``gt.txt`` lines are ``frame,id,x,y,w,h,conf,class,visibility`` (MOT16/17/20; MOT15 lines carry world
coordinates instead of class and visibility, and 6 or 7 values are read too). Frames count from 1 and
become 0-based; ``x, y, w, h`` are taken as pixel coordinates as they are (no 1-based shift, as CVAT and
Datumaro read them) and become ``[x, y, x + w, y + h]``. Each positive id is a track of ``track_box``
annotations with ``keyframe`` True and ``outside`` False, and the attributes ``class``, ``visibility`` and
``ignore`` (MOT17's ``conf = 0``: the row is kept, flagged). A confidence other than 0 or 1 (tracker output)
is kept as the score. Boxes reaching past the frame are clipped to it, as labelhub keeps boxes inside the
image; the box as written is kept in ``attributes["unclipped"]`` and an export writes it back
(``extra["clip"] = False`` keeps boxes as they are, which the import then refuses if they leave the frame).

``det/det.txt`` lines (``frame,-1,x,y,w,h,conf,...``) become model proposals: ``box`` with ``frame``,
``source=model``, ``state=proposed``, ``score=conf`` (``extra["detections"] = False`` skips them).

Labels: ``extra["label"]`` names every box; else ``gt/labels.txt`` (one name per line, class ``i`` is line
``i``, as CVAT and Datumaro write it); else MOT17/MOT20's classes (1 pedestrian ... 12 reflection, 13 crowd).
A row without a class (MOT15, detections) is a pedestrian; another unknown class ``n`` is ``class_n``.
"""

from __future__ import annotations

import configparser
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind, Source
from labelhub.domain.records import AnnotationRecord, ItemRecord, Problem
from labelhub.errors import FormatError
from labelhub.formats._guards import MAX_INT, is_dir, read_names, storable
from labelhub.formats._mot_export import MOT_CLASSES, MotExporter
from labelhub.formats._video_media import first_frame_size, frame_folder
from labelhub.formats.base import FormatImporter, ImportOptions

__all__ = ["MOT_CLASSES", "MotExporter", "MotImporter", "detect", "find_sequences", "read_seqinfo"]

_DEFAULT_LABEL = MOT_CLASSES[0]
_SPLITS = ("train", "test", "val", "valid", "validation")
_COLUMNS = ("frame", "id", "x", "y", "w", "h", "conf", "class", "visibility")


@dataclass(frozen=True, slots=True)
class Sequence:
    """One sequence folder and the item name and split it gets."""

    name: str
    folder: Path
    split: str | None = None


def _is_sequence(folder: Path) -> bool:
    return (folder / "gt" / "gt.txt").is_file() or (folder / "det" / "det.txt").is_file()


def _subfolders(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def find_sequences(source: Path) -> list[Sequence]:
    """Return the sequences ``source`` names: itself, its sub-folders, or those of its split folders."""
    if source.is_file():
        if source.name not in ("gt.txt", "det.txt"):
            raise FormatError(f"{source} is not a MOT gt.txt or det.txt file", file=str(source))
        folder = source.parent.parent
        return [Sequence(folder.name, folder)]
    if not source.is_dir():
        raise FormatError(f"{source} does not exist", file=str(source))
    if _is_sequence(source):
        return [Sequence(source.name, source)]
    found = [Sequence(sub.name, sub) for sub in _subfolders(source) if _is_sequence(sub)]
    for sub in _subfolders(source):
        if not _is_sequence(sub):
            split = sub.name if sub.name.lower() in _SPLITS else None
            found += [Sequence(f"{sub.name}/{s.name}", s, split) for s in _subfolders(sub) if _is_sequence(s)]
    if not found:
        msg = f"no MOT sequence in {source}: expected gt/gt.txt or det/det.txt in it or in its sub-folders"
        raise FormatError(msg, file=str(source))
    return found


def detect(path: Path) -> bool:
    """Return True when ``path`` is a MOT sequence, its gt.txt, or a folder of sequences."""
    try:
        return bool(find_sequences(path))
    except (FormatError, OSError):
        return False


def read_seqinfo(path: Path) -> dict[str, str]:
    """Return the ``[Sequence]`` keys of a ``seqinfo.ini`` (lower-cased), or raise FormatError naming the line."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(path.read_text(encoding="utf-8"), source=str(path))
    except configparser.MissingSectionHeaderError as exc:
        raise FormatError(
            f"{path.name} must start with a [Sequence] section", file=str(path), line=exc.lineno
        ) from None
    except configparser.ParsingError as exc:
        line = exc.errors[0][0] if exc.errors else None
        raise FormatError(f"{path.name} has a line that is not 'key=value'", file=str(path), line=line) from None
    except (configparser.Error, OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"cannot read {path.name}: {exc}", file=str(path)) from None
    if not parser.has_section("Sequence"):
        raise FormatError(f"{path.name} has no [Sequence] section", file=str(path), field="Sequence")
    return dict(parser.items("Sequence"))


def _positive(info: dict[str, str], key: str, path: Path) -> int | None:
    raw = info.get(key.lower())
    if raw is None or not raw.strip():
        return None
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= MAX_INT and (key == "frameRate" or value.is_integer())):
        msg = f"{path.name}: {key} must be a positive number up to {MAX_INT}, got {raw[:40]!r}"
        raise FormatError(msg, file=str(path), field=key)
    return int(value) if value.is_integer() else None


@dataclass(slots=True)
class _Track:
    label: str
    line: int
    frames: dict[int, int] = field(default_factory=dict)  # frame -> line


class MotImporter(FormatImporter):
    """Reads MOT challenge sequences; yields one video item per sequence folder."""

    item_kind = ItemKind.VIDEO

    def __init__(self, source: Path, options: ImportOptions) -> None:
        super().__init__(source, options)
        self.sequences = find_sequences(source)
        self._labels: list[str] | None = None

    def total(self) -> int | None:
        """Return the number of sequences."""
        return len(self.sequences)

    def labels(self) -> list[str]:
        """Return the labels the sequences use: ``extra["label"]``, their labels.txt, or their MOT classes."""
        if self._labels is None:
            found: dict[str, None] = {}
            for seq in self.sequences:
                names = self._names_file(seq)
                gt = seq.folder / "gt" / "gt.txt"
                classes: set[int | None] = set()
                if gt.is_file() and "label" not in self.options.extra:
                    for _n, fields in self._rows(gt):
                        classes.add(_class_of(fields))
                if (seq.folder / "det" / "det.txt").is_file():
                    classes.add(None)
                for cls in sorted(classes, key=lambda c: -1 if c is None else c):
                    label = self._label(cls, names)
                    if label is not None:
                        found[label] = None
            self._labels = list(found)
        return list(self._labels)

    def _names_file(self, seq: Sequence) -> list[str] | None:
        path = seq.folder / "gt" / "labels.txt"
        return read_names(path) if path.is_file() else None

    def _label(self, cls: int | None, names: list[str] | None) -> str | None:
        fixed = self.options.extra.get("label")
        if fixed:
            return str(fixed)
        if cls is None or cls == -1:
            return names[0] if names else _DEFAULT_LABEL
        if names is not None:
            return names[cls - 1] if 1 <= cls <= len(names) else None
        return MOT_CLASSES[cls - 1] if 1 <= cls <= len(MOT_CLASSES) else f"class_{cls}"

    def _rows(self, path: Path) -> Iterator[tuple[int, list[str]]]:
        """Yield ``(line number, fields)`` of each non-empty line, reading the file line by line."""
        try:
            with path.open(encoding="utf-8") as fh:
                for n, line in enumerate(fh, start=1):
                    text = line.strip()
                    if text and not text.startswith("#"):
                        yield n, [f.strip() for f in (text.split(",") if "," in text else text.split())]
        except (OSError, UnicodeDecodeError) as exc:
            raise FormatError(f"cannot read {path.name}: {exc}", file=str(path)) from None

    def __iter__(self) -> Iterator[ItemRecord | Problem]:
        """Yield per sequence its problems and then its video item."""
        return storable((rec for seq in self.sequences for rec in self._sequence(seq)), self.source)

    def _sequence(self, seq: Sequence) -> Iterator[ItemRecord | Problem]:
        ini = seq.folder / "seqinfo.ini"
        try:
            info = read_seqinfo(ini) if ini.is_file() else {}
            count = _positive(info, "seqLength", ini)
            width, height = _positive(info, "imWidth", ini), _positive(info, "imHeight", ini)
            fps_raw = info.get("framerate")
            fps = float(fps_raw) if fps_raw and _positive(info, "frameRate", ini) is not None else None
        except FormatError as exc:
            yield Problem(exc.detail, file=str(ini), line=exc.context.get("line"), field=exc.context.get("field"))
            return
        item = ItemRecord(kind=ItemKind.VIDEO, name=seq.name, split=seq.split, fps=fps, origin=str(seq.folder))
        im_dir = info.get("imdir", "img1")
        if self.options.media != "none":
            folder = seq.folder / im_dir
            if "/" in im_dir or "\\" in im_dir or im_dir in ("", ".", ".."):
                yield Problem(f"imDir must be a folder name, got {im_dir!r}", file=str(ini), field="imDir")
                return
            frames = frame_folder(folder) if is_dir(folder) else []
            if not frames:
                yield Problem(f"no frames in {folder}", file=str(folder))
                return
            if count is not None and count != len(frames):
                msg = f"seqLength is {count} but {folder} holds {len(frames)} images"
                yield Problem(msg, file=str(ini), field="seqLength")
                return
            item.frame_files, item.media_path, count = frames, frames[0], len(frames)
            if width is None or height is None:
                try:
                    width, height = first_frame_size(frames)
                except FormatError as exc:
                    yield Problem(exc.detail, file=str(frames[0]))
                    return
        item.frame_count, item.width, item.height = count, width, height
        names = self._names_file(seq)
        gt = seq.folder / "gt" / "gt.txt"
        if gt.is_file():
            yield from self._read(gt, item, names, gt=True)
        det = seq.folder / "det" / "det.txt"
        if det.is_file() and self.options.extra.get("detections", True) not in (False, "false", "0", "no"):
            yield from self._read(det, item, names, gt=False)
        yield item

    def _read(self, path: Path, item: ItemRecord, names: list[str] | None, *, gt: bool) -> Iterator[Problem]:
        tracks: dict[int, _Track] = {}
        clip = self.options.extra.get("clip", True) not in (False, "false", "0", "no")
        for n, fields in self._rows(path):
            row = self._row(path, n, fields, item.frame_count)
            if isinstance(row, Problem):
                yield row
                continue
            frame, tid, box, conf, cls, vis = row
            label = self._label(cls, names)
            if label is None:
                msg = f"class {cls} is not one of the {len(names or [])} names of labels.txt"
                yield Problem(msg, file=str(path), line=n, field="class")
                continue
            attributes: dict[str, Any] = {}
            if item.width and item.height and clip:
                x1, y1 = max(box[0], 0.0), max(box[1], 0.0)
                x2, y2 = min(box[2], float(item.width)), min(box[3], float(item.height))
                if x2 <= x1 or y2 <= y1:
                    msg = f"the box {fields[2:6]} lies outside the {item.width}x{item.height} frame"
                    yield Problem(msg, file=str(path), line=n, field="x")
                    continue
                if [x1, y1, x2, y2] != box:
                    attributes["unclipped"] = box
                    box = [x1, y1, x2, y2]
            rec = AnnotationRecord(
                AnnotationKind.BOX, label, {"bbox": box}, frame=frame, origin=f"{path.name}: line {n}"
            )
            if not gt:
                rec.source, rec.state, rec.score, rec.attributes = (
                    Source.MODEL,
                    AnnotationState.PROPOSED,
                    conf,
                    attributes,
                )
                item.annotations.append(rec)
                continue
            rec.attributes = {"keyframe": True, "outside": False, "ignore": conf == 0, **attributes}
            if cls is not None:
                rec.attributes["class"] = cls
            if vis is not None:
                rec.attributes["visibility"] = vis
            if conf not in (0.0, 1.0):
                rec.score = conf
            if tid > 0:
                problem = self._join_track(tracks, tid, frame, label, path, n)
                if problem is not None:
                    yield problem
                    continue
                rec.kind, rec.track_id = AnnotationKind.TRACK_BOX, tid
            item.annotations.append(rec)

    def _join_track(
        self, tracks: dict[int, _Track], tid: int, frame: int, label: str, path: Path, n: int
    ) -> Problem | None:
        track = tracks.setdefault(tid, _Track(label, n))
        if frame in track.frames:
            msg = f"id {tid} has two boxes on frame {frame + 1} (first at line {track.frames[frame]})"
            return Problem(msg, file=str(path), line=n, field="frame")
        if track.label != label:
            msg = f"id {tid} is {track.label!r} from line {track.line} but {label!r} here; a track has one label"
            return Problem(msg, file=str(path), line=n, field="class")
        track.frames[frame] = n
        return None

    def _row(
        self, path: Path, n: int, fields: list[str], count: int | None
    ) -> tuple[int, int, list[float], float, int | None, float | None] | Problem:
        """Return ``(0-based frame, id, [x1, y1, x2, y2], conf, class, visibility)`` of one line."""
        file = str(path)
        if len(fields) < 6:
            return Problem(f"expected at least 6 values 'frame,id,x,y,w,h', got {len(fields)}", file=file, line=n)
        values: list[float] = []
        for name, raw in zip(_COLUMNS, fields, strict=False):
            try:
                value = float(raw)
            except ValueError:
                return Problem(f"{name} is not a number: {raw!r}", file=file, line=n, field=name)
            if not math.isfinite(value):
                return Problem(f"{name} is not a finite number: {raw!r}", file=file, line=n, field=name)
            values.append(value)
        frame, tid, x, y, w, h = values[:6]
        if not frame.is_integer() or not 1 <= frame <= MAX_INT:
            msg = f"frame must be a whole number from 1 to {MAX_INT}, got {fields[0][:40]!r}"
            return Problem(msg, file=file, line=n, field="frame")
        if count is not None and frame > count:
            msg = f"frame {int(frame)} is beyond the sequence's {count} frames"
            return Problem(msg, file=file, line=n, field="frame")
        if not tid.is_integer() or abs(tid) > MAX_INT:
            msg = f"id must be a whole number up to {MAX_INT}, got {fields[1][:40]!r}"
            return Problem(msg, file=file, line=n, field="id")
        if w <= 0 or h <= 0:
            return Problem(
                f"width and height must be > 0, got {fields[4]} and {fields[5]}", file=file, line=n, field="w"
            )
        if len(fields) == 9 and (not values[7].is_integer() or abs(values[7]) > MAX_INT):
            msg = f"class must be a whole number up to {MAX_INT}, got {fields[7][:40]!r}"
            return Problem(msg, file=file, line=n, field="class")
        conf = values[6] if len(values) > 6 else 1.0
        # MOT15 puts world coordinates (-1 when unknown) where MOT16+ put class and visibility.
        cls = _class_of(fields) if len(fields) == 9 else None
        vis = values[8] if len(fields) == 9 else None
        return int(frame) - 1, int(tid), [x, y, x + w, y + h], conf, cls, vis


def _class_of(fields: list[str]) -> int | None:
    """Return the class column of a MOT16+ line (9 values), or None when the line has none."""
    if len(fields) != 9:
        return None
    try:
        value = float(fields[7])
    except ValueError:
        return None
    return int(value) if math.isfinite(value) and value.is_integer() and abs(value) <= MAX_INT else None
