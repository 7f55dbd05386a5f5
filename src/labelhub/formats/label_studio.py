"""Label Studio JSON (a Label Studio export, or labelhub's): a list of tasks with their annotations and predictions.

A task is ``{"id", "data": {"image" | "video" | "text": ...}, "annotations": [{"result": [...]}], "predictions":
[{"result": [...], "score", "model_version"}]}``. Rectangles, polygons, choices, text spans and video tracks are
read (see :mod:`labelhub.formats._label_studio_results` for the geometry); annotations become accepted human
annotations, predictions proposed model annotations. A region's attributes (results sharing its ``id``, see
:mod:`labelhub.formats._label_studio_attributes`) become its records' attributes. The file is streamed with ijson,
so an export of hundreds of MB is never held in memory; it is read twice, once for the labels (Label Studio files do
not list the labeling config's classes) and once for the items.

Media URLs (``/data/upload/<project>/<hash>-<name>``, ``/data/local-files/?d=<path>``, ``http(s)://...``, or
a relative path) are looked up by file name in ``images_dir`` (default: the JSON file's folder); a path that
is absolute or climbs out with ``..`` is never read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from labelhub.domain.enums import AnnotationState, ItemKind, Source
from labelhub.domain.records import AnnotationRecord, ItemRecord, Problem
from labelhub.errors import FormatError
from labelhub.formats._attributes import declared_bools
from labelhub.formats._common import MediaResolver, absolute, image_size, is_safe_relative, media_refusal
from labelhub.formats._guards import MAX_INT, bad_label, find_media, storable
from labelhub.formats._label_studio_attributes import attribute_positions, attribute_value
from labelhub.formats._label_studio_export import TASKS_FILE, LabelStudioExporter
from labelhub.formats._label_studio_json import CHUNK, first_byte, iter_tasks
from labelhub.formats._label_studio_results import KNOWN_TYPES, LABEL_KEYS, BadResult, Context, convert
from labelhub.formats._mismatch import not_this_format
from labelhub.formats.base import FormatImporter, ImportOptions

__all__ = ["LabelStudioExporter", "LabelStudioImporter", "detect", "media_candidates"]

_DATA_KEYS = {"image": ItemKind.IMAGE, "video": ItemKind.VIDEO, "text": ItemKind.TEXT}
_VIDEO_SUFFIXES = frozenset({".mp4", ".avi", ".mov", ".webm", ".mkv", ".m4v", ".mpg", ".mpeg"})
_IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"})
# Label Studio stores an upload as "<8 hex digits>-<original name>".
_UPLOAD_NAME = re.compile(r"^[0-9a-f]{8}-(.+)$")


def tasks_file(path: Path) -> Path:
    """Return the task list to read for ``path``: itself, or the ``tasks.json`` in a folder (labelhub's export with
    its media, unzipped)."""
    return path / TASKS_FILE if path.is_dir() and (path / TASKS_FILE).is_file() else path


def detect(path: Path) -> bool:
    """Return True for a .json file holding a list of tasks with ``data`` and annotations or predictions, or a
    folder whose ``tasks.json`` is one."""
    path = tasks_file(path)
    if not path.is_file() or path.suffix.lower() != ".json":
        return False
    try:
        if first_byte(path) != b"[":
            return False
        with path.open("rb") as fh:
            head = fh.read(CHUNK * 16)
    except (OSError, FormatError):
        return False
    return b'"data"' in head and (b'"annotations"' in head or b'"predictions"' in head)


def media_candidates(url: str) -> list[str]:
    """Return the relative paths, best first, under which the media file of ``url`` may lie in images_dir.

    Raises ValueError saying why the url cannot name a file there (absolute, ``..``, inline data).
    """
    url = url.strip()
    if url.startswith("data:"):
        raise ValueError("inline data: URLs are not read")
    if url.startswith("/data/upload/"):
        rel = unquote(urlsplit(url).path[len("/data/upload/") :])
        name = PurePosixPath(rel).name
        hashed = _UPLOAD_NAME.match(name)
        candidates = [hashed.group(1), name, rel] if hashed else [name, rel]
    elif url.startswith("/data/local-files/"):
        paths = parse_qs(urlsplit(url).query).get("d")
        if not paths or not paths[0]:
            raise ValueError("a /data/local-files/ url needs ?d=<path>")
        rel = paths[0].lstrip("/")
        candidates = [rel, PurePosixPath(rel).name]
    elif "://" in url:
        rel = unquote(urlsplit(url).path).lstrip("/")
        candidates = [PurePosixPath(rel).name] if rel else []
    elif url.startswith("/"):
        raise ValueError("absolute paths are not read; give paths relative to images_dir")
    else:
        rel = unquote(url.split("?", 1)[0])
        candidates = [rel, PurePosixPath(rel).name]
    if ".." in rel.split("/") or "\\" in rel or "\x00" in rel:
        raise ValueError("the path climbs out with '..' or holds a backslash")
    found = [c for c in dict.fromkeys(candidates) if c and is_safe_relative(c)]
    if not found:
        raise ValueError("the url names no file")
    return found


def video_info(path: Path) -> tuple[int, int, int | None, float | None]:
    """Return ``(width, height, frame_count, fps)`` of a video file read with OpenCV, or raise FormatError."""
    import cv2  # imported here: only video tasks need OpenCV

    refused = media_refusal(path)  # a link out of the import folders is refused before OpenCV opens it
    if refused is not None:
        raise FormatError(refused, file=str(path))
    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise FormatError(f"cannot open the video {path}", file=str(path))
        w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        frames, fps = int(cap.get(cv2.CAP_PROP_FRAME_COUNT)), float(cap.get(cv2.CAP_PROP_FPS))
    finally:
        cap.release()
    if w <= 0 or h <= 0:
        raise FormatError(f"cannot read the frame size of the video {path}", file=str(path))
    return w, h, (frames if frames > 0 else None), (fps if fps > 0 else None)


def _kind_of(value: str) -> ItemKind:
    if value.startswith("/data/local-files/"):
        path = parse_qs(urlsplit(value).query).get("d", [""])[0]
    else:
        path = urlsplit(value).path if "://" in value else value.split("?", 1)[0]
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in _VIDEO_SUFFIXES:
        return ItemKind.VIDEO
    return ItemKind.IMAGE if suffix in _IMAGE_SUFFIXES else ItemKind.TEXT


def _positive(v: Any) -> int | None:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return v if type(v) is int and 0 < v <= MAX_INT else None


class LabelStudioImporter(FormatImporter):
    """Reads a Label Studio JSON export; yields one item per task with its annotations and predictions.

    ``extra["data_key"]`` names the ``data`` field holding the media url or text when it is not ``image``,
    ``video`` or ``text`` (the kind then follows the file suffix: video, image, else text).
    """

    item_kind = ItemKind.IMAGE

    def __init__(self, source: Path, options: ImportOptions) -> None:
        if not tasks_file(source).is_file():
            raise not_this_format(
                source, "label_studio", f"{source} is not a Label Studio JSON file, nor a folder holding tasks.json"
            )
        super().__init__(tasks_file(source), options)
        source = self.source
        self._file = str(source)
        self._fname = source.name
        self._labels: list[str] | None = None
        self._count = 0
        data_key = options.extra.get("data_key")
        self._data_key = str(data_key) if data_key else None
        self._bools = declared_bools(options.extra)  # a region's "true"/"false" choice of these is a bool

    def labels(self) -> list[str]:
        """Return every label the results use, in order of first appearance (one streaming pass)."""
        if self._labels is None:
            seen: dict[str, None] = {}
            count = 0
            for task in iter_tasks(self.source):
                count += 1
                for result in _all_results(task, regions_only=True):
                    value, rtype = result.get("value"), result.get("type")
                    if isinstance(rtype, str) and rtype in KNOWN_TYPES and isinstance(value, dict):
                        for key in LABEL_KEYS:
                            names = value.get(key)
                            if isinstance(names, list):
                                # A name that cannot be a class is left out here; its result is a Problem later.
                                seen.update((n, None) for n in names if isinstance(n, str) and bad_label(n) is None)
            self._labels, self._count = list(seen), count
        return list(self._labels)

    def total(self) -> int | None:
        """Return the number of tasks once :meth:`labels` has read the file, else None."""
        return self._count if self._labels is not None else None

    def __iter__(self) -> Iterator[ItemRecord | Problem]:
        """Yield per task its problems, then its item (unless the task itself cannot be read)."""
        return storable(self._records(), self.source)

    def _records(self) -> Iterator[ItemRecord | Problem]:
        folder = self.source.parent
        resolver = MediaResolver(self.options.images_dir, [folder, folder / "images"])
        names: set[str] = set()
        ids: dict[Any, int] = {}
        for i, task in enumerate(iter_tasks(self.source)):
            yield from self._task(i, task, resolver, names, ids)

    def _problem(self, message: str, field: str) -> Problem:
        return Problem(message, file=self._file, field=field)

    def _task(
        self, i: int, task: Any, resolver: MediaResolver, names: set[str], ids: dict[Any, int]
    ) -> Iterator[ItemRecord | Problem]:
        where = f"tasks[{i}]"
        if not isinstance(task, dict):
            yield self._problem("a task must be an object", where)
            return
        tid = task.get("id")
        tid = tid if isinstance(tid, int | str) and not isinstance(tid, bool) else None
        who = f"task {tid}" if tid is not None else where
        if tid is not None:
            if tid in ids:
                yield self._problem(f"duplicate task id {tid!r} (first at tasks[{ids[tid]}])", f"{where}.id")
                return
            ids[tid] = i
        data = task.get("data")
        if not isinstance(data, dict):
            msg = f"{who} has no 'data' object (JSON-MIN and CSV exports are not read; export 'JSON')"
            yield self._problem(msg, f"{where}.data")
            return
        key = self._data_key or next((k for k in _DATA_KEYS if k in data), None)
        if key is None and len(data) == 1:
            key = next(iter(data))
        value = data.get(key) if key is not None else None
        if key is None or not isinstance(value, str) or not value.strip():
            msg = f"{who}: data has no image, video or text (keys: {sorted(data)}); name the field with data_key"
            yield self._problem(msg, f"{where}.data" + (f".{key}" if key else ""))
            return
        kind = _DATA_KEYS.get(key) or _kind_of(value)
        item = ItemRecord(kind=kind, name="", external_id=None if tid is None else str(tid))
        item.origin = f"{self._fname}: {where}"
        rest = {k: v for k, v in data.items() if k != key}
        if rest:
            item.meta["label_studio"] = {"data": rest}
        results = list(_all_results(task))
        if kind is ItemKind.TEXT:
            item.text, item.name = value, str(tid) if tid is not None else f"{self._fname}:{i}"
        else:
            problem = self._media(item, value, who, f"{where}.data.{key}", resolver, names, results)
            if problem is not None:
                yield problem
                return
        names.add(item.name)
        counter = [1]
        for key in ("annotations", "predictions"):
            entries = task.get(key)
            if entries is None:
                continue
            if not isinstance(entries, list):
                yield self._problem(f"{who}: '{key}' must be a list", f"{where}.{key}")
                continue
            for j, entry in enumerate(entries):
                at = f"{where}.{key}[{j}]"
                if not isinstance(entry, dict):
                    yield self._problem(f"{who}: each of '{key}' must be an object", at)
                elif not entry.get("was_cancelled"):  # a cancelled annotation: the annotator skipped the task
                    ctx = self._context(item, at, entry, counter)
                    if key == "predictions":
                        yield from self._prediction(entry, ctx, who)
                    yield from self._results(item, entry, ctx, who)
        yield item

    def _prediction(self, pred: dict[str, Any], ctx: Context, who: str) -> Iterator[Problem]:
        """Make ``ctx`` a model proposal's, with the prediction's model version and score."""
        ctx.source, ctx.state = Source.MODEL, AnnotationState.PROPOSED
        mv = pred.get("model_version")
        ctx.model_version = str(mv) if isinstance(mv, str | int) and mv != "" else None
        score = pred.get("score")
        if isinstance(score, int | float) and not isinstance(score, bool) and math.isfinite(score):
            ctx.score = float(score)
        elif score is not None:
            msg = f"{who}: a prediction's score must be a finite number, got {score!r}"
            yield self._problem(msg, f"{ctx.origin}.score")

    def _context(self, item: ItemRecord, where: str, entry: dict[str, Any], counter: list[int]) -> Context:
        attrs: dict[str, Any] = {}
        if isinstance(entry.get("id"), int | str):
            attrs["ls_annotation_id" if ".annotations[" in where else "ls_prediction_id"] = entry["id"]
        by = entry.get("completed_by")
        if isinstance(by, dict):
            by = by.get("email") or by.get("id")
        if isinstance(by, int | str) and not isinstance(by, bool):
            attrs["completed_by"] = by
        return Context(
            origin=where,
            width=item.width,
            height=item.height,
            text=item.text,
            frame_count=item.frame_count,
            attributes=attrs,
            next_track=counter,
        )

    def _results(self, item: ItemRecord, entry: dict[str, Any], ctx: Context, who: str) -> Iterator[Problem]:
        where = ctx.origin
        results = entry.get("result")
        if results is None:
            return
        if not isinstance(results, list):
            yield self._problem(f"{who}: 'result' must be a list", f"{where}.result")
            return
        skip = attribute_positions(results)
        per_region: dict[Any, dict[str, Any]] = {}
        for k in sorted(skip):
            got = attribute_value(results[k], self._bools)
            if isinstance(got, str):
                yield self._problem(f"{who}: {got}", f"{where}.result[{k}]")
            else:
                per_region.setdefault(results[k]["id"], {})[got[0]] = got[1]
        for k, result in enumerate(results):
            if k in skip:
                continue
            ctx.origin = f"{self._fname}: {where}.result[{k}]"
            try:
                records: list[AnnotationRecord] = convert(result, ctx)
            except BadResult as exc:
                field = f"{where}.result[{k}]" + (f".{exc.field}" if exc.field else "")
                yield self._problem(f"{who}: {exc.message}", field)
                continue
            held = per_region.get(result.get("id")) if per_region else None
            for rec in records if held else ():
                rec.attributes.update(held or {})
            item.annotations.extend(records)
        ctx.origin = where

    def _media(
        self,
        item: ItemRecord,
        url: str,
        who: str,
        field: str,
        resolver: MediaResolver,
        names: set[str],
        results: list[dict[str, Any]],
    ) -> Problem | None:
        """Name the item after its url, find its file and read its size; return a Problem when that fails."""
        try:
            candidates = media_candidates(url)
        except ValueError as exc:
            return self._problem(f"{who}: media url {url!r}: {exc}", field)
        if len(candidates) > 1 and candidates[0] in names:
            candidates = candidates[1:]  # two uploads with one original name: keep the hashed names apart
        item.name = candidates[0]
        for result in results:
            w, h = _positive(result.get("original_width")), _positive(result.get("original_height"))
            if w is not None and h is not None and item.width is None:
                item.width, item.height = w, h
            value = result.get("value")
            if isinstance(value, dict) and item.frame_count is None:
                item.frame_count = _positive(value.get("framesCount"))
                duration = value.get("duration")
                if item.frame_count and isinstance(duration, int | float) and duration > 0:
                    rate = item.frame_count / float(duration)
                    item.fps = rate if math.isfinite(rate) else None
        if self.options.media == "none":
            return None
        found = None
        for rel in candidates:
            found = find_media(resolver, rel)
            if found is not None:
                item.name = rel
                break
        if found is None:
            looked = ", ".join(str(f) for f in resolver.folders) or "no existing folder"
            return self._problem(
                f"{who}: media file for {url!r} not found (looked for {candidates} in {looked})", field
            )
        item.media_path = absolute(found)
        try:
            if item.kind is ItemKind.VIDEO:
                w, h, frames, fps = video_info(found)
                item.width, item.height = w, h
                item.frame_count = item.frame_count or frames
                item.fps = item.fps or fps
            elif item.width is None or item.height is None:
                item.width, item.height = image_size(found)
        except FormatError as exc:
            return self._problem(f"{who}: {exc.detail}", field)
        return None


def _all_results(task: Any, *, regions_only: bool = False) -> Iterator[dict[str, Any]]:
    """Yield every result object of a task's annotations (not cancelled) and predictions; ``regions_only``
    leaves out those holding a region's attribute (whose choices are no labels)."""
    if not isinstance(task, dict):
        return
    for key in ("annotations", "predictions"):
        entries = task.get(key)
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if not isinstance(entry, dict) or entry.get("was_cancelled"):
                continue
            results = entry.get("result")
            if isinstance(results, list):
                skip = attribute_positions(results) if regions_only else ()
                yield from (r for i, r in enumerate(results) if isinstance(r, dict) and i not in skip)
