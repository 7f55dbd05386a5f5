"""The WebDataset exporter: numbered tar shards of samples, written deterministically and all or nothing.

Each item becomes one sample with the key ``%08d`` (its position in the export, from 0):

- ``<key>.<ext>``: the stored media file of an image or video-file item, with the extension of its name
  (``a.JPG`` -> ``jpg``; read from the image header when the name has none);
- ``<key>.<frame>.<ext>``: each frame of an image-sequence video (``<frame>`` is ``%06d`` from 0), which
  WebDataset groups into the same sample as ``"000000.jpg"``, ``"000001.jpg"``, ...;
- ``<key>.txt``: the text of a text item (UTF-8);
- ``<key>.json``: the item (name, kind, width, height, frame_count, fps, split, external_id, meta) and its
  annotations in labelhub's geometry convention (absolute pixels, boxes ``x1, y1, x2, y2``), each with its
  label name and ``label_id``, the label's 0-based position in the project's label order.

An image or video item without stored media gets ``"media": null``, unless ``copy_media`` is set: the export
then fails, naming every such item.

With ``clip_length=N`` each video item is cut into samples of N consecutive frames, keyed ``<key>_<first
frame>`` (see :mod:`labelhub.formats._webdataset_clips`); other items are written as above.

Shards are ``<name>-000000.tar``, ``<name>-000001.tar``, ...; a new one starts when the current one holds
``shard_size`` samples or the next sample would take it past ``shard_bytes`` (a single larger sample gets a
shard of its own). ``<name>-index.json`` lists the shards, their sample counts and sizes, the brace pattern
(``<name>-{000000..000003}.tar``), the label order and the project's format metadata.

Written with :mod:`labelhub.formats._webdataset_sample` (tar headers by :mod:`tarfile`) rather than
``webdataset.ShardWriter`` so every header field is fixed (mtime 0, uid/gid 0, no user names, mode 0644, members
in sample order): the same project exports byte-identical shards, and the server streams the same bytes.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path
from typing import IO, Any

import orjson

from labelhub.domain.enums import ItemKind
from labelhub.domain.records import AnnotationRecord
from labelhub.errors import FormatError
from labelhub.formats._common import AtomicDir
from labelhub.formats._export_base import FolderExporter
from labelhub.formats._webdataset_clips import clip_length, clip_samples, clip_workdir
from labelhub.formats._webdataset_sample import (
    JSON_OPTIONS,
    Member,
    annotation_doc,
    end_of_archive,
    item_doc,
    measure,
    member_bytes,
    sample_members,
)
from labelhub.formats.base import ExportItem, ExportOptions

INDEX_SUFFIX = "-index.json"
INDEX_FORMAT = "labelhub-webdataset"
DEFAULT_SHARD_SIZE = 10_000
DEFAULT_SHARD_BYTES = 1 << 30
SHARD_DIGITS = 6
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def shard_name(name: str, number: int) -> str:
    """Return the file name of shard ``number``: ``name-000003.tar``."""
    return f"{name}-{number:0{SHARD_DIGITS}d}.tar"


def _positive_int(extra: dict[str, Any], key: str, default: int) -> int:
    value = extra.get(key, default)
    try:
        number = int(value)
        ok = number > 0 and not isinstance(value, bool) and float(value) == number
    except (TypeError, ValueError, OverflowError):
        ok = False
    if not ok:
        raise FormatError(f"option {key} must be a positive whole number, got {value!r}", field=key)
    return number


class WebDatasetExporter(FolderExporter):
    """Writes WebDataset shards and an index into the folder ``dest`` (which must not exist or be empty).

    Options (``extra``): ``name`` (shard prefix; default the folder's name, or ``shard`` when that is not a
    plain name), ``shard_size`` (samples per shard, default 10,000), ``shard_bytes`` (default 1 GiB),
    ``clip_length`` (frames per video clip; default off, one sample per video).
    """

    def __init__(self, dest: Path, labels: list[str], options: ExportOptions) -> None:
        super().__init__(dest, labels, options)
        extra = options.extra
        name = extra.get("name") or (dest.name if NAME_RE.match(dest.name) else "shard")
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise FormatError(
                f"option name must be letters, digits, '.', '_' or '-' (at most 100), got {name!r}", field="name"
            )
        self.name = name
        self.shard_size = _positive_int(extra, "shard_size", DEFAULT_SHARD_SIZE)
        self.shard_bytes = _positive_int(extra, "shard_bytes", DEFAULT_SHARD_BYTES)
        self.clip_length = clip_length(extra)
        self._label_ids = {label: i for i, label in enumerate(dict.fromkeys(labels))}
        self._fh: IO[bytes] | None = None
        self._offset = 0  # bytes written to the open shard
        self._shards: list[dict[str, Any]] = []
        self._in_shard = 0
        self._shard_cost = 0
        self._samples = 0
        self._items = 0

    def _label_id(self, label: str | None) -> int | None:
        if label is None:
            return None
        # A label used on an annotation but missing from the project's list gets the next id.
        return self._label_ids.setdefault(label, len(self._label_ids))

    def _annotation(self, ann: AnnotationRecord) -> dict[str, Any]:
        return annotation_doc(ann, self._label_id)

    def write(self, item: ExportItem) -> None:
        """Add the item as one sample (a video as one per clip with ``clip_length``), starting shards as they fill."""
        out = self._opened("write")
        key = f"{self._items:08d}"
        self._items += 1
        rec = item.record
        self.tally.annotations += len(rec.annotations)  # every annotation goes into the sample JSON
        # Media are written whenever stored; copy_media also requires them (an item without fails the export).
        self.note_missing_media(item)
        if self.clip_length is not None and rec.kind is ItemKind.VIDEO:
            base = item_doc(item)
            with (
                clip_workdir(self.dest.parent) as tmp,
                contextlib.closing(
                    clip_samples(item, key, self.clip_length, base, self._annotation, Path(tmp))
                ) as clips,
            ):
                for clip in clips:
                    members = [Member(name, path=path) for name, path in clip.frames]
                    members.append(Member(f"{clip.key}.json", data=orjson.dumps(clip.doc, option=JSON_OPTIONS)))
                    self._add_sample(out, members, rec.name)
            return
        self._add_sample(out, sample_members(item, key, self._label_id), rec.name)

    def _add_sample(self, out: AtomicDir, members: list[Member], item: str) -> None:
        """Write one sample's members, starting a new shard when the current one is full."""
        cost = measure(members)
        full = self._in_shard >= self.shard_size or self._shard_cost + cost > self.shard_bytes
        if self._fh is None or (self._in_shard and full):
            self._next_shard(out)
        fh = self._fh
        assert fh is not None
        for m in members:
            for chunk in member_bytes(m, item):
                fh.write(chunk)
                self._offset += len(chunk)
        self._in_shard += 1
        self._shard_cost += cost
        self._samples += 1

    def _close_shard(self, out: AtomicDir) -> None:
        if self._fh is None:
            return
        self._fh.write(end_of_archive(self._offset))
        self._fh.close()
        self._fh = None
        entry = self._shards[-1]
        entry["samples"] = self._in_shard
        entry["bytes"] = out.path(entry["name"]).stat().st_size

    def _next_shard(self, out: AtomicDir) -> None:
        self._close_shard(out)
        name = shard_name(self.name, len(self._shards))
        # Kept open across write() calls and closed in _close_shard()/_release(), so no with-block fits.
        self._fh = out.path(name).open("wb")
        self._offset = 0
        self._shards.append({"name": name, "samples": 0, "bytes": 0})
        self._in_shard = 0
        self._shard_cost = 0

    def pattern(self) -> str | None:
        """Return the brace pattern of the shards written, ``name-{000000..000003}.tar``, or None for none."""
        if not self._shards:
            return None
        last = len(self._shards) - 1
        return f"{self.name}-{{{0:0{SHARD_DIGITS}d}..{last:0{SHARD_DIGITS}d}}}.tar"

    def _complete(self, out: AtomicDir) -> None:
        """Close the last shard and write the index."""
        self._close_shard(out)
        index = {
            "format": INDEX_FORMAT,
            "version": 1,
            "name": self.name,
            "pattern": self.pattern(),
            "samples": self._samples,
            "shards": self._shards,
            "labels": list(self._label_ids),
            "format_meta": self.options.extra.get("format_meta") or {},
        }
        if self.clip_length is not None:
            index["clip_length"] = self.clip_length
        out.path(f"{self.name}{INDEX_SUFFIX}").write_bytes(orjson.dumps(index, option=orjson.OPT_INDENT_2))

    def _release(self) -> None:
        """Close the open shard (before the folder is deleted)."""
        if self._fh is not None:
            self._fh.close()
        self._fh = None
