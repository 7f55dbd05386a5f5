"""Where a COCO source's JSON file is, and the split its name gives."""

from __future__ import annotations

import re
from pathlib import Path

from labelhub.errors import FormatError

# COCO's own file names carry the split after a task prefix: instances_train2017.json -> train2017.
_SPLIT_RE = re.compile(r"^(?:instances|person_keypoints|captions|image_info|panoptic|stuff)_(.+)$")


def find_annotation_file(source: Path) -> Path:
    """Return the COCO JSON file that ``source`` names: the file itself, or the one in ``annotations/``."""
    if source.is_file():
        if source.suffix.lower() != ".json":
            raise FormatError(f"{source} is not a .json file", file=str(source))
        return source
    if not source.is_dir():
        raise FormatError(f"{source} does not exist", file=str(source))
    candidates = sorted((source / "annotations").glob("*.json")) or sorted(source.glob("*.json"))
    if len(candidates) == 1:
        return candidates[0]
    instances = [p for p in candidates if p.name.startswith("instances_")]
    if len(instances) == 1:
        return instances[0]
    if not candidates:
        raise FormatError(f"no COCO .json file in {source} or {source / 'annotations'}", file=str(source))
    names = ", ".join(p.name for p in candidates)
    raise FormatError(f"several .json files in {source} ({names}); name the one to import", file=str(source))


def split_of(json_path: Path) -> str | None:
    """Return the split a COCO file's name gives (``instances_val2017.json``: ``val2017``); ``default``, the name
    CVAT (and labelhub's folder export) gives a task without subsets, is no split."""
    match = _SPLIT_RE.match(json_path.stem)
    return match.group(1) if match and match.group(1) != "default" else None
