"""Guards every importer puts between a hostile file and the rest of labelhub.

- :func:`storable` wraps an importer's records. The database keeps item sizes, frame counts, frame numbers and
  track ids as 32-bit integers, names, labels, splits and model versions in columns of bounded length, and
  metadata, attributes and geometry as JSON; neither PostgreSQL's text nor its JSON types can hold a NUL, and
  no column can hold text that is not valid UTF-8 (a lone surrogate, which JSON can spell ``"\\ud800"``). A
  file can put a 20-digit width, a label of a million characters, a NUL or a 300-deep nest of lists into any of
  those places; such a record would pass the format's reading and the import's geometry checks and fail only
  when written, with a driver error. :func:`storable` makes it a Problem naming the source, the record's origin
  (file and line or element) and the field, so ``--skip-invalid`` can skip it like any other bad record. It also
  refuses image files cut short (importers read only headers) and images too large to decode (decompression
  bombs), naming the image file. Metadata, attributes and geometry are checked where the import encodes
  them, once, with :func:`labelhub.storage.json_text.json_text`.
- :func:`find_media`, :func:`is_file` and :func:`is_dir` look up names taken from a file, where the OS may
  refuse the lookup itself (a name part over 255 bytes): that name is then not found, instead of an OSError.
- :func:`check_labels`, :func:`read_names` and :func:`check_meta` refuse class lists and format metadata that
  could not be stored, with a FormatError naming the file and line or field.
- Nesting limits for the streaming JSON and XML readers are in :mod:`labelhub.formats._nesting`.

Hand-written: these limits are labelhub's own (see ``labelhub.storage.models``); orjson does the JSON part (an
integer beyond 64 bits, or nesting deeper than it serialises, is an error there too).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from labelhub.domain.enums import ItemKind
from labelhub.domain.records import AnnotationRecord, ItemRecord, Problem
from labelhub.errors import FormatError, ValidationError
from labelhub.formats._common import MediaResolver
from labelhub.media.thumbnails import MAX_PIXELS
from labelhub.storage.json_text import json_text

MAX_INT = 2**31 - 1  # the database's INTEGER columns
NAME_CHARS = 1024  # items.name
LABEL_CHARS = 200  # annotations.label, annotations.model_version
SPLIT_CHARS = 32  # items.split
_TAIL_BYTES = 64 << 10  # how far from its end an image file must hold its end marker


def _bad_text(value: object, limit: int | None) -> str | None:
    """Return why ``value`` cannot be stored as text of at most ``limit`` characters, or None when it can."""
    if not isinstance(value, str):
        return f"must be text, got {type(value).__name__}"
    if limit is not None and len(value) > limit:
        return f"is {len(value)} characters long, more than the {limit} labelhub stores"
    if "\x00" in value:
        return "holds a NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid Unicode (a lone surrogate)"
    return None


def _bad_int(value: object, low: int) -> str | None:
    if type(value) is not int:
        return f"must be a whole number, got {value!r:.40}"
    if not low <= value <= MAX_INT:
        return f"must be from {low} to {MAX_INT}, got {value!r:.40}"
    return None


def _bad_float(value: object, *, positive: bool) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"must be a number, got {value!r:.40}"
    try:
        number = float(value)
    except OverflowError:
        return "is too large"
    if number != number or number in (float("inf"), float("-inf")):
        return f"must be a finite number, got {value!r}"
    if positive and number <= 0:
        return f"must be above 0, got {value!r}"
    return None


def _bad_json(value: object) -> str | None:
    """Return why ``value`` cannot be stored as JSON, or None when it can."""
    try:
        json_text(value, "value")
    except ValidationError as exc:
        return exc.detail.removeprefix("value ")
    return None


def _plain_item(rec: ItemRecord) -> bool:
    """Return True for the common image item that needs no further check: short ASCII names without NUL,
    sizes in range, and no text, frame count or fps. The rest go through :func:`_item_fault`."""
    w, h = rec.width, rec.height
    return (
        _plain_text(rec.name, NAME_CHARS)
        and (w is None or (type(w) is int and 1 <= w <= MAX_INT))
        and (h is None or (type(h) is int and 1 <= h <= MAX_INT))
        and (rec.split is None or _plain_text(rec.split, SPLIT_CHARS))
        and (rec.external_id is None or _plain_text(rec.external_id, NAME_CHARS))
        and rec.text is None
        and rec.frame_count is None
        and rec.fps is None
    )


def _plain_text(value: object, limit: int) -> bool:
    return type(value) is str and len(value) <= limit and value.isascii() and "\x00" not in value


def _item_fault(rec: ItemRecord) -> tuple[str, str] | None:
    """Return ``(field, why)`` for the first item field that cannot be stored, or None."""
    if _plain_item(rec):
        return None
    checks: list[tuple[str, str | None]] = [("name", _bad_text(rec.name, NAME_CHARS))]
    if rec.split is not None:
        checks.append(("split", _bad_text(rec.split, SPLIT_CHARS)))
    if rec.text is not None:
        checks.append(("text", _bad_text(rec.text, None)))
    if rec.external_id is not None:
        checks.append(("id", _bad_text(rec.external_id, NAME_CHARS)))
    for key in ("width", "height", "frame_count"):
        value = getattr(rec, key)
        if value is not None:
            checks.append((key, _bad_int(value, 1)))
    if rec.fps is not None:
        checks.append(("fps", _bad_float(rec.fps, positive=True)))
    return next(((key, why) for key, why in checks if why is not None), None)


def _annotation_fault(a: AnnotationRecord) -> tuple[str, str] | None:
    """Return ``(field, why)`` for the first annotation field that cannot be stored, or None."""
    checks: list[tuple[str, str | None]] = []
    if a.label is not None:
        checks.append(("label", _bad_text(a.label, LABEL_CHARS)))
    if a.model_version is not None:
        checks.append(("model_version", _bad_text(a.model_version, LABEL_CHARS)))
    if a.frame is not None:
        checks.append(("frame", _bad_int(a.frame, 0)))
    if a.track_id is not None:
        checks.append(("track_id", _bad_int(a.track_id, -MAX_INT - 1)))
    if a.score is not None:
        checks.append(("score", _bad_float(a.score, positive=False)))
    return next(((key, why) for key, why in checks if why is not None), None)


def _bad_image(path: Path) -> str | None:
    """Return why the PNG or JPEG file at ``path`` is cut short (its end marker missing), or None.

    Importers read only image headers, so a file cut after its header would be stored and fail later, when
    a thumbnail is made. The end marker (PNG's ``IEND`` chunk, JPEG's ``FF D9``) must lie in the last 64 KiB:
    one seek and one read per file. Other image types are not checked.
    """
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
            fh.seek(max(fh.seek(0, 2) - _TAIL_BYTES, 0))
            tail = fh.read()
    except OSError:
        return None  # a missing or unreadable file is reported where it is stored
    if head.startswith(b"\x89PNG") and b"IEND" not in tail:
        return "is truncated: its PNG end chunk (IEND) is missing"
    if head.startswith(b"\xff\xd8") and b"\xff\xd9" not in tail:
        return "is truncated: its JPEG end marker is missing"
    return None


def _media_fault(rec: ItemRecord) -> tuple[Path, str] | None:
    """Return ``(file, why)`` for media of an image item or image sequence that must not be stored, or None."""
    files = rec.frame_files or ([rec.media_path] if rec.media_path is not None and rec.kind is ItemKind.IMAGE else [])
    if files and rec.width is not None and rec.height is not None and rec.width * rec.height > MAX_PIXELS:
        return files[0], f"is {rec.width}x{rec.height}, more than {MAX_PIXELS} pixels: refused as a decompression bomb"
    for path in files:
        cut = _bad_image(path)
        if cut is not None:
            return path, cut
    return None


def storable(records: Iterator[ItemRecord | Problem], source: Path | str) -> Iterator[ItemRecord | Problem]:
    """Yield ``records``, turning an item or an annotation that labelhub cannot store into a Problem.

    An item with a field that cannot be stored, or with an image file cut short or too large to decode, is
    left out; an annotation that cannot be stored is left out of its item. Each Problem names ``source`` (or
    the image file) as its file, and the record's origin and the field in its message.
    """
    file = str(source)
    known: set[str] = set()  # labels and model versions already found storable: most files repeat a few
    for rec in records:
        if isinstance(rec, Problem):
            yield rec
            continue
        fault = _item_fault(rec)
        if fault is not None:
            yield Problem(f"{_short(rec.origin or rec.name)}: {fault[0]} {fault[1]}", file=file, field=fault[0])
            continue
        media = _media_fault(rec)
        if media is not None:
            yield Problem(f"{_short(rec.origin or rec.name)}: image file {media[0]} {media[1]}", file=str(media[0]))
            continue
        kept: list[AnnotationRecord] = []
        for i, a in enumerate(rec.annotations):
            if _plain(a, known):
                kept.append(a)
                continue
            bad = _annotation_fault(a)
            if bad is None:
                kept.append(a)
                if len(known) < _KNOWN_MAX:
                    known.update(t for t in (a.label, a.model_version) if t is not None)
                continue
            field = f"annotations[{i}].{bad[0]}"
            where = _short(a.origin or rec.origin or rec.name)
            yield Problem(f"{where}: {bad[0]} {bad[1]}", file=file, field=field)
        if len(kept) != len(rec.annotations):
            rec.annotations = kept
        yield rec


_KNOWN_MAX = 100_000


def _plain(a: AnnotationRecord, known: set[str]) -> bool:
    """Return True for the common annotation that needs no further check: texts already found storable, no
    frame or track id, and a finite float score or none. The rest go through :func:`_annotation_fault`."""
    return (
        (a.label is None or a.label in known)
        and (a.model_version is None or a.model_version in known)
        and a.frame is None
        and a.track_id is None
        and (a.score is None or (type(a.score) is float and -_FLOAT_MAX <= a.score <= _FLOAT_MAX))
    )


_FLOAT_MAX = 1.7976931348623157e308  # NaN and the infinities fail the range test


def _short(text: Any) -> str:
    value = str(text)
    return value if len(value) <= 80 else f"{value[:77]}..."


def find_media(resolver: MediaResolver, rel: str) -> Path | None:
    """Return ``resolver.find(rel)``, or None when the name cannot be a file here (the OS refuses to look it
    up: too long, or a folder component that is a file)."""
    try:
        return resolver.find(rel)
    except (OSError, ValueError):
        return None


def is_file(path: Path) -> bool:
    """Return ``path.is_file()``, False where the OS refuses to look the path up (e.g. a name too long)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def is_dir(path: Path) -> bool:
    """Return ``path.is_dir()``, False where the OS refuses to look the path up (e.g. a name too long)."""
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def bad_label(name: object) -> str | None:
    """Return why ``name`` cannot be a class name (empty, too long, NUL), or None when it can."""
    if isinstance(name, str) and not name.strip():
        return "is empty"
    return _bad_text(name, LABEL_CHARS)


def check_labels(names: list[str], file: Path | str, field: str = "labels") -> list[str]:
    """Return ``names`` when each can be a class name; raise FormatError naming the file and the first bad one."""
    for i, name in enumerate(names):
        why = bad_label(name)
        if why is not None:
            raise FormatError(f"class name {_short(name)!r} {why}", file=str(file), field=f"{field}[{i}]")
    return names


def read_names(path: Path) -> list[str]:
    """Return the class names of a text file with one name a line (blank lines skipped), or raise FormatError
    naming the file and the line of a name that cannot be a class name."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"cannot read {path.name}: {exc}", file=str(path)) from None
    names: list[str] = []
    for n, line in enumerate(text.splitlines(), start=1):
        name = line.strip()
        if not name:
            continue
        why = bad_label(name)
        if why is not None:
            raise FormatError(f"{path.name}: class name {_short(name)!r} {why}", file=str(path), line=n)
        names.append(name)
    return names


def check_meta(meta: dict[str, Any], file: Path | str, field: str) -> dict[str, Any]:
    """Return the format metadata ``meta`` when it can be stored as JSON; raise FormatError naming the field."""
    why = _bad_json(meta)
    if why is not None:
        raise FormatError(f"{field} {why}", file=str(file), field=field)
    return meta
