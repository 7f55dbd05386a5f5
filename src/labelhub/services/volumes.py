"""A volume item for the viewer: its size, windows and annotated slices, its slices as raw values, its thumbnail.

The stored NIfTI file is decoded once into the hub's :class:`~labelhub.media.volume.VolumeCache` (RAS+ order,
int16 or float32); slices are cut from it as the browser asks. Every function checks read access first.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from labelhub.domain.enums import AnnotationKind, AnnotationState, ItemKind
from labelhub.domain.permissions import Action
from labelhub.domain.volume import Window
from labelhub.errors import NotFoundError, ValidationError
from labelhub.formats.registry import kind_with_article
from labelhub.media.volume import DecodedVolume, read_all
from labelhub.services.access import Actor, check_item_access
from labelhub.storage.models import Annotation, Item, Media

if TYPE_CHECKING:
    from labelhub.hub import Hub

__all__ = ["VolumeItem", "load_volume_item", "middle_slice_png", "require_volume", "slice_data", "volume_info"]

# Part of every slice's ETag: bump it when the orientation or the encoding of slices changes.
SLICE_ENCODING = "ras1"

_I = Item.__table__.c
_REGIONS = (AnnotationKind.MASK.value, AnnotationKind.POLYGON.value)
_COLUMNS = [_I.kind, _I.media_key, _I.width, _I.height, _I.frame_count, _I.meta]


@dataclass(frozen=True, slots=True)
class VolumeItem:
    """What the volume routes need of an item: where its file is and what its metadata says."""

    item_id: int
    media_key: str
    linked_path: str | None
    meta: dict[str, Any]
    slices: int | None  # as imported (frame_count); the decoded file has the final say

    @property
    def modality(self) -> str | None:
        value = self.meta.get("modality")
        return str(value) if value else None

    @property
    def stored_window(self) -> Window | None:
        win = self.meta.get("window")
        if not isinstance(win, dict):
            return None
        try:
            center, width = float(win["center"]), float(win["width"])
        except (KeyError, TypeError, ValueError):
            return None
        return Window(str(win.get("name") or "File"), center, width) if width > 0 else None


def require_volume(kind: str, item_id: int) -> None:
    """Raise a ValidationError on the field ``kind`` unless the item is a volume."""
    if kind != ItemKind.VOLUME.value:
        raise ValidationError(f"item {item_id} is {kind_with_article(ItemKind(kind))}, not a volume", field="kind")


def load_volume_item(session: Session, actor: Actor, project_id: int, item_id: int) -> VolumeItem:
    """Check that ``actor`` may read the item and that it is a volume with stored media; return where it is."""
    _, _, (kind, key, _w, _h, slices, meta) = check_item_access(
        session, actor, project_id, item_id, Action.READ, _COLUMNS
    )
    require_volume(kind, item_id)
    if not key:
        raise NotFoundError(f"item {item_id} has no stored volume (imported as metadata only)", field="media")
    linked = session.scalar(select(Media.path).where(Media.key == key))
    volume = (meta or {}).get("volume")
    return VolumeItem(item_id, key, linked, volume if isinstance(volume, dict) else {}, slices)


def decoded(hub: Hub, v: VolumeItem) -> DecodedVolume:
    """Return the item's volume from the hub's cache, decoding the stored file on a miss."""
    return hub.volumes.get(
        v.media_key, lambda: read_all(hub.media.open(v.media_key, v.linked_path)), f"item {v.item_id}"
    )


def annotated_slices(session: Session, item_id: int) -> list[dict[str, Any]]:
    """Return ``[{"slice": k, "count": n, "regions": [label, ...]}]`` for the item's slices that have annotations,
    ascending; ``regions`` names the classes with a mask or polygon on the slice that is not rejected (the slices
    "fill between slices" can start from)."""
    rows = session.execute(
        select(Annotation.frame, Annotation.kind, Annotation.label, Annotation.state, func.count())
        .where(Annotation.item_id == item_id, Annotation.frame.is_not(None))
        .group_by(Annotation.frame, Annotation.kind, Annotation.label, Annotation.state)
        .order_by(Annotation.frame)
    ).all()
    out: dict[int, dict[str, Any]] = {}
    for k, kind, label, state, n in rows:
        if k is None:
            continue
        entry = out.setdefault(int(k), {"slice": int(k), "count": 0, "regions": []})
        entry["count"] += int(n)
        region = kind in _REGIONS and state != AnnotationState.REJECTED.value and label is not None
        if region and label not in entry["regions"]:
            entry["regions"].append(label)
    for entry in out.values():
        entry["regions"].sort()
    return list(out.values())


def volume_info(hub: Hub, actor: Actor, project_id: int, item_id: int) -> dict[str, Any]:
    """Return what the viewer needs before the first slice (the contract's ``GET .../volume``)."""
    with hub.db.session() as s:
        v = load_volume_item(s, actor, project_id, item_id)
        annotated = annotated_slices(s, item_id)
    vol = decoded(hub, v)
    x, y, z = vol.shape
    spacing = v.meta.get("spacing")
    if not (isinstance(spacing, list) and len(spacing) == 3):
        spacing = [float(abs(vol.affine[i, i])) or 1.0 for i in range(3)]
    return {
        "width": x,
        "height": y,
        "slices": z,
        "spacing": [float(s) for s in spacing],
        "dtype": vol.dtype,
        "range": [vol.range[0], vol.range[1]],
        "windows": [w.to_json() for w in vol.windows(v.modality, v.stored_window)],
        "modality": v.modality,
        "annotated": annotated,
    }


@dataclass(frozen=True, slots=True)
class SliceData:
    """One shown slice's raw values and how to read them."""

    data: bytes
    width: int
    height: int
    dtype: str
    etag: str


def slice_etag(media_key: str, k: int) -> str:
    """Return the ETag of slice ``k`` of the volume stored under ``media_key`` (its bytes never change)."""
    return f'"{media_key}-{SLICE_ENCODING}-{k}"'


def check_slice(v: VolumeItem, k: int, slices: int | None = None) -> None:
    """Raise a ValidationError on the field ``slice`` when ``k`` is not a slice of the volume."""
    slices = slices if slices is not None else v.slices
    if slices is not None and not 0 <= k < slices:
        raise ValidationError(f"slice {k} is outside item {v.item_id} (slices 0 to {slices - 1})", field="slice")


def slice_data(hub: Hub, v: VolumeItem, k: int) -> SliceData:
    """Return shown slice ``k`` of the item's volume as little-endian int16 or float32 values, row-major."""
    vol = decoded(hub, v)
    x, y, z = vol.shape
    check_slice(v, k, z)
    return SliceData(vol.slice_bytes(k), x, y, vol.dtype, slice_etag(v.media_key, k))


def middle_slice_png(hub: Hub, v: VolumeItem) -> io.BytesIO:
    """Return the middle axial slice as an 8-bit PNG in the default window (what the thumbnail is drawn from)."""
    vol = decoded(hub, v)
    window = vol.windows(v.modality, v.stored_window)[0]
    plane = vol.shown(vol.shape[2] // 2).astype(np.float64)
    lo = window.center - window.width / 2.0
    grey = np.clip((plane - lo) / max(window.width, 1e-9) * 255.0, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(grey, mode="L").save(out, format="PNG")
    out.seek(0)
    return out
