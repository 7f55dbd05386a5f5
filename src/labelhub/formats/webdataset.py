"""WebDataset tar shards as written by ``_webdataset_export.py``: one sample per item, ``<key>.json`` + media.

The source is a folder of shards (with its ``*-index.json``, or just ``*.tar`` files read in natural order),
one shard, or the index file. Shards are read as streams with :mod:`tarfile`, never extracted by their own
member names: a member named with ``..`` or an absolute path, and any link, device or FIFO member, is
refused with a Problem naming the shard and the member, and its whole sample is dropped. The media of the
other samples are copied under our own names into a private temporary folder, removed on ``close()``, for
the import service to store (so ``--link`` is impossible here). Geometry is labelhub's own in the JSON, so
nothing is converted at this boundary; a record comes back exactly as it was exported. Video clips (export
option ``clip_length``) are joined back into their video by :class:`~labelhub.formats._webdataset_clips.ClipJoiner`.
"""

from __future__ import annotations

import re
import shutil
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from labelhub.domain.enums import ItemKind
from labelhub.domain.records import ItemRecord, Problem
from labelhub.errors import FormatError
from labelhub.formats._common import is_safe_relative
from labelhub.formats._guards import check_labels, check_meta, is_file, storable
from labelhub.formats._webdataset_clips import ClipJoiner
from labelhub.formats._webdataset_export import INDEX_FORMAT, INDEX_SUFFIX, WebDatasetExporter
from labelhub.formats._webdataset_sample import SampleParts, build_record
from labelhub.formats.base import FormatImporter, ImportOptions
from labelhub.media.video import natural_key

__all__ = ["WebDatasetExporter", "WebDatasetImporter", "detect"]

_SHARD_SUFFIXES = (".tar", ".tar.gz", ".tgz")
# webdataset's own split of a member name: the key runs to the first dot of the base name.
_KEY_RE = re.compile(r"^((?:.*/|)[^./]+)\.([^/]+)$")
_EXT_RE = re.compile(r"^[a-z0-9]{1,16}$")
_FRAME_RE = re.compile(r"^(\d{1,9})\.([a-z0-9]{1,16})$")
# JSON and text members are read into memory; anything larger is not one of our samples.
MAX_INLINE_BYTES = 64 << 20
# A shard's members may add up to this many times its size on disk (plus 1 MiB): more is a decompression bomb,
# a gzip stream of zeros or a sparse member declaring terabytes, and is refused before anything is extracted.
MAX_EXPANSION = 100


def _is_shard(path: Path) -> bool:
    return path.name.lower().endswith(_SHARD_SUFFIXES)


def _read_index(path: Path) -> dict[str, Any] | None:
    """Return our index at ``path``, or None when it is not one."""
    try:
        data = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    return data if isinstance(data, dict) and data.get("format") == INDEX_FORMAT else None


def detect(path: Path) -> bool:
    """Return True for a tar shard, our index file, or a folder holding either."""
    if path.is_file():
        if path.name.endswith(INDEX_SUFFIX):
            return _read_index(path) is not None
        return _is_shard(path) and tarfile.is_tarfile(path)
    if not path.is_dir():
        return False
    return any(_read_index(p) is not None for p in path.glob(f"*{INDEX_SUFFIX}")) or any(
        p.is_file() and _is_shard(p) for p in path.iterdir()
    )


