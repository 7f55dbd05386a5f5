"""Streaming a Label Studio JSON export: tasks one at a time with ijson, and errors that name the line.

Label Studio writes its exports with Python's ``json`` module, which spells a NaN or an infinite float as the
bare words ``NaN`` and ``Infinity``; strict JSON parsers (ijson's yajl backend, orjson) refuse them and would
reject the whole file for one bad number. :class:`NanTolerantReader` turns those words, where they stand
outside strings, into the strings ``"NaN"`` and ``"Infinity"``, so the number checks report the one
annotation as a problem. No library does this filtering on a stream, so it is hand-written: chunks without
either word only update the in-string state with two C-level calls (removing escape pairs, counting quotes).

ijson reports no position for a syntax error, so the reader counts lines as it hands out chunks: the error
lies in the last chunk. For files up to :data:`EXACT_LIMIT` the exact line and column then come from orjson
parsing the whole file once, on that error path only.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import ijson
import orjson

from labelhub.errors import FormatError
from labelhub.formats._encoding import bad_byte_in_file, not_utf8
from labelhub.formats._nesting import JsonDepthGuard

CHUNK = 1 << 16
EXACT_LIMIT = 64 << 20
_ESCAPE = re.compile(rb"\\.", re.S)
_OUTSIDE = re.compile(rb'"|-?Infinity|NaN')
_STRING_REST = re.compile(rb'(?:[^"\\]|\\.)*"', re.S)
# The start of a bare word cut at the end of a chunk (``Na`` | ``N``), kept for the next chunk.
_WORD_TAIL = re.compile(rb"[A-Za-z-]+\Z")
_BOM = b"\xef\xbb\xbf"


class NanTolerantReader:
    """A binary file wrapper for ijson that quotes bare NaN/Infinity and counts the lines handed out."""

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self._carry = b""
        self._in_string = False
        self._first = True
        self.line_start = 1  # line number of the first byte of the last chunk handed out
        self.line_end = 1  # line number of its last byte

    def read(self, size: int = -1) -> bytes:
        """Return the next chunk (at most about ``size`` bytes), filtered."""
        if size == 0:
            return b""
        while True:
            data = self._fh.read(size if size > 0 else CHUNK)
            buf = self._carry + data
            self._carry = b""
            if self._first:
                if data and len(buf) < len(_BOM):
                    self._carry = buf
                    continue
                self._first = False
                buf = buf.removeprefix(_BOM)
            if data:
                cut = _cut(buf)
                buf, self._carry = buf[:cut], buf[cut:]
                if not buf:
                    continue  # all of it may go on in the next chunk; an empty read would mean the end
            break
        out = self._filter(buf)
        self.line_start = self.line_end
        self.line_end += out.count(b"\n")
        return out

    def _filter(self, buf: bytes) -> bytes:
        if b"NaN" not in buf and b"Infinity" not in buf:
            if _ESCAPE.sub(b"", buf).count(b'"') % 2:
                self._in_string = not self._in_string
            return buf
        parts: list[bytes] = []
        pos = last = 0
        while pos < len(buf):
            if self._in_string:
                end = _STRING_REST.match(buf, pos)
                if end is None:
                    break  # the string goes on in the next chunk
                pos, self._in_string = end.end(), False
                continue
            found = _OUTSIDE.search(buf, pos)
            if found is None:
                break
            pos = found.end()
            if found.group() == b'"':
                self._in_string = True
            else:
                parts += [buf[last : found.start()], b'"', found.group(), b'"']
                last = pos
        parts.append(buf[last:])
        return b"".join(parts)


def _cut(buf: bytes) -> int:
    """Return where the part of ``buf`` that may continue in the next chunk starts (``len(buf)`` if none).

    That is a run of backslashes (an escape cut in two) or up to 9 letters (``-Infinity`` cut in two).
    """
    kept = buf.rstrip(b"\\")
    if len(kept) < len(buf):
        return len(kept)
    word = _WORD_TAIL.search(buf[-9:])
    return len(buf) - len(word.group()) if word is not None else len(buf)


def first_byte(path: Path) -> bytes:
    """Return the first byte of ``path`` that is not whitespace or a BOM (empty for an empty file)."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4096).removeprefix(_BOM).lstrip()
    except OSError as exc:
        raise FormatError(f"cannot read {path}: {exc}", file=str(path)) from None
    return head[:1]


def iter_tasks(path: Path) -> Iterator[Any]:
    """Yield each task of a Label Studio export (a JSON list of tasks, or one task object), streaming.

    Raises FormatError naming the file and line when the file is not valid JSON or not a list of tasks.
    """
    start = first_byte(path)
    if start not in (b"[", b"{"):
        what = "empty" if not start else f"starts with {start.decode(errors='replace')!r}"
        raise FormatError(
            f"{path.name} is not a Label Studio JSON export (a list of tasks): the file is {what}",
            file=str(path),
            line=1,
        )
    prefix = "item" if start == b"[" else ""
    with path.open("rb") as fh:
        reader = NanTolerantReader(fh)
        try:
            yield from ijson.items(JsonDepthGuard(reader, path), prefix, use_float=True, buf_size=CHUNK)
        except (ijson.JSONError, UnicodeDecodeError) as exc:  # the latter: a lone surrogate such as "\ud800"
            raise _syntax_error(path, reader, exc) from None


def _syntax_error(path: Path, reader: NanTolerantReader, exc: Exception) -> FormatError:
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    exact = _exact_position(path)
    if (exact is not None and "UTF-8" in exact[0]) or isinstance(exc, UnicodeDecodeError):
        bad = bad_byte_in_file(path)
        if bad is not None:
            return not_utf8(path.name, bad, str(path))
    if exact is not None:
        msg, line, column = exact
        return FormatError(
            f"{path.name} is not valid JSON: {msg} (line {line}, column {column})",
            file=str(path),
            line=line,
            column=column,
        )
    lo, hi = reader.line_start, reader.line_end
    where = f"line {lo}" if lo == hi else f"between lines {lo} and {hi}"
    return FormatError(f"{path.name} is not valid JSON: {reason} ({where})", file=str(path), line=lo)


def _exact_position(path: Path) -> tuple[str, int, int] | None:
    """Return orjson's message, line and column for a file small enough to parse whole, else None."""
    try:
        if path.stat().st_size > EXACT_LIMIT:
            return None
        with path.open("rb") as fh:
            reader = NanTolerantReader(fh)
            data = b"".join(iter(lambda: reader.read(CHUNK), b""))
        orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return exc.msg, exc.lineno, exc.colno
    except OSError:
        return None
    return None
