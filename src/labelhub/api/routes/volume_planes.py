"""The sagittal and coronal planes of a volume item and of its label map (the editor's orthogonal views)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from labelhub.api.deps import ActorDep, HubDep
from labelhub.media.serving import FILE_HEADERS
from labelhub.services import volume_planes as planes

router = APIRouter(prefix="/projects/{project_id}/items/{item_id}/volume/planes", tags=["volumes"])
_VOLUME_CACHE = "private, max-age=31536000, immutable"  # a stored volume's planes never change
_LABELS_CACHE = "private, no-cache"  # the label map changes with every save: ask again, the ETag answers 304
_RAW: dict[int | str, dict[str, Any]] = {200: {"content": {"application/octet-stream": {}}}, 304: {}}


def _not_modified(request: Request, etag: str, cache: str) -> Response | None:
    tags = [t.strip() for t in request.headers.get("if-none-match", "").split(",")]
    if etag in tags or "*" in tags:
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": cache})
    return None


def _raw(out: planes.PlaneData, cache: str, dtype_header: str) -> Response:
    headers = {
        "ETag": out.etag,
        "Cache-Control": cache,
        "X-Slice-Width": str(out.width),
        "X-Slice-Height": str(out.height),
        dtype_header: out.dtype,
        **FILE_HEADERS,
    }
    return Response(out.data, media_type="application/octet-stream", headers=headers)


@router.get("/{axis}/{index}", response_class=Response, responses=_RAW)
def get_volume_plane(
    project_id: int, item_id: int, axis: str, index: int, request: Request, actor: ActorDep, hub: HubDep
) -> Response:
    """The sagittal plane through shown column ``index`` or the coronal plane through shown row ``index``.

    Little-endian int16 or float32 values, row-major, superior at the top; sagittal: anterior on the left
    (``slices`` rows x ``height`` columns); coronal: the patient's right on the left (``slices`` x ``width``).
    """
    a = planes.check_axis(axis)
    p = planes.planes_item(hub, actor, project_id, item_id, a, index)
    etag = planes.plane_etag(p, a, index)
    if (early := _not_modified(request, etag, _VOLUME_CACHE)) is not None:
        return early
    return _raw(planes.plane_data(hub, p, a, index), _VOLUME_CACHE, "X-Slice-Dtype")


@router.get("/{axis}/{index}/labels", response_class=Response, responses=_RAW)
def get_volume_plane_labels(
    project_id: int, item_id: int, axis: str, index: int, request: Request, actor: ActorDep, hub: HubDep
) -> Response:
    """The same plane of the item's label map: uint8 or uint16 values, the 1-based class index, 0 for none.

    Painted from the accepted masks and polygons (proposals are left out); the ETag changes with every save.
    """
    a = planes.check_axis(axis)
    p = planes.planes_item(hub, actor, project_id, item_id, a, index)
    etag = planes.plane_etag(p, a, index, labels=True)
    if (early := _not_modified(request, etag, _LABELS_CACHE)) is not None:
        return early
    return _raw(planes.label_plane(hub, p, a, index), _LABELS_CACHE, "X-Label-Dtype")
