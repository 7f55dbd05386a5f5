"""Where import sources may come from: uploaded files (zips unpacked safely) or allowed server folders."""

from __future__ import annotations

import lzma
import os
import re
import shutil
import stat
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import orjson

from labelhub.errors import FormatError, PermissionDenied, ValidationError
from labelhub.formats import check_options, get_format

if TYPE_CHECKING:
    from labelhub.config import Settings

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
MAX_ZIP_MEMBERS = 2_000_000
# Longer member names cannot be item names, and deeper ones would make os.makedirs recurse out of stack.
MAX_MEMBER_NAME = 1024
MAX_NAME_PART_BYTES = 255  # one file or folder name, as Linux and macOS file systems allow
# A zip that unpacks to more than this many times its own size, and to at least BOMB_FLOOR bytes, is refused as
# a likely zip bomb (real datasets of JPEGs and JSON compress 1-10x; text and zeros compress up to 1,000x).
MAX_ZIP_RATIO = 200
BOMB_FLOOR = 100 << 20
_METHODS = frozenset({zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA})
# What zipfile and the decompressors raise on a damaged archive besides BadZipFile: a name that is not UTF-8
# (ValueError), a member cut short (EOFError), a corrupt stream (zlib.error, lzma.LZMAError, OSError), and
# what the checks before extracting rule out already (NotImplementedError, RuntimeError for encryption).
_UNREADABLE = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    ValueError,
    zlib.error,
    lzma.LZMAError,
    NotImplementedError,
    RuntimeError,
)


def safe_filename(name: str) -> str:
    """Return ``name`` reduced to a plain file name (no folders, no odd characters)."""
    base = _SAFE_NAME.sub("_", Path(name.replace("\\", "/")).name).strip("._") or "upload"
    return base[:150]


def save_upload(uploads_dir: Path, filename: str, stream: BinaryIO, *, max_bytes: int) -> Path:
    """Store an uploaded file in a fresh folder; a ``.zip`` is unpacked there. Returns the import source.

    A zip is unpacked into a folder named like the archive (``<hex>/ds.zip/``), so messages about its files
    read ``ds.zip/annotations/...``, as the person who uploaded it knows them.
    """
    folder = uploads_dir / uuid.uuid4().hex
    folder.mkdir(parents=True)
    target = folder / safe_filename(filename)
    written = 0
    with target.open("wb") as out:
        while chunk := stream.read(1 << 20):
            written += len(chunk)
            if written > max_bytes:
                out.close()
                shutil.rmtree(folder, ignore_errors=True)
                raise ValidationError(f"{filename} is larger than the {max_bytes >> 20} MB upload limit", file=filename)
            out.write(chunk)
    if target.suffix.lower() != ".zip":
        return target
    unpacking = folder / ".unpacking"
    try:
        extract_zip(target, unpacking, max_bytes=max_bytes * 4)
        target.unlink()
        unpacking.rename(target)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # a refused archive must not stay on disk
        raise
    return target


def remove_upload(uploads_dir: Path, source: Path) -> bool:
    """Delete the upload folder ``source`` lies in (``uploads_dir/<hex>/...``); False when it is not an upload."""
    if not source.is_relative_to(uploads_dir):
        return False
    parts = source.relative_to(uploads_dir).parts
    if len(parts) < 2:
        return False
    shutil.rmtree(uploads_dir / parts[0], ignore_errors=True)
    return True


def extract_zip(archive: Path, dest: Path, *, max_bytes: int) -> None:
    """Unpack ``archive`` into ``dest``, refusing paths that escape it, symlinks, and zip bombs.

    Every member is checked before anything is written; a member that still cannot be written (a name used
    as both a file and a folder, a damaged stream, a size that lies) raises FormatError naming it.
    """
    dest.mkdir(parents=True, exist_ok=True)
    root = dest.resolve()
    try:
        with zipfile.ZipFile(archive) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_MEMBERS:
                raise FormatError(f"{archive.name} has more than {MAX_ZIP_MEMBERS} entries", file=archive.name)
            total = sum(i.file_size for i in infos)
            if total > max_bytes:
                raise FormatError(f"{archive.name} unpacks to more than {max_bytes >> 20} MB", file=archive.name)
            _check_ratio(archive, total)
            seen: dict[Path, str] = {}
            for info in infos:
                target = _check_member(archive, info, root)
                if info.is_dir():
                    continue
                if target in seen:
                    why = f"appears twice in the archive (first as {seen[target]!r}); nothing was unpacked"
                    raise _member_error(archive, info, why)
                seen[target] = info.filename
            for info in infos:
                try:
                    zf.extract(info, root)
                except (*_UNREADABLE, OSError) as exc:
                    raise _member_error(archive, info, f"cannot be unpacked: {exc}") from None
    except _UNREADABLE as exc:
        raise FormatError(f"{archive.name} is not a readable zip file: {exc}", file=archive.name) from None
    except OSError as exc:
        raise FormatError(f"{archive.name} cannot be read: {exc}", file=archive.name) from None


