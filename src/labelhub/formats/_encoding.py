"""Where a file stops being UTF-8: the line and column of the first bad byte, for messages a person can act on.

Python's decoder reports a byte offset into whatever chunk it was given, and orjson reports every encoding error
at line 1, column 1 ("str is not valid UTF-8: surrogates not allowed"). On those error paths only, the bytes are
scanned again here, in chunks, so a large file is never held whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import orjson

from labelhub.errors import FormatError

_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class BadByte:
    """The first byte that is not UTF-8: its value, 1-based line, and 1-based column counted in characters."""

    byte: int
    line: int
    column: int

    def describe(self) -> str:
        """``byte 0xe9 at line 2, column 17``."""
        return f"byte 0x{self.byte:02x} at line {self.line}, column {self.column}"


def first_bad_byte(data: bytes, line: int = 1) -> BadByte | None:
    """Return where ``data`` (the start of a file, or a line numbered ``line``) stops being UTF-8, or None."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _locate(data, exc.start, line, 0)
    return None


def _locate(data: bytes, bad: int, line: int, column: int) -> BadByte:
    """Position of ``data[bad]`` given the line and column (characters so far) ``data`` starts at."""
    before = data[:bad]
    newlines = before.count(b"\n")
    if newlines:
        line += newlines
        column = 0
        before = before[before.rindex(b"\n") + 1 :]
    return BadByte(data[bad], line, column + len(before.decode("utf-8", "replace")) + 1)


def bad_byte_in_file(path: Path) -> BadByte | None:
    """Return where the file ``path`` stops being UTF-8, or None when it is UTF-8 throughout (or unreadable)."""
    line, column, carry = 1, 0, b""
    try:
        with path.open("rb") as fh:
            while True:
                chunk = fh.read(_CHUNK)
                data = carry + chunk
                if not data:
                    return None
                try:
                    data.decode("utf-8")
                    good = len(data)
                except UnicodeDecodeError as exc:
                    # A character cut at the chunk's end is finished by the next chunk.
                    if chunk and exc.reason == "unexpected end of data" and len(data) - exc.start < 4:
                        good = exc.start
                    else:
                        return _locate(data, exc.start, line, column)
                done, carry = data[:good], data[good:]
                if b"\n" in done:
                    line += done.count(b"\n")
                    column = len(done[done.rindex(b"\n") + 1 :].decode("utf-8"))
                else:
                    column += len(done.decode("utf-8"))
                if not chunk:
                    return None
    except OSError:
        return None


def not_utf8(name: str, where: BadByte, file: str) -> FormatError:
    """The error for a file that is not UTF-8, naming the bad byte and its line and column."""
    return FormatError(
        f"{name} is not valid UTF-8: {where.describe()} (save the file as UTF-8)",
        file=file,
        line=where.line,
        column=where.column,
    )


def json_error(path: Path, exc: orjson.JSONDecodeError, raw: bytes | None = None) -> FormatError:
    """The error for a JSON file orjson refused: a bad byte's own position when it is an encoding error."""
    if "UTF-8" in exc.msg:
        where = first_bad_byte(raw) if raw is not None else bad_byte_in_file(path)
        if where is not None:
            return not_utf8(path.name, where, str(path))
    return FormatError(
        f"{path.name} is not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
        file=str(path),
        line=exc.lineno,
        column=exc.colno,
    )