class WebDatasetImporter(FormatImporter):
    """Reads WebDataset shards back into items of any kind, with their annotations and media."""

    item_kind = ItemKind.IMAGE

    def __init__(self, source: Path, options: ImportOptions) -> None:
        super().__init__(source, options)
        if options.media == "link":
            raise FormatError(
                "media in tar shards cannot be linked in place; import with media copied (or metadata only)",
                file=str(source),
                field="media",
            )
        self.index: dict[str, Any] = {}
        self._index_file = str(source)
        self.shards = self._find_shards(source)
        labels = self.index.get("labels")
        self._labels = check_labels(labels, self._index_file) if isinstance(labels, list) else []
        self._tmp: Path | None = None
        self._extracted = 0
        self._clips = ClipJoiner()

    def _find_shards(self, source: Path) -> list[Path]:
        if source.is_file() and source.name.endswith(INDEX_SUFFIX):
            return self._from_index(source)
        if source.is_file():
            if not _is_shard(source):
                raise FormatError(f"{source} is not a .tar shard or a *{INDEX_SUFFIX} index", file=str(source))
            return [source]
        if not source.is_dir():
            raise FormatError(f"{source} does not exist", file=str(source))
        indexes = sorted(p for p in source.glob(f"*{INDEX_SUFFIX}") if _read_index(p) is not None)
        if len(indexes) > 1:
            names = ", ".join(p.name for p in indexes)
            raise FormatError(f"several shard indexes in {source} ({names}); name the one to import", file=str(source))
        if indexes:
            return self._from_index(indexes[0])
        shards = sorted(
            (p for p in source.iterdir() if p.is_file() and _is_shard(p)), key=lambda p: natural_key(p.name)
        )
        if not shards:
            raise FormatError(f"no .tar shards or *{INDEX_SUFFIX} in {source}", file=str(source))
        return shards

    def _from_index(self, path: Path) -> list[Path]:
        index = _read_index(path)
        if index is None:
            raise FormatError(f"{path} is not a labelhub WebDataset index", file=str(path))
        entries = index.get("shards")
        if not isinstance(entries, list):
            raise FormatError(f"{path.name}: 'shards' must be a list", file=str(path), field="shards")
        shards: list[Path] = []
        for i, entry in enumerate(entries):
            name = entry.get("name") if isinstance(entry, dict) else None
            where = f"shards[{i}].name"
            if not isinstance(name, str) or "/" in name or not is_safe_relative(name) or not _is_shard(Path(name)):
                raise FormatError(
                    f"{path.name}: {where} must be a shard file name, got {name!r}", file=str(path), field=where
                )
            if not is_file(path.parent / name):
                raise FormatError(f"{path.name}: shard {name} is missing", file=str(path), field=where)
            shards.append(path.parent / name)
        self.index = index
        self._index_file = str(path)
        return shards

    def labels(self) -> list[str]:
        """Return the label order of the index (``label_id`` order), or [] without an index."""
        return list(self._labels)

    def total(self) -> int | None:
        """Return the sample count of the index, when there is one."""
        samples = self.index.get("samples")
        return samples if isinstance(samples, int) and not isinstance(samples, bool) else None

    def schema_meta(self) -> dict[str, Any]:
        """Return the format metadata the exporting project kept (e.g. COCO category ids)."""
        meta = self.index.get("format_meta")
        return check_meta(meta, self._index_file, "format_meta") if isinstance(meta, dict) else {}

    def close(self) -> None:
        """Remove the temporary folder holding the extracted media."""
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __iter__(self) -> Iterator[ItemRecord | Problem]:
        """Yield one item per sample, shard after shard, or Problems naming the shard and member."""
        return storable(self._records(), self.source)

    def _records(self) -> Iterator[ItemRecord | Problem]:
        seen: dict[str, str] = {}
        self._clips = ClipJoiner()
        for shard in self.shards:
            try:
                with tarfile.open(shard, mode="r|*") as tar:
                    yield from self._read(shard, tar, seen)
            except (tarfile.TarError, EOFError, OSError) as exc:
                raise FormatError(f"cannot read shard {shard.name}: {exc}", file=str(shard)) from None
        yield from self._clips.flush()  # a video whose last clip never came

    def _read(self, shard: Path, tar: tarfile.TarFile, seen: dict[str, str]) -> Iterator[ItemRecord | Problem]:
        parts: SampleParts | None = None
        budget = MAX_EXPANSION * shard.stat().st_size + (1 << 20)
        for member in tar:
            if member.isdir():
                continue  # harmless, and never created
            budget -= max(member.size, 0)
            if budget < 0:
                msg = (
                    f"{shard.name} unpacks to more than {MAX_EXPANSION} times its size (at member {member.name!r}); "
                    "refused as a decompression bomb"
                )
                raise FormatError(msg, file=str(shard), field=member.name)
            problem = self._check(shard, member)
            match = _KEY_RE.match(member.name)
            if problem is None and match is None:
                problem = f"member {member.name!r} has no extension, so it belongs to no sample"
            key = match.group(1) if match else member.name
            if parts is None or key != parts.key:
                if parts is not None:
                    yield from self._finish(parts)
                if key in seen:
                    msg = f"sample key {key!r} appears again in {shard.name} (first in {seen[key]})"
                    yield Problem(msg, file=str(shard), field=member.name)
                parts = SampleParts(key=key, shard=shard, dropped=key in seen)
                seen.setdefault(key, shard.name)
            if problem is not None:
                parts.problems.append(Problem(f"{shard.name}: {problem}", file=str(shard), field=member.name))
                parts.dropped = True
            if parts.dropped or match is None:
                continue
            ext = match.group(2).lower()
            if ext in parts.inline or ext in parts.files:
                parts.problems.append(Problem(f"{shard.name}: duplicate member {member.name!r}", file=str(shard)))
                parts.dropped = True
                continue
            self._take(tar, member, ext, parts)
        if parts is not None:
            yield from self._finish(parts)

    @staticmethod
    def _check(shard: Path, member: tarfile.TarInfo) -> str | None:
        """Return why ``member`` is refused, or None when it is a regular file with a safe relative name."""
        if not is_safe_relative(member.name):
            return f"unsafe member name {member.name!r} (absolute, or climbing out with '..'); nothing was extracted"
        if member.issym() or member.islnk():
            return f"member {member.name!r} is a link to {member.linkname!r}; links are refused"
        if not member.isfile():
            return f"member {member.name!r} is not a regular file (device, FIFO or other); refused"
        return None

    def _take(self, tar: tarfile.TarFile, member: tarfile.TarInfo, ext: str, parts: SampleParts) -> None:
        """Keep a JSON/text member's bytes, or copy a media member under a name of our own."""
        src = tar.extractfile(member)
        if src is None:  # pragma: no cover - regular files always have data
            return
        with src:
            if ext in ("json", "txt"):
                if member.size > MAX_INLINE_BYTES:
                    parts.problems.append(
                        Problem(f"{member.name} is larger than {MAX_INLINE_BYTES} bytes", file=str(parts.shard))
                    )
                    parts.dropped = True
                    return
                parts.inline[ext] = src.read()
                return
            if self.options.media == "none":
                parts.files[ext] = None
                return
            last = ext.rpartition(".")[2]
            suffix = f".{last}" if _EXT_RE.match(last) else ""
            if self._tmp is None:
                self._tmp = Path(tempfile.mkdtemp(prefix="labelhub-wds-"))
            target = self._tmp / f"{self._extracted:09d}{suffix}"
            self._extracted += 1
            with target.open("xb") as out:
                _copy(src, out)
            parts.files[ext] = target

    def _finish(self, parts: SampleParts) -> Iterator[ItemRecord | Problem]:
        yield from parts.problems
        if parts.dropped:
            return
        records = build_record(parts, self._labels, with_media=self.options.media != "none", frame_re=_FRAME_RE)
        # Clips of one video (export option clip_length) are joined back into that video.
        yield from self._clips.feed(parts.shard, parts.key, parts.inline.get("json"), records)


def _copy(src: IO[bytes], out: IO[bytes]) -> None:
    shutil.copyfileobj(src, out, 1 << 20)
