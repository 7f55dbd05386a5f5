"""One WebDataset sample (its ``<key>.json``, text and extracted media) turned back into an :class:`ItemRecord`.

Every field of the JSON is checked for its type; a bad item field is a Problem and the sample is skipped,
a bad annotation is a Problem and the item comes without it. Geometry stays as written (labelhub's own
convention); the import service validates it against the item's size.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind, Source
from labelhub.domain.records import AnnotationRecord, ItemRecord, Problem


@dataclass(slots=True)
class SampleParts:
    """What one sample's members gave: JSON/text bytes by extension, media files (None when not extracted)."""

    key: str
    shard: Path
    inline: dict[str, bytes] = field(default_factory=dict)
    files: dict[str, Path | None] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    dropped: bool = False


class _Bad(Exception):
    """A field of the sample's JSON with the wrong type or value."""

    def __init__(self, where: str, message: str) -> None:
        super().__init__(message)
        self.where = where
        self.message = message


def _get(doc: dict[str, Any], key: str, types: tuple[type, ...], where: str, default: Any = None) -> Any:
    value = doc.get(key, default)
    if value is None or (isinstance(value, types) and not isinstance(value, bool)):
        if isinstance(value, float) and not math.isfinite(value):
            raise _Bad(f"{where}{key}", f"{key} is not finite")
        return value
    names = " or ".join(t.__name__ for t in types)
    raise _Bad(f"{where}{key}", f"{key} must be {names}, got {value!r}")


def _enum(doc: dict[str, Any], key: str, enum: Any, where: str, default: str | None = None) -> Any:
    value = doc.get(key, default)
    try:
        return enum(value)
    except ValueError:
        known = ", ".join(m.value for m in enum)
        raise _Bad(f"{where}{key}", f"{key} must be one of {known}, got {value!r}") from None


def _annotation(a: Any, i: int, labels: list[str], origin: str) -> AnnotationRecord:
    where = f"annotations[{i}]."
    if not isinstance(a, dict):
        raise _Bad(f"annotations[{i}]", "an annotation must be an object")
    label = _get(a, "label", (str,), where)
    label_id = _get(a, "label_id", (int,), where)
    if label is None and label_id is not None and 0 <= label_id < len(labels):
        label = labels[label_id]  # the name wins when both are given
    return AnnotationRecord(
        kind=_enum(a, "kind", AnnotationKind, where),
        label=label,
        geometry=_get(a, "geometry", (dict,), where) or {},
        source=_enum(a, "source", Source, where, Source.HUMAN.value),
        state=_enum(a, "state", AnnotationState, where, AnnotationState.ACCEPTED.value),
        score=_get(a, "score", (int, float), where),
        model_version=_get(a, "model_version", (str,), where),
        frame=_get(a, "frame", (int,), where),
        track_id=_get(a, "track_id", (int,), where),
        attributes=_get(a, "attributes", (dict,), where) or {},
        origin=f"{origin}: annotations[{i}]",
    )


def _media(parts: SampleParts, doc: dict[str, Any], frame_re: re.Pattern[str]) -> tuple[Path | None, list[Path]]:
    """Return the sample's media file and its frames (in order); raise _Bad when they do not add up."""
    numbered = [(int(m.group(1)), path) for ext, path in parts.files.items() if (m := frame_re.match(ext))]
    frames = sorted(numbered, key=lambda f: f[0])
    others = {ext: path for ext, path in parts.files.items() if not frame_re.match(ext)}
    declared = _get(doc, "frames", (int,), "", 0) or 0
    if frames or declared:
        # Lengths first: a hostile count of 10**18 must not build a list of that many numbers.
        if declared < 0 or len(frames) != declared or [n for n, _ in frames] != list(range(declared)):
            raise _Bad("frames", f"the JSON says {declared} frames, the sample holds frames {[n for n, _ in frames]}")
        files = [p for _, p in frames if p is not None]
        return (files[0] if files else None), files
    ext = _get(doc, "media", (str,), "")
    if ext is not None:
        if ext not in parts.files:
            raise _Bad("media", f"the JSON names media {parts.key}.{ext}, which the sample does not hold")
        return parts.files[ext], []
    if len(others) == 1:  # a sample written by another tool: its one media file
        return next(iter(others.values())), []
    if others:
        raise _Bad("media", f"several media members ({', '.join(sorted(others))}) and the JSON names none")
    return None, []


def _text(parts: SampleParts, doc: dict[str, Any]) -> str | None:
    raw = parts.inline.get("txt")
    if raw is None:
        text: str | None = _get(doc, "text", (str,), "")
        return text
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _Bad("txt", f"{parts.key}.txt is not UTF-8: {exc}") from None


def build_record(
    parts: SampleParts, labels: list[str], *, with_media: bool, frame_re: re.Pattern[str]
) -> Iterator[ItemRecord | Problem]:
    """Yield the sample's item, or Problems naming the shard and the JSON field at fault."""
    shard, key = parts.shard, parts.key
    origin = f"{shard.name}: {key}.json"
    raw = parts.inline.get("json")
    if raw is None:
        yield Problem(f"{shard.name}: sample {key!r} has no {key}.json", file=str(shard), field=f"{key}.json")
        return
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        msg = f"{origin} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        yield Problem(msg, file=str(shard), line=exc.lineno, field=f"{key}.json")
        return
    try:
        if not isinstance(doc, dict):
            raise _Bad("", "the sample JSON must be an object")
        name = _get(doc, "name", (str,), "", key) or key
        kind = _enum(doc, "kind", ItemKind, "", ItemKind.IMAGE.value)
        media_path, frames = _media(parts, doc, frame_re)
        item = ItemRecord(
            kind=kind,
            name=name,
            media_path=media_path if with_media else None,
            width=_get(doc, "width", (int,), ""),
            height=_get(doc, "height", (int,), ""),
            frame_count=_get(doc, "frame_count", (int,), ""),
            fps=_get(doc, "fps", (int, float), ""),
            text=_text(parts, doc),
            meta=_get(doc, "meta", (dict,), "") or {},
            external_id=_get(doc, "external_id", (str,), ""),
            split=_get(doc, "split", (str,), ""),
            origin=origin,
            frame_files=frames if with_media else [],
        )
        anns = _get(doc, "annotations", (list,), "") or []
    except _Bad as bad:
        yield Problem(f"{origin}: {bad.message}", file=str(shard), field=f"{key}.json: {bad.where}".rstrip(": "))
        return
    for i, a in enumerate(anns):
        try:
            item.annotations.append(_annotation(a, i, labels, origin))
        except _Bad as bad:
            yield Problem(f"{origin}: {bad.message}", file=str(shard), field=f"{key}.json: {bad.where}")
    yield item
