"""The CVAT for video 1.1 exporter: one task XML per video item, tracks with their keyframe and outside flags.

Each track (annotations sharing a ``track_id``) becomes a ``<track id label source>`` with one shape per
annotation, in frame order, ``keyframe`` and ``outside`` as the attributes say. CVAT shows a track's last shape
on every later frame, and interpolates across gaps, so where a visible shape is not followed by one on the
next frame the exporter adds CVAT's closing ``outside="1"`` copy there, as CVAT's own exports do (not past the
last frame). Per-frame shapes outside tracks go on ``<image id=frame>`` elements, which CVAT's loader reads
in video tasks too. Annotations without a frame or a label, and masks and spans, are left out (the tally
counts them by kind).

CVAT for video 1.1 has no frame rate field. The item's fps goes into ``<meta><task><labelhub><fps>``, an
element of labelhub's own that CVAT's loader and Datumaro's CVAT reader pass over (they read only the task
elements they know), and the importer reads it back.

``dest`` ending in ``.xml`` receives a single video; otherwise ``dest`` is a folder with
``<item name>/annotations.xml`` per video, and with ``copy_media`` its frames as ``images/frame_000000.jpg``
(CVAT's layout) or its video file; a video whose media is not stored fails the export, naming it.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element, SubElement

from labelhub.domain.enums import AnnotationKind, ItemKind, Source
from labelhub.domain.records import AnnotationRecord, ItemRecord
from labelhub.errors import FormatError
from labelhub.formats._common import AtomicDir, AtomicFile, copy_media, is_safe_relative
from labelhub.formats._cvat_common import LABELHUB_ELEMENT
from labelhub.formats._cvat_export import (
    XML_HEAD,
    XML_TAIL,
    LabelCatalog,
    dumped_at,
    meta_element,
    serialise,
    shape_element,
)
from labelhub.formats._export_base import FileOrFolderExporter, frame_total
from labelhub.formats._media_names import file_suffix
from labelhub.formats.base import ExportItem, ExportOptions

_TRACK_KINDS = frozenset(
    {AnnotationKind.TRACK_BOX, AnnotationKind.BOX, AnnotationKind.POLYGON, AnnotationKind.KEYPOINTS}
)


def _flag(value: object, default: bool) -> str:
    return "1" if (default if value is None else bool(value)) else "0"


class CvatVideoExporter(FileOrFolderExporter):
    """Writes CVAT for video 1.1 task files (see the module docstring for the layout)."""

    def __init__(self, dest: Path, labels: list[str], options: ExportOptions) -> None:
        super().__init__(dest, labels, options)
        self._count = 0
        self._names: set[str] = set()

    def write(self, item: ExportItem) -> None:
        """Write one video's task XML, and its frames or video file with ``copy_media``."""
        out = self._opened("write")
        rec = item.record
        if rec.kind is not ItemKind.VIDEO:
            raise FormatError(f"item {rec.name!r} is a {rec.kind.value}; export images as cvat_images", item=rec.name)
        if isinstance(out, AtomicFile):
            if self._count:
                raise FormatError(
                    f"{self.dest.name} can hold one video; export to a folder to write {rec.name!r} too", item=rec.name
                )
            self._write_task(out.handle, rec, item)
        else:
            if not is_safe_relative(rec.name) or rec.name in self._names:
                raise FormatError(f"item name {rec.name!r} cannot be used as a folder name here", item=rec.name)
            self._names.add(rec.name)
            with out.path(f"{rec.name}/annotations.xml").open("wb") as fh:
                self._write_task(fh, rec, item)
            if self.wants_media(item):
                self._copy_media(out, rec.name, item)
        self._count += 1

    def _write_task(self, out: IO[bytes], rec: ItemRecord, item: ExportItem) -> None:
        write = out.write
        size = frame_total(item)
        catalog = LabelCatalog.build(self.labels, self.options)
        tracks: dict[int, list[AnnotationRecord]] = {}
        frames: dict[int, list[AnnotationRecord]] = {}
        for ann in rec.annotations:
            if ann.frame is None or ann.label is None:
                self.tally.skip(ann)
            elif ann.track_id is not None and ann.kind in _TRACK_KINDS:
                tracks.setdefault(ann.track_id, []).append(ann)
            else:
                frames.setdefault(ann.frame, []).append(ann)
        body = [serialise(self._track(tid, sorted(anns, key=lambda a: a.frame or 0), catalog, size))
                for tid, anns in sorted(tracks.items())]  # fmt: skip
        for frame, anns in sorted(frames.items()):
            image = Element("image", id=str(frame), name=f"frame_{frame:06d}")
            for ann in anns:
                elem = shape_element(ann, catalog, ann.label)
                if elem is None:
                    self.tally.skip(ann)
                    continue
                image.append(elem)
                self.tally.annotations += 1
            body.append(serialise(image))
        task = {"name": rec.name, "size": str(size), "mode": "interpolation", "overlap": "0", "bugtracker": "",
                "flipped": "False", "start_frame": "0", "stop_frame": str(max(size - 1, 0))}  # fmt: skip
        source = rec.meta.get("cvat", {}).get("source") if isinstance(rec.meta.get("cvat"), dict) else None
        if isinstance(source, str):
            task["source"] = source
        dims = (rec.width, rec.height) if rec.width and rec.height else None
        meta = meta_element(catalog, task, dims, dumped=dumped_at(self.options))
        if rec.fps is not None:
            node = meta.find("task")
            assert node is not None  # meta_element always writes <task>
            SubElement(SubElement(node, LABELHUB_ELEMENT), "fps").text = repr(float(rec.fps))
        write(XML_HEAD + serialise(meta))
        for chunk in body:
            write(chunk)
        write(XML_TAIL)

    def _track(self, track_id: int, anns: list[AnnotationRecord], catalog: LabelCatalog, size: int) -> Element:
        first = anns[0]
        track = Element("track", id=str(track_id), label=first.label or "")
        track.set("source", "auto" if first.source is Source.MODEL else "manual")
        for i, ann in enumerate(anns):
            frame = ann.frame or 0
            outside = bool(ann.attributes.get("outside"))
            flags = {"frame": str(frame), "outside": _flag(outside, False),
                     "keyframe": _flag(ann.attributes.get("keyframe"), True)}  # fmt: skip
            elem = shape_element(ann, catalog, None, **flags)
            if elem is None:
                self.tally.skip(ann)
                continue
            track.append(elem)
            self.tally.annotations += 1
            following = anns[i + 1].frame if i + 1 < len(anns) else None
            if not outside and following != frame + 1 and frame + 1 < size:
                # CVAT would carry this shape on (or interpolate across the gap): close it on the next frame.
                closing = shape_element(ann, catalog, None, frame=str(frame + 1), outside="1", keyframe="1")
                if closing is not None:
                    track.append(closing)
        return track

    def _copy_media(self, folder: AtomicDir, name: str, item: ExportItem) -> None:
        if item.frame_files:
            suffix = file_suffix(item.frame_files[0], ".png")
            for i, frame in enumerate(item.frame_files):
                copy_media(frame, folder.path(f"{name}/images/frame_{i:06d}{suffix}"))
        elif item.media_file is not None:
            copy_media(item.media_file, folder.path(f"{name}/video{file_suffix(item.media_file, '.mp4')}"))

    def _complete(self, out: AtomicFile | AtomicDir) -> None:
        """Give a file that received no video at all its labels, so it is still a valid task file."""
        if isinstance(out, AtomicFile) and not self._count:
            task = {"name": str(self.options.extra.get("project_name") or self.dest.stem), "size": "0",
                    "mode": "interpolation"}  # fmt: skip
            catalog = LabelCatalog.build(self.labels, self.options)
            meta = meta_element(catalog, task, dumped=dumped_at(self.options))
            out.handle.write(XML_HEAD + serialise(meta) + XML_TAIL)
