"""COCO captions JSON (import only): ``images`` and ``annotations: [{image_id, caption}]``, for text search.

Each image becomes one image item named by its ``file_name``, with its captions in
``meta["captions"] = [{"text": ..., "lang": "en"}, ...]``. Imported into a project that already holds those
images (same names), the import service merges the captions into the existing items instead of adding new
ones. The language of the COCO captions is ``extra["lang"]`` (default ``en``; STAIR captions, for example,
are Japanese in the COCO layout).

XTD10 (multilingual captions for 1,000 COCO images) is read too when its folder is found: ``extra["xtd10_dir"]``,
or an ``xtd10/`` folder next to the source (or next to its ``annotations/`` folder); ``extra["xtd10"] = false``
skips it. Its layout: ``XTD10/test_image_names.txt`` lists ``COCO_<split>2014_<id>.jpg``, and line *i* of every
``*/test_1kcaptions_<lang>.txt`` is a caption of the image on line *i*. COCO 2014 and 2017 share image ids, so
captions attach to the images of the COCO file by id; XTD10 images the file does not list are left out.
A caption that repeats one the image already has (ignoring case, spaces and punctuation) is not added again.

The files are read with ijson, one array element at a time: captions files list every image before its
captions, and the train file is 90 MB.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ijson
import orjson

from labelhub.domain.enums import ItemKind
from labelhub.domain.records import ItemRecord, Problem
from labelhub.errors import FormatError
from labelhub.formats._common import MediaResolver, image_size, is_safe_relative
from labelhub.formats._encoding import bad_byte_in_file, json_error, not_utf8
from labelhub.formats._guards import MAX_INT, find_media, storable
from labelhub.formats._nesting import JsonDepthGuard
from labelhub.formats.base import FormatImporter, ImportOptions

__all__ = ["CocoCaptionsImporter", "detect", "is_captions_head", "sniff"]

_SNIFF_BYTES = 1 << 20
_SPLIT_RE = re.compile(r"^captions_(.+)$")
_XTD_NAME = re.compile(r"^COCO_(?:train|val)2014_0*(\d+)\.jpg$")
_XTD_FILE = re.compile(r"^test_1kcaptions_([a-z]{2,3})\.txt$")
# XTD10 names the Japanese file "jp"; captions carry ISO 639-1 codes.
_LANG_CODES = {"jp": "ja"}
_OFF = frozenset({"0", "false", "no", "off", "none"})
_WORDS = re.compile(r"\w+")


def sniff(path: Path, size: int) -> tuple[bytes, bytes]:
    """Return the first and the last ``size`` bytes of a file (the tail is empty when the head holds it all)."""
    with path.open("rb") as fh:
        head = fh.read(size)
        if len(head) < size:
            return head, b""
        fh.seek(0, 2)
        end = fh.tell()
        fh.seek(max(size, end - size))
        return head, fh.read()


def is_captions_head(path: Path, head: bytes, tail: bytes) -> bool:
    """Return True when the start and end of a JSON file look like COCO captions: captions, and no boxes.

    Captions files list all images first, so in a large one only the tail shows the ``caption`` keys.
    """
    text = head + tail
    if not head.lstrip().startswith(b"{") or b'"bbox"' in text or b'"categories"' in text:
        return False
    return b'"caption"' in text or path.name.startswith("captions_")


def _candidates(source: Path) -> list[Path]:
    if source.is_file():
        return [source] if source.suffix.lower() == ".json" else []
    if not source.is_dir():
        return []
    return sorted((source / "annotations").glob("*.json")) or sorted(source.glob("*.json"))


def _is_captions(path: Path) -> bool:
    try:
        head, tail = sniff(path, _SNIFF_BYTES)
    except OSError:
        return False
    return is_captions_head(path, head, tail)


def detect(path: Path) -> bool:
    """Return True when ``path`` is a COCO captions file, or a folder holding one (in ``annotations/``)."""
    return any(_is_captions(p) for p in _candidates(path))


def _norm(text: str) -> str:
    return " ".join(_WORDS.findall(text.casefold()))


@dataclass(slots=True)
class _Image:
    index: int
    id: int
    name: str
    width: int | None
    height: int | None


@dataclass(slots=True)
class _File:
    """One captions file: its valid images in file order and the captions of each image id."""

    path: Path
    split: str | None
    images: list[_Image] = field(default_factory=list)
    captions: dict[int, list[str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def _pixels(value: Any) -> int | None:
    if type(value) is float and value.is_integer():
        value = int(value)
    return value if type(value) is int and 0 < value <= MAX_INT else None


class CocoCaptionsImporter(FormatImporter):
    """Reads COCO captions files (and XTD10 when found); yields one image item per image with its captions."""

    item_kind = ItemKind.IMAGE

    def __init__(self, source: Path, options: ImportOptions) -> None:
        super().__init__(source, options)
        self.files = [p for p in _candidates(source) if _is_captions(p)]
        if not self.files:
            raise FormatError(f"no COCO captions .json file at {source} (or in its annotations/)", file=str(source))
        lang = options.extra.get("lang", "en")
        if not isinstance(lang, str) or not lang.strip():
            raise FormatError("option lang must be a language code such as en", field="lang")
        self.lang = lang.strip()
        self.xtd10 = self._xtd10_dir()
        self._loaded: list[_File] | None = None
        self._xtd: dict[int, list[tuple[str, str]]] | None = None

    def _xtd10_dir(self) -> Path | None:
        extra = self.options.extra
        if str(extra.get("xtd10", "")).strip().lower() in _OFF:
            return None
        named = extra.get("xtd10_dir")
        if named:
            root = Path(str(named))
            if _names_file(root) is None:
                raise FormatError(f"{root} has no XTD10/test_image_names.txt", file=str(root), field="xtd10_dir")
            return root
        base = self.source if self.source.is_dir() else self.source.parent
        for folder in (base / "xtd10", base.parent / "xtd10"):
            if _names_file(folder) is not None:
                return folder
        return None

    def labels(self) -> list[str]:
        """Captions carry no classes."""
        return []

    def total(self) -> int | None:
        """Return the number of valid image entries over all files."""
        return sum(len(f.images) for f in self._load())

    def _load(self) -> list[_File]:
        if self._loaded is None:
            self._loaded = [self._read(p) for p in self.files]
        return self._loaded

    def _read(self, path: Path) -> _File:
        match = _SPLIT_RE.match(path.stem)
        result = _File(path=path, split=match.group(1) if match else None)
        seen: dict[int, int] = {}
        file = str(path)
        for i, img in self._elements(path, "images.item"):
            iid = img.get("id") if type(img) is dict else None
            if type(iid) is not int:
                result.problems.append(Problem("an image needs an integer id", file=file, field=f"images[{i}].id"))
                continue
            if iid in seen:
                msg = f"duplicate image id {iid} (first at images[{seen[iid]}])"
                result.problems.append(Problem(msg, file=file, field=f"images[{i}].id"))
                continue
            seen[iid] = i
            name = img.get("file_name")
            name = name.replace("\\", "/") if type(name) is str else name
            if type(name) is not str or not is_safe_relative(name):
                msg = f"file_name must be a relative path without '..', got {name!r}"
                result.problems.append(Problem(msg, file=file, field=f"images[{i}].file_name"))
                continue
            result.images.append(_Image(i, iid, name, _pixels(img.get("width")), _pixels(img.get("height"))))
        if not seen and not result.problems:
            raise FormatError(f"{path.name} lists no images", file=file, field="images")
        for j, ann in self._elements(path, "annotations.item"):
            image_id = ann.get("image_id") if type(ann) is dict else None
            text = ann.get("caption") if type(ann) is dict else None
            if type(image_id) is not int or image_id not in seen:
                msg = f"unknown image_id {image_id!r}"
                result.problems.append(Problem(msg, file=file, field=f"annotations[{j}].image_id"))
            elif type(text) is not str or not text.strip():
                msg = f"caption must be non-empty text, got {text!r:.60}"
                result.problems.append(Problem(msg, file=file, field=f"annotations[{j}].caption"))
            else:
                result.captions.setdefault(image_id, []).append(text.strip())
        return result

    def _elements(self, path: Path, prefix: str) -> Iterator[tuple[int, Any]]:
        """Yield ``(index, element)`` of one top-level array, streamed; a syntax error names its line."""
        with path.open("rb") as fh:
            if not fh.read(_SNIFF_BYTES).lstrip().startswith(b"{"):
                raise FormatError(f"{path.name} is not a COCO captions object", file=str(path))
            fh.seek(0)
            try:
                yield from enumerate(ijson.items(JsonDepthGuard(fh, path), prefix, use_float=True))
            except (ijson.JSONError, UnicodeDecodeError) as exc:  # the latter: a lone surrogate such as "\ud800"
                raise _syntax_error(path, exc) from None

    def _xtd10(self) -> dict[int, list[tuple[str, str]]]:
        """Return XTD10 captions by COCO image id as (lang, text), read once."""
        if self._xtd is not None:
            return self._xtd
        self._xtd = {}
        if self.xtd10 is None:
            return self._xtd
        names_file = _names_file(self.xtd10)
        assert names_file is not None  # checked when the folder was chosen
        ids = [_xtd_id(line) for line in _lines(names_file)]
        for path in sorted(self.xtd10.rglob("test_1kcaptions_*.txt")):
            match = _XTD_FILE.match(path.name)
            if match is None:
                continue
            lang = _LANG_CODES.get(match.group(1), match.group(1))
            lines = _lines(path)
            if len(lines) > len(ids):
                msg = f"{path.name} has {len(lines)} lines but {names_file.name} names {len(ids)} images"
                raise FormatError(msg, file=str(path), line=len(ids) + 1)
            for iid, text in zip(ids, lines, strict=False):
                if iid is not None and text.strip():
                    self._xtd.setdefault(iid, []).append((lang, text.strip()))
        return self._xtd

    def __iter__(self) -> Iterator[ItemRecord | Problem]:
        """Yield each file's problems, then one item per image with its captions."""
        return storable(self._records(), self.source)

    def _records(self) -> Iterator[ItemRecord | Problem]:
        xtd = self._xtd10()
        with_media = self.options.media != "none"
        for f in self._load():
            yield from f.problems
            json_dir = f.path.parent
            guess = f.split or "images"
            resolver = MediaResolver(
                self.options.images_dir,
                [json_dir, json_dir / "images", json_dir.parent / "images" / guess, json_dir.parent / "images"],
            )
            for img in f.images:
                item = ItemRecord(
                    kind=ItemKind.IMAGE,
                    name=img.name,
                    width=img.width,
                    height=img.height,
                    external_id=str(img.id),
                    split=f.split,
                    origin=f"{f.path.name}: images[{img.index}]",
                )
                captions = self._captions(f.captions.get(img.id, []), xtd.get(img.id, []))
                if captions:
                    item.meta["captions"] = captions
                if with_media:
                    problem = self._attach_media(item, resolver, f.path, img.index)
                    if problem is not None:
                        yield problem
                        continue
                yield item

    def _captions(self, own: list[str], xtd: list[tuple[str, str]]) -> list[dict[str, str]]:
        out = [{"text": text, "lang": self.lang} for text in own]
        known = {(c["lang"], _norm(c["text"])) for c in out}
        for lang, text in xtd:
            key = (lang, _norm(text))
            if key not in known:
                known.add(key)
                out.append({"text": text, "lang": lang})
        return out

    def _attach_media(self, item: ItemRecord, resolver: MediaResolver, json_path: Path, i: int) -> Problem | None:
        found = find_media(resolver, item.name)
        where = f"images[{i}].file_name"
        if found is None:
            folders = ", ".join(str(p) for p in resolver.folders) or "no existing folder"
            msg = f"image file {item.name!r} not found (looked in {folders})"
            return Problem(msg, file=str(json_path), field=where)
        item.media_path = found
        if item.width is None or item.height is None:
            try:
                item.width, item.height = image_size(found)
            except FormatError as exc:
                return Problem(exc.detail, file=str(json_path), field=where)
        return None


def _names_file(folder: Path) -> Path | None:
    for candidate in (folder / "XTD10" / "test_image_names.txt", folder / "test_image_names.txt"):
        if candidate.is_file():
            return candidate
    return None


def _xtd_id(line: str) -> int | None:
    match = _XTD_NAME.match(line.strip())
    return int(match.group(1)) if match else None


def _lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        where = bad_byte_in_file(path)
        if where is not None:
            raise not_utf8(path.name, where, str(path)) from None
        raise FormatError(f"{path.name} is not UTF-8 text", file=str(path)) from None
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc}", file=str(path)) from None
    # Only "\n" ends a line: str.splitlines() would also split at U+2028 or U+0085 inside a caption and shift
    # every later line onto the wrong image.
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    return lines[:-1] if lines and not lines[-1] else lines


def _syntax_error(path: Path, exc: Exception) -> FormatError:
    # ijson reports no position; on this error path only, orjson finds the line and column.
    try:
        orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as err:
        return json_error(path, err)
    except OSError:
        pass
    return FormatError(f"{path.name} is not valid JSON: {exc}", file=str(path))
