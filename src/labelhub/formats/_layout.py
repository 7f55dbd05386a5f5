"""Where a dataset starts inside the folder a person named or uploaded, and what an image-folder read may miss.

``zip -r ds.zip ds/`` and an OS's "Compress folder" put the whole dataset in one top-level folder; so does a
server folder that holds a dataset one level down. :func:`dataset_root` steps into such a folder, so the
formats see the layout they expect (``annotations/`` and ``images/``) and item names do not start with it.
"""

from __future__ import annotations

import os
from pathlib import Path

from labelhub.formats._common import is_image

# What archivers add beside the content: macOS's resource forks and Finder files, Windows' thumbnails.
_IGNORED = frozenset({"__MACOSX", "Thumbs.db", "desktop.ini"})
#: Suffixes of files that may hold annotations, named when a folder is read as plain images.
ANNOTATION_SUFFIXES = frozenset({".json", ".jsonl", ".xml", ".txt", ".csv", ".yaml", ".yml"})
_MAX_LOOKED_AT = 10_000  # entries walked when looking for annotation files: a hint, not a scan of 1M images


def _content(folder: Path) -> list[Path]:
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    return [p for p in entries if not p.name.startswith(".") and p.name not in _IGNORED]


def dataset_root(source: Path) -> Path:
    """Return the folder to read ``source`` from: itself, or, when its only content (hidden files, ``__MACOSX``
    and the like left aside) is one folder that holds more than images, that folder, repeatedly.

    A single folder holding only images stays as it is: it is a class folder (``image_folder``) or an image
    sequence (``video``), whose name is part of what it says.
    """
    current = source
    for _ in range(8):  # a dataset is never wrapped deeper than this; a link loop must not spin
        if not current.is_dir():
            return current
        content = _content(current)
        if len(content) != 1 or not content[0].is_dir() or content[0].is_symlink():
            return current
        inner = content[0]
        if all(p.is_file() and is_image(p) for p in _content(inner)):
            return current
        current = inner
    return current


def annotation_files(folder: Path, limit: int = 3) -> list[Path]:
    """Return up to ``limit`` files under ``folder`` that may hold annotations (by suffix), nearest first."""
    found: list[Path] = []
    looked = 0
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in _IGNORED)
        for name in sorted(filenames):
            looked += 1
            if not name.startswith(".") and Path(name).suffix.lower() in ANNOTATION_SUFFIXES:
                found.append(Path(dirpath) / name)
                if len(found) >= limit:
                    return found
        if looked > _MAX_LOOKED_AT:
            break
    return found
