"""CVAT for video 1.1: one XML file per task, ``<track>`` elements holding one shape per frame.

One task is one video item. Every ``<box>`` of a ``<track id label source>`` becomes one ``track_box`` annotation
with its 0-based ``frame``, the track's ``id`` as ``track_id``, the track's label and source, and the attributes
``keyframe``, ``outside`` and ``occluded`` (plus ``z_order``, ``group_id`` of the shape or the track, and every
``<attribute>`` of the shape, or of the track for one the shape lacks). The attributes the tasks' ``<meta>`` declare
are declared in the project, as for CVAT for images (``occluded`` per frame). Nothing is interpolated: each box in
the file is one annotation, so CVAT's closing ``outside="1"`` box after a track's last frame comes in as a box with
``outside`` set, and a hand-written file that lists only keyframes imports only those. Polygons and points in tracks
keep their kind with ``frame`` and ``track_id``; shapes on ``<image id=frame>`` elements are per-frame annotations
outside any track.

Media: the task's frames come from ``images_dir``, or ``images/`` next to the XML (CVAT's export layout), as an
image sequence in name order; or from a video file, ``extra["video"]`` or the only video next to the XML. The
frame count is ``<meta><task><size>`` (checked against the frames) or the media's. The frame rate is
``<meta><task><labelhub><fps>`` (what labelhub's export writes; CVAT has no such field), else the video file's,
else none. The source may also be a
folder of task folders, each with its ``annotations.xml``: one item per task. The item is named after
``<task><name>`` (or ``extra["name"]`` for a single task).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from labelhub.domain.attributes import AttributeSpec
from labelhub.domain.enums import ItemKind
from labelhub.domain.records import ItemRecord, Problem
from labelhub.errors import FormatError
from labelhub.formats._cvat_attributes import input_types, occluded_spec, specs_from_labels
from labelhub.formats._cvat_common import CvatMeta, line_of, sniff_mode, top_level, whole
from labelhub.formats._cvat_shapes import ShapeReader
from labelhub.formats._cvat_video_export import CvatVideoExporter
from labelhub.formats._guards import MAX_INT, storable
from labelhub.formats._video_media import find_video, first_frame_size, frame_folder, probe_checked
from labelhub.formats.base import FormatImporter, ImportOptions
from labelhub.formats.cvat import read_meta

__all__ = ["CvatVideoExporter", "CvatVideoImporter", "detect", "find_tasks"]

_FLAG_TRUE = frozenset({"1", "true", "True"})


def detect(path: Path) -> bool:
    """Return True when ``path`` is a CVAT 1.1 XML file (or a folder with one) holding ``<track>`` elements, or a
    folder of task folders each with one (what labelhub's own export writes: ``<video>/annotations.xml``)."""
    if sniff_mode(path) == "video":
        return True
    if not path.is_dir() or (path / "annotations.xml").is_file():
        return False
    tasks = sorted(p.parent for p in path.glob("*/annotations.xml"))
    return bool(tasks) and all(sniff_mode(t) == "video" for t in tasks[:8])


def find_tasks(source: Path) -> list[Path]:
    """Return the task XML files ``source`` names: the file, ``annotations.xml`` or the only .xml in the folder,
    or else every ``*/annotations.xml`` below it (one task per folder)."""
    if source.is_file():
        if source.suffix.lower() != ".xml":
            raise FormatError(f"{source} is not an .xml file", file=str(source))
        return [source]
    if not source.is_dir():
        raise FormatError(f"{source} does not exist", file=str(source))
    if (source / "annotations.xml").is_file():
        return [source / "annotations.xml"]
    direct = sorted(p for p in source.glob("*.xml") if p.is_file())
    if len(direct) == 1:
        return direct
    nested = sorted(p for p in source.rglob("annotations.xml") if p.is_file())
    if nested:
        return nested
    if direct:
        names = ", ".join(p.name for p in direct)
        raise FormatError(f"several .xml files in {source} ({names}); name the one to import", file=str(source))
    raise FormatError(f"no annotations.xml in {source} or its sub-folders", file=str(source))


def _frame(elem: Element, key: str) -> int | None:
    number = whole(elem.get(key))
    return number if number is not None and number <= MAX_INT else None


def _track_id(raw: str) -> int | None:
    number = whole(raw.removeprefix("-"))
    if number is None or number > MAX_INT:
        return None
    return -number if raw.startswith("-") else number


class CvatVideoImporter(FormatImporter):
    """Reads CVAT for video 1.1 task files; yields one video item per task."""

    item_kind = ItemKind.VIDEO

    def __init__(self, source: Path, options: ImportOptions) -> None:
        super().__init__(source, options)
        self.tasks = find_tasks(source)
        self._metas: dict[Path, CvatMeta] = {}
        self._occluded = False  # whether a shape read so far carried CVAT's occluded flag

    def meta(self, xml_path: Path) -> CvatMeta:
        """Return the ``<meta>`` of one task file (read once)."""
        if xml_path not in self._metas:
            self._metas[xml_path] = read_meta(xml_path)
        return self._metas[xml_path]

    def labels(self) -> list[str]:
        """Return the labels the tasks declare, in order of first mention."""
        return list(dict.fromkeys(name for xml in self.tasks for name in self.meta(xml).names))

    def total(self) -> int | None:
        """Return the number of tasks (items)."""
        return len(self.tasks)

    def schema_meta(self) -> dict[str, Any]:
        """Return ``{"cvat": {"labels": [...]}}``: each label's colour, type and attribute specs, for export."""
        labels: dict[str, dict[str, Any]] = {}
        for xml in self.tasks:
            for label in self.meta(xml).labels:
                labels.setdefault(label["name"], label)
        return {"cvat": {"labels": list(labels.values())}} if labels else {}

    def attribute_specs(self) -> list[AttributeSpec]:
        """Return the attributes the tasks' ``<meta>`` declare, one per label and attribute, tasks in order, and
        once the records were read, ``occluded`` per frame when a shape carried it (see ``occluded_spec``)."""
        specs = [spec for xml in self.tasks for spec in specs_from_labels(self.meta(xml).labels)]
        return specs + occluded_spec(self.options.extra, specs, video=True) if self._occluded else specs

    def __iter__(self) -> Iterator[ItemRecord | Problem]:
        """Yield per task its problems and then its video item."""
        return storable((rec for xml in self.tasks for rec in self._task(xml)), self.source)

    def _name(self, xml: Path, meta: CvatMeta) -> str:
        if len(self.tasks) == 1 and self.options.extra.get("name"):
            return str(self.options.extra["name"])
        if meta.name:
            return meta.name
        return xml.parent.name if xml.name == "annotations.xml" else xml.stem

    def _task(self, xml: Path) -> Iterator[ItemRecord | Problem]:
        meta = self.meta(xml)
        item = ItemRecord(
            kind=ItemKind.VIDEO,
            name=self._name(xml, meta),
            width=meta.width,
            height=meta.height,
            frame_count=meta.size,
            fps=meta.fps,
            origin=xml.name,
        )
        if meta.source:
            item.meta["cvat"] = {"source": meta.source}
        if self.options.media != "none":
            problem = self._media(xml, meta, item)
            if problem is not None:
                yield problem
                return
        reader = ShapeReader(xml, meta, input_types(self.options.extra))
        track_lines: dict[int, int | None] = {}
        for elem in top_level(xml):
            if elem.tag == "track":
                yield from self._track(elem, reader, item, track_lines)
            elif elem.tag == "image":
                yield from self._image(elem, reader, item)
            self._occluded = self._occluded or reader.occluded
        yield item

    def _media(self, xml: Path, meta: CvatMeta, item: ItemRecord) -> Problem | None:
        """Fill the item's frames or video file, frame count and size; return a Problem when there is none."""
        file = str(xml)
        video_opt = self.options.extra.get("video") if len(self.tasks) == 1 else None
        folder = self.options.images_dir if self.options.images_dir is not None and len(self.tasks) == 1 else None
        folder = folder or xml.parent / "images"
        video = Path(video_opt) if video_opt else None
        frames = frame_folder(folder) if video is None else []
        if video is None and not frames:
            video = find_video(xml.parent)
        try:
            if video is not None:
                info = probe_checked(video)  # a link out of the import folders is refused unopened
                item.media_path = video
                item.fps = item.fps or info.fps  # the rate labelhub wrote, else the file's
                item.frame_count = item.frame_count or info.frame_count
                item.width, item.height = item.width or info.width, item.height or info.height
                return None
            if not frames:
                msg = f"no frames for task {item.name!r}: {folder} has no images and no video file is given"
                return Problem(msg + " (pass images_dir, or extra video=FILE)", file=file)
            if meta.size is not None and meta.size != len(frames):
                msg = f"<meta> says the task has {meta.size} frames, but {folder} holds {len(frames)} images"
                return Problem(msg, file=file, field="meta.task.size")
            item.frame_files, item.media_path, item.frame_count = frames, frames[0], len(frames)
            if item.width is None or item.height is None:
                item.width, item.height = first_frame_size(frames)
        except FormatError as exc:
            return Problem(exc.detail, file=exc.context.get("file", file))
        return None

    def _frame_problem(
        self, reader: ShapeReader, elem: Element, frame: int | None, key: str, count: int | None
    ) -> Problem | None:
        if frame is None:
            return reader.problem(f"<{elem.tag}> {key} must be a frame number >= 0, got {elem.get(key)!r}", elem, key)
        if count is not None and frame >= count:
            return reader.problem(f"frame {frame} is beyond the video's {count} frames (0..{count - 1})", elem, key)
        return None

    def _track(
        self, elem: Element, reader: ShapeReader, item: ItemRecord, track_lines: dict[int, int | None]
    ) -> Iterator[Problem]:
        raw_id = elem.get("id", "")
        track_id = _track_id(raw_id)
        if track_id is None:
            yield reader.problem(f"<track> id must be an integer, got {raw_id!r}", elem, "id")
            return
        if track_id in track_lines:
            yield reader.problem(f"duplicate track id {track_id} (first at line {track_lines[track_id]})", elem, "id")
            return
        track_lines[track_id] = line_of(elem)
        label = elem.get("label")
        bad = reader.check_label(label, elem)
        if bad is not None or label is None:
            yield bad or reader.problem("<track> has no label", elem, "label")
            return
        group = elem.get("group_id")
        frames: dict[int, int | None] = {}
        shared: dict[str, Any] = {}
        reader.values(elem, label, shared)  # the track's own <attribute>s hold on every shape of it
        for child in elem:
            if child.tag == "attribute":
                continue
            frame = _frame(child, "frame")
            problem = self._frame_problem(reader, child, frame, "frame", item.frame_count)
            if problem is not None or frame is None:
                yield problem or reader.problem("no frame", child)
                continue
            if frame in frames:
                msg = f"track {track_id} has two shapes on frame {frame} (first at line {frames[frame]})"
                yield reader.problem(msg, child, "frame")
                continue
            frames[frame] = line_of(child)
            rec = reader.shape(child, label, elem.get("source", "manual"))
            if isinstance(rec, Problem):
                yield rec
                continue
            rec.frame, rec.track_id = frame, track_id
            for name, value in shared.items():
                rec.attributes.setdefault(name, value)
            rec.attributes["keyframe"] = child.get("keyframe", "1") in _FLAG_TRUE
            rec.attributes["outside"] = child.get("outside", "0") in _FLAG_TRUE
            group_id = whole(group)
            if group_id and "group_id" not in rec.attributes:
                rec.attributes["group_id"] = group_id
            item.annotations.append(rec)

    def _image(self, elem: Element, reader: ShapeReader, item: ItemRecord) -> Iterator[Problem]:
        frame = _frame(elem, "id")
        problem = self._frame_problem(reader, elem, frame, "id", item.frame_count)
        if problem is not None:
            yield problem
            return
        for child in elem:
            rec = reader.shape(child)
            if isinstance(rec, Problem):
                yield rec
                continue
            rec.frame = frame
            item.annotations.append(rec)
