"""Volume items (CT, MR): what the viewer needs first, and the shown axial slices as raw values."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from labelhub.api.deps import ActorDep, HubDep
from labelhub.api.volume_schemas import VolumePublic
from labelhub.media.serving import FILE_HEADERS
from labelhub.services import volumes as volume_service

router = APIRouter(prefix="/projects/{project_id}/items/{item_id}/volume", tags=["volumes"])
_CACHE = "private, max-age=31536000, immutable"  # a stored volume's slices never change


@router.get("", response_model=VolumePublic)
def get_volume(project_id: int, item_id: int, actor: ActorDep, hub: HubDep) -> VolumePublic:
    """The volume's size, spacing, value type and range, display windows and annotated slices (read access)."""
    return VolumePublic.model_validate(volume_service.volume_info(hub, actor, project_id, item_id))


@router.get(
    "/slices/{k}",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}}, 304: {}},
)
def get_volume_slice(project_id: int, item_id: int, k: int, request: Request, actor: ActorDep, hub: HubDep) -> Response:
    """Axial slice ``k`` as shown (row 0 at the top): width x height little-endian int16 or float32 values."""
    with hub.db.session() as s:
        v = volume_service.load_volume_item(s, actor, project_id, item_id)
    volume_service.check_slice(v, k)
    etag = volume_service.slice_etag(v.media_key, k)
    tags = [t.strip() for t in request.headers.get("if-none-match", "").split(",")]
    if etag in tags or "*" in tags:
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": _CACHE})
    out = volume_service.slice_data(hub, v, k)
    headers = {
        "ETag": out.etag,
        "Cache-Control": _CACHE,
        "X-Slice-Width": str(out.width),
        "X-Slice-Height": str(out.height),
        "X-Slice-Dtype": out.dtype,
        **FILE_HEADERS,
    }
    return Response(out.data, media_type="application/octet-stream", headers=headers)
