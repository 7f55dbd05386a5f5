"""Nesting limits for the readers of hostile files: a byte-stream guard for streaming JSON, and the XML limit.

Hand-written, as no JSON library bounds depth on a stream (see :class:`JsonDepthGuard`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from labelhub.errors import FormatError

# Containers nested deeper than this are refused before a streaming JSON parser sees them: ijson keeps the
# path of every open level as a growing string, so 100,000 levels (a 200 KB file) would take gigabytes.
# Real files nest under 10 deep; orjson, which reads whole files, stops at 1,024 on its own.
MAX_JSON_DEPTH = 100
_ESCAPE_PAIR = re.compile(rb"\\.", re.S)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class JsonDepthGuard:
    """A binary file wrapper that hands its bytes on unchanged and raises FormatError once the JSON in them
    nests arrays and objects more than :data:`MAX_JSON_DEPTH` deep.

    Hand-written, as no JSON library bounds depth on a stream. Each chunk is checked with C-level bytes calls
    only: escape pairs are dropped, the quotes split strings from the rest (their parity carries the in-string
    state to the next chunk), the brackets outside strings are kept, and matched pairs are removed innermost
    first; what stays open is the nesting, carried on. It does not check the JSON otherwise: the parser does.
    """

    def __init__(self, fh: Any, path: Path, limit: int = MAX_JSON_DEPTH) -> None:
        self._fh = fh
        self._path = path
        self._limit = limit
        self._open = b""  # the brackets still open, outermost first
        self._in_string = False
        self._escape = b""  # a backslash that ended the last chunk and escapes the next byte

    def read(self, size: int = -1) -> bytes:
        """Return the next bytes of the wrapped file, after checking their nesting."""
        data: bytes = self._fh.read(size)
        if data:
            self._check(data)
        return data

    def _check(self, data: bytes) -> None:
        cleaned = _ESCAPE_PAIR.sub(b"", self._escape + data)
        self._escape = b""
        if cleaned.endswith(b"\\"):
            cleaned, self._escape = cleaned[:-1], b"\\"
        parts = cleaned.split(b'"')
        outside = b"".join(parts[1 if self._in_string else 0 :: 2])
        if len(parts) % 2 == 0:
            self._in_string = not self._in_string
        stack = self._open + outside.translate(None, _NOT_BRACKETS)
        passes = 0  # each pass removes the innermost pairs: as many passes as pairs nest
        while True:
            shorter = stack.replace(b"[]", b"").replace(b"{}", b"")
            if len(shorter) == len(stack):
                break
            stack, passes = shorter, passes + 1
            if passes > self._limit:
                self._refuse()
        # What stays is closers that match nothing (the parser reports those) and the brackets still open;
        # the deepest point of the chunk lay at most ``passes`` below them.
        self._open = stack.lstrip(b"]}")
        if len(self._open) + passes > self._limit:
            self._refuse()

    def _refuse(self) -> None:
        raise FormatError(
            f"{self._path.name} nests arrays and objects more than {self._limit} deep; refused",
            file=str(self._path),
        )


# XML elements nested deeper than this are refused while parsing: CVAT files nest 8 deep, VOC files 4, and a
# million nested elements would hold a gigabyte of elements before anything could look at them.
MAX_XML_DEPTH = 64


class XmlTooDeep(Exception):
    """Raised from the XML parser's start-tag handler at the element that nests deeper than MAX_XML_DEPTH."""

    def __init__(self, line: int | None) -> None:
        super().__init__(f"elements nest more than {MAX_XML_DEPTH} deep")
        self.line = line
