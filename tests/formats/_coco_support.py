"""Helpers the COCO format tests share: writing small COCO files and exporting records."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from labelhub.domain.records import ItemRecord
from labelhub.formats.base import ExportItem, ExportOptions
from labelhub.formats.coco import CocoExporter


def export_records(dest: Path, items: list[ItemRecord], labels: list[str], meta: dict[str, Any] | None = None) -> None:
    options = ExportOptions(extra={"format_meta": meta} if meta is not None else {})
    with CocoExporter(dest, labels, options) as exporter:
        for item in items:
            exporter.write(ExportItem(record=item))


def write_coco(path: Path, images: list[Any], annotations: list[Any], categories: list[Any] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    cats = categories if categories is not None else [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]
    path.write_bytes(
        orjson.dumps({"images": images, "annotations": annotations, "categories": cats}, option=orjson.OPT_INDENT_2)
    )
    return path


def image_entry(iid: int, name: str | None = None) -> dict[str, Any]:
    return {"id": iid, "file_name": name or f"{iid}.png", "width": 64, "height": 48}


def ann_entry(aid: int, image_id: int, category_id: int = 1, bbox: Any = None) -> dict[str, Any]:
    return {"id": aid, "image_id": image_id, "category_id": category_id, "bbox": bbox or [1, 2, 10, 20]}
