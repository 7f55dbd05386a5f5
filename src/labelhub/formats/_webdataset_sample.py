"""One WebDataset sample both ways: the tar members an item is written as, and a sample read back into an item.

Writing (:func:`sample_members`, :func:`member_bytes`, :func:`end_of_archive`) is shared by the exporter
(``_webdataset_export.py``) and the server's shard stream (``services/webdataset_stream.py``), so a streamed
shard holds the same bytes as an exported one. Every tar header field is fixed (mtime 0, uid/gid 0, no user
names, mode 0644); :meth:`tarfile.TarInfo.tobuf` encodes the headers, and the framing around them (data padded
to 512-byte blocks, two zero blocks and padding to a 10 KiB record at the end) is written here as
:meth:`tarfile.TarFile.addfile` and ``close`` write it, one chunk at a time so a large member is never held.

Reading (:func:`build_record`): every field of the JSON is checked for its type; a bad item field is a Problem
and the sample is skipped, a bad annotation is a Problem and the item comes without it. Geometry stays as
written (labelhub's own convention); the import service validates it against the item's size.
"""

from __future__ import annotations

import math
import re
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind, Source
from labelhub.domain.records import AnnotationRecord, ItemRecord, Problem
from labelhub.errors import FormatError
from labelhub.formats._media_names import media_extension
from labelhub.formats.base import ExportItem

JSON_OPTIONS = orjson.OPT_SORT_KEYS
_BLOCK = tarfile.BLOCKSIZE
_COPY_CHUNK = 1 << 20
# A label's ``label_id`` (its 0-based place in the label order), or None for no label.
LabelIds = Callable[[str | None], int | None]


@dataclass(slots=True)
class Member:
    """One file of a sample: its name in the tar and its bytes, or the file holding them."""

    name: str
    data: bytes | None = None
    path: Path | None = None
    size: int = 0


def annotation_doc(ann: AnnotationRecord, label_id: LabelIds) -> dict[str, Any]:
    """Return an annotation's entry in the sample JSON, geometry in labelhub's convention."""
    return {
        "kind": ann.kind.value,
        "label": ann.label,
        "label_id": label_id(ann.label),
        "geometry": ann.geometry,
        "source": ann.source.value,
        "state": ann.state.value,
        "score": ann.score,
        "model_version": ann.model_version,
        "frame": ann.frame,
        "track_id": ann.track_id,
        "attributes": ann.attributes,
    }


def item_doc(item: ExportItem) -> dict[str, Any]:
    """Return the item's own fields of its sample JSON (annotations and media come on top)."""
    rec = item.record
    return {
        "name": rec.name,
        "kind": rec.kind.value,
        "width": rec.width,
        "height": rec.height,
        "frame_count": rec.frame_count,
        "fps": rec.fps,
        "split": rec.split,
        "external_id": rec.external_id,
        # Media keys of the frames mean nothing outside this hub; the frames travel as files.
        "meta": {k: v for k, v in rec.meta.items() if k != "frames"},
        "media": None,
        "frames": len(item.frame_files),
    }


def sample_members(item: ExportItem, key: str, label_id: LabelIds) -> list[Member]:
    """Return the members of the item's sample ``key``: its media (or frames), its text, then its JSON."""
    rec = item.record
    members: list[Member] = []
    doc = item_doc(item)
    if item.frame_files:
        for i, frame in enumerate(item.frame_files):
            members.append(Member(f"{key}.{i:06d}.{media_extension('', frame)}", path=frame))
    elif isinstance(rec.meta.get("frames"), list):
        raise FormatError(f"some stored frames of sequence {rec.name!r} are missing", item=rec.name)
    elif item.media_file is not None:
        ext = media_extension(rec.name, item.media_file)
        if ext in ("json", "txt"):
            ext = "bin"  # never collide with the sample's own JSON or text
        doc["media"] = ext
        members.append(Member(f"{key}.{ext}", path=item.media_file))
    if rec.kind is ItemKind.TEXT and rec.text is not None:
        members.append(Member(f"{key}.txt", data=rec.text.encode("utf-8")))
    doc["annotations"] = [annotation_doc(a, label_id) for a in rec.annotations]
    members.append(Member(f"{key}.json", data=orjson.dumps(doc, option=JSON_OPTIONS)))
    return members


def member_cost(size: int) -> int:
    """Return the bytes a member of ``size`` bytes takes in a tar: one header block plus padded data."""
    return _BLOCK + -(-size // _BLOCK) * _BLOCK


def measure(members: list[Member]) -> int:
    """Set each member's size (a file's as it is now) and return the bytes they take in a tar."""
    for m in members:
        if m.data is not None:
            m.size = len(m.data)
        elif m.path is not None:
            try:
                m.size = m.path.stat().st_size
            except OSError as exc:
                raise FormatError(f"cannot read media file {m.path}: {exc}", file=str(m.path)) from None
    return sum(member_cost(m.size) for m in members)


def member_bytes(member: Member, item: str) -> Iterator[bytes]:
    """Yield a measured member as it stands in the tar: its header, its data (1 MiB at a time), the padding."""
    info = tarfile.TarInfo(member.name)
    info.size = member.size
    info.mtime = 0
    info.mode = 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    yield info.tobuf(tarfile.PAX_FORMAT, tarfile.ENCODING, "surrogateescape")
    if member.data is not None:
        yield member.data
    elif member.path is not None:
        yield from _file_bytes(member.path, member.size, item)
    tail = member.size % _BLOCK
    if tail:
        yield bytes(_BLOCK - tail)


def _file_bytes(path: Path, size: int, item: str) -> Iterator[bytes]:
    """Yield exactly ``size`` bytes of the file; raise FormatError when it is shorter (changed meanwhile)."""
    try:
        with path.open("rb") as fh:
            left = size
            while left:
                chunk = fh.read(min(left, _COPY_CHUNK))
                if not chunk:
                    raise OSError("unexpected end of data")
                left -= len(chunk)
                yield chunk
    except OSError as exc:
        raise FormatError(f"cannot read media file {path} of item {item!r}: {exc}", file=str(path)) from None


def end_of_archive(offset: int) -> bytes:
    """Return what closes a tar of ``offset`` bytes: two zero blocks, then zeros up to a whole 10 KiB record."""
    end = offset + 2 * _BLOCK
    return bytes(2 * _BLOCK + -end % tarfile.RECORDSIZE)


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
