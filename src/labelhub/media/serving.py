"""How stored files go out over HTTP: they come from users, so nothing in them may run as a page of labelhub.

A file named ``cat.html`` whose bytes are a valid PNG (with a script appended) imports as an image; served as
``text/html`` and ``inline`` it would run in the reader's session. So:

- only image, video and audio types are served ``inline`` (what ``<img>`` and ``<video>`` show), SVG excepted
  (an SVG may hold script); anything else goes out as ``application/octet-stream``, ``attachment``;
- every stored file carries ``X-Content-Type-Options: nosniff`` (the browser keeps the declared type) and
  ``Content-Security-Policy: sandbox`` (opened directly, the file is in an opaque origin with scripts off).
"""

from __future__ import annotations

from typing import Literal

__all__ = ["FILE_HEADERS", "served_type"]

OCTET_STREAM = "application/octet-stream"
_INLINE_PREFIXES = ("image/", "video/", "audio/")
_NEVER_INLINE = frozenset({"image/svg+xml"})

FILE_HEADERS: dict[str, str] = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}


def served_type(mime: str | None) -> tuple[str, Literal["inline", "attachment"]]:
    """The type and disposition to serve a stored file of type ``mime`` with."""
    base = (mime or "").split(";", 1)[0].strip().lower()
    if base.startswith(_INLINE_PREFIXES) and base not in _NEVER_INLINE:
        return base, "inline"
    return OCTET_STREAM, "attachment"