def _member_error(archive: Path, info: zipfile.ZipInfo, why: str) -> FormatError:
    name = info.filename if len(info.filename) <= 200 else f"{info.filename[:197]}..."
    return FormatError(f"{archive.name}: {name} {why}", file=archive.name, field=name)


def _check_ratio(archive: Path, total: int) -> None:
    size = max(archive.stat().st_size, 1)
    if total >= BOMB_FLOOR and total > MAX_ZIP_RATIO * size:
        raise FormatError(
            f"{archive.name} would unpack to {total >> 20:,} MB, {total // size:,} times its own size: refused as a "
            f"likely zip bomb (at most {MAX_ZIP_RATIO} times, for archives that unpack to {BOMB_FLOOR >> 20} MB or"
            " more)",
            file=archive.name,
        )


def _check_member(archive: Path, info: zipfile.ZipInfo, root: Path) -> Path:
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise _member_error(archive, info, "is a symbolic link; links are refused")
    if info.flag_bits & 0x1:
        raise _member_error(archive, info, "is encrypted; zip the files again without a password")
    if info.compress_type not in _METHODS:
        raise _member_error(archive, info, f"uses compression method {info.compress_type}, which is not supported")
    if len(info.filename) > MAX_MEMBER_NAME or any(
        len(part.encode("utf-8", "surrogateescape")) > MAX_NAME_PART_BYTES for part in info.filename.split("/")
    ):
        why = f"has a name too long to unpack (over {MAX_MEMBER_NAME} characters, or a part over 255 bytes)"
        raise _member_error(archive, info, why)
    target = (root / info.filename).resolve()
    if not target.is_relative_to(root):
        raise FormatError(
            f"{archive.name}: {info.filename} would be written outside the upload folder",
            file=archive.name,
            field=info.filename,
        )
    return target


@dataclass(frozen=True, slots=True)
class ServerRoots:
    """Where a remote caller may point the server: inside one of ``allowed`` (LABELHUB_IMPORT_ROOTS), and never
    inside labelhub's own data folder ``home``, whose exports, uploads and media belong to projects (a root that
    holds the home folder, ``/data`` beside ``/data/labelhub``, would otherwise hand them to any manager).
    ``upload``: the one upload folder (``HOME/uploads/<hex>``) an uploaded dataset's own files lie in, allowed
    although it is inside the home."""

    allowed: tuple[Path, ...]
    home: Path | None = None
    upload: Path | None = None


def server_roots(settings: Settings) -> ServerRoots:
    return ServerRoots(tuple(settings.import_roots), settings.home)


class _Resolved:
    """``roots`` with every folder resolved once, for checking many paths."""

    def __init__(self, roots: ServerRoots) -> None:
        self.home = roots.home.expanduser().resolve() if roots.home is not None else None
        self.allowed = [Path(r).expanduser().resolve() for r in roots.allowed]
        self.upload = roots.upload.expanduser().resolve() if roots.upload is not None else None

    def refusal(self, source: str, typed: Path, path: Path) -> str | None:
        """Say why ``typed`` (as given), whose real path is ``path``, may not be read; None when it may."""
        if self.upload is not None and path.is_relative_to(self.upload):
            return None
        if self.home is not None and path.is_relative_to(self.home):
            where = f" (it is a link to {path})" if _linked(typed, path) else ""
            return (
                f"{source} is inside labelhub's own data folder (LABELHUB_HOME){where}, which is never read by path: "
                "download an export and upload it, or import from another folder"
            )
        if not any(path.is_relative_to(r) for r in self.allowed):
            # A symbolic link inside an allowed folder is followed, and where it leads is what counts; so is ``..``.
            inside = typed.is_absolute() and any(typed.is_relative_to(r) for r in self.allowed)
            where = ""
            if inside and path != typed:
                lead = "is a link" if _linked(typed, path) else "leads"
                where = f" (it {lead} to {path}, which is not)"
            return (
                f"{source} is not inside an allowed import folder{where}; upload the file, or ask an administrator to "
                "add its folder to LABELHUB_IMPORT_ROOTS"
            )
        return None


def _linked(typed: Path, path: Path) -> bool:
    return path != typed and any(p.is_symlink() for p in (typed, *typed.parents))


def check_server_path(source: str, roots: ServerRoots | Iterable[Path], *, field: str = "source") -> Path:
    """Return ``source`` resolved, when it lies inside one of the allowed roots; otherwise refuse, naming ``field``
    (the request's field that held the path: an import's ``source``, a model registration's ``path``)."""
    if not isinstance(roots, ServerRoots):
        roots = ServerRoots(tuple(roots))
    typed = Path(source).expanduser()
    path = typed.resolve()
    refusal = _Resolved(roots).refusal(source, typed, path)
    if refusal is not None:
        raise PermissionDenied(refusal, field=field)
    if not path.exists():
        raise ValidationError(f"{source} does not exist on the server", field=field)
    return path


