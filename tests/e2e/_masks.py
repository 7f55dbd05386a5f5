"""Helpers of the mask browser tests: the server's annotations, a COCO mask's pixel count, the editor's."""

from __future__ import annotations

from typing import Any

from pycocotools import mask as mask_utils  # type: ignore[import-untyped]
from tests.e2e.conftest import API, Server


def item_annotations(server: Server, pid: int, iid: int) -> list[dict[str, Any]]:
    """The item's annotations as the API returns them."""
    body = server.api.get(f"{API}/projects/{pid}/items/{iid}/annotations").raise_for_status().json()
    anns: list[dict[str, Any]] = body["annotations"]
    return anns


def mask_area(geometry: dict[str, Any]) -> int:
    """A stored mask's pixel count, decoded by pycocotools (either form of counts)."""
    h, w = geometry["size"]
    counts = geometry["counts"]
    rle = (
        {"size": [h, w], "counts": counts.encode()}
        if isinstance(counts, str)
        else mask_utils.frPyObjects({"size": [h, w], "counts": counts}, h, w)
    )
    return int(mask_utils.decode(rle).sum())


def editor_mask_area(page: Any) -> int:
    """The pixel count of the editor's first mask as it holds it (uncompressed counts once edited): 0 without a
    mask, -1 while it still holds the compressed string it was loaded with."""
    area: int = page.evaluate(
        """() => {
             const m = window.__editor.annotations().find((a) => a.kind === 'mask');
             if (!m) return 0;
             const c = m.geometry.counts;
             return typeof c === 'string' ? -1 : c.reduce((s, v, i) => s + (i % 2 ? v : 0), 0);
           }"""
    )
    return area