def import_roots_for(settings: Settings, source: Path) -> ServerRoots | None:
    """Return the roots every media file of an import of ``source`` must lie in (after links), or None.

    An import the API could have started (a source inside LABELHUB_IMPORT_ROOTS and outside the home, or an upload)
    reads media only from the import roots (an upload: from its own folder too), so a link placed in a shared
    folder cannot pull in another file of the server. A source the API would refuse (the CLI reading a folder of
    its own machine) gets None: nothing to hold it to.
    """
    roots = server_roots(settings)
    uploads = settings.uploads_dir.expanduser().resolve()
    real = source.expanduser().resolve()
    if real.is_relative_to(uploads) and len(real.relative_to(uploads).parts) > 1:
        return ServerRoots(roots.allowed, roots.home, uploads / real.relative_to(uploads).parts[0])
    if _Resolved(roots).refusal(str(source), source.expanduser(), real) is None:
        return roots
    return None


class MediaGuard:
    """Checks media files an import resolves, by the rule :func:`check_server_path` applies to the request's path.

    Built once per import: the roots are resolved once and the real path of each folder is remembered, so 100k
    files side by side cost one ``lstat`` each more.
    """

    def __init__(self, roots: ServerRoots) -> None:
        self._roots = _Resolved(roots)
        self._folders: dict[Path, Path] = {}
        self._work_named = Path(os.path.abspath(tempfile.gettempdir()))
        self._work = self._work_named.resolve()

    def refusal(self, path: Path) -> str | None:
        """Say why the media file ``path`` may not be read (naming it and where its link leads); None when it may."""
        typed = Path(os.path.abspath(path))
        folder = self._folders.get(typed.parent)
        if folder is None:
            folder = self._folders[typed.parent] = typed.parent.resolve()
        real = typed.resolve() if typed.is_symlink() else folder / typed.name
        if self._own_work_file(typed, real):
            return None
        refusal = self._roots.refusal(str(path), typed, real)
        if refusal is None:
            return None
        return refusal.split(";", 1)[0] + "; the file was not read"

    def _own_work_file(self, typed: Path, real: Path) -> bool:
        """A file the format itself unpacked (a WebDataset shard's members) into a ``labelhub-*`` folder of the
        system's temporary folder: named there directly, not reached through a link from the dataset."""
        if not typed.is_relative_to(self._work_named):
            return False
        rel = typed.relative_to(self._work_named)
        return len(rel.parts) > 1 and rel.parts[0].startswith("labelhub-") and real == self._work / rel


# Format options a remote caller may not set: where the server writes a report.
_SERVER_ONLY_OPTIONS = frozenset({"report_path", "format_meta", "project_name"})


def form_options(raw: str | None) -> dict[str, str]:
    """Parse the ``options`` field of a multipart upload: a JSON object whose values are strings."""
    if raw is None or not raw.strip():
        return {}
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ValidationError(f"options must be a JSON object: {exc}", field="options") from None
    if not isinstance(parsed, dict):
        raise ValidationError(f"options must be a JSON object, got {type(parsed).__name__}", field="options")
    for key, value in parsed.items():
        if not isinstance(value, str):
            raise ValidationError(f"option {key!r} must be a string, got {value!r}", field=f"options.{key}")
    return parsed


def checked_options(
    options: dict[str, str], roots: ServerRoots | Iterable[Path], *, fmt: str = "auto", side: str = "any"
) -> dict[str, str]:
    """Return format options from an API caller, with every path-like option checked against the roots.

    Options naming a file or folder (keys ending in ``_dir``, ``_path``, ``_file``, or ``video``) can make a
    format read from the server's disk, so they must lie inside LABELHUB_IMPORT_ROOTS like the source does.
    A key the format ``fmt`` does not read on ``side`` (``import`` or ``export``; with ``auto`` or ``any``: a key
    no format reads) is refused, naming ``options.KEY`` and the closest known key; the import and export
    services check the keys again against the format actually used.
    """
    out: dict[str, str] = {}
    for key, value in options.items():
        if key in _SERVER_ONLY_OPTIONS:
            raise PermissionDenied(f"option {key!r} can only be set on the server", field=f"options.{key}")
        if key.endswith(("_dir", "_path", "_file")) or key == "video":
            try:
                value = str(check_server_path(value, roots))
            except (PermissionDenied, ValidationError) as exc:
                raise type(exc)(exc.detail, field=f"options.{key}") from None
        out[key] = value
    spec = get_format(fmt) if fmt != "auto" else None
    check_options(spec, out, side if spec is not None else "any")
    return out
