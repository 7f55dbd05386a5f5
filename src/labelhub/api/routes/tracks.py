"""Video items: frames for scrubbing, and tracks (read, start, keyframe edits, split and merge and their undo,
propagation jobs)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from labelhub.api.deps import ActorDep, HubDep, queued_job, wake_worker
from labelhub.api.schemas import JobPublic
from labelhub.api.track_schemas import (
    FrameRangePublic,
    KeyframePut,
    PropagateIn,
    TrackChange,
    TrackCreate,
    TrackDeleted,
    TrackMerge,
    TrackPatch,
    TrackPublic,
    TracksChange,
    TrackSplit,
    TracksPublic,
    TrackUndo,
)
from labelhub.domain.permissions import Action
from labelhub.hub import Hub
from labelhub.media.serving import FILE_HEADERS, served_type
from labelhub.services import frames as frame_service
from labelhub.services import track_edits, track_undo
from labelhub.services import track_frame_values as frame_values
from labelhub.services import tracks as track_service
from labelhub.services.access import Actor
from labelhub.services.frames import VideoItem
from labelhub.services.propagation import latest_jobs, queue_propagation
from labelhub.services.track_view import TrackView
from labelhub.storage.models import Job

router = APIRouter(prefix="/projects/{project_id}/items/{item_id}", tags=["video"])
_CACHE = "private, max-age=31536000, immutable"  # a stored video's frames never change


def _frame_url(project_id: int, item_id: int, index: int) -> str:
    return f"/api/v1/projects/{project_id}/items/{item_id}/frames/{index}"


@router.get("/frames/{frame}", response_class=FileResponse, responses={304: {}})
def get_frame(project_id: int, item_id: int, frame: int, request: Request, actor: ActorDep, hub: HubDep) -> Response:
    """One frame of a video item as an image (JPEG for video files, the stored file for image sequences)."""
    with hub.db.session() as s:
        v = frame_service.load_video_item(s, hub, actor, project_id, item_id)
    etag = f'"{v.media_key}-{frame}"'
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers={"ETag": etag, "Cache-Control": _CACHE})
    path, mime = frame_service.frame_file(hub, v, frame)
    media_type, disposition = served_type(mime)  # a stored frame is a user's file (media/serving.py)
    headers = {"ETag": etag, "Cache-Control": _CACHE, **FILE_HEADERS}
    return FileResponse(path, media_type=media_type, headers=headers, content_disposition_type=disposition)


@router.get("/frames", response_model=FrameRangePublic)
def get_frame_range(
    project_id: int,
    item_id: int,
    actor: ActorDep,
    hub: HubDep,
    start: Annotated[int, Query(ge=0)] = 0,
    count: Annotated[int, Query(ge=1, le=frame_service.MAX_RANGE)] = 30,
) -> FrameRangePublic:
    """Decode a range of frames in order (ahead of the playhead) and return their URLs."""
    with hub.db.session() as s:
        v = frame_service.load_video_item(s, hub, actor, project_id, item_id)
    served = frame_service.warm_frames(hub, v, start, count)
    urls = [_frame_url(project_id, item_id, i) for i in served]
    return FrameRangePublic(item_id=item_id, frame_count=v.frame_count, start=start, count=len(urls), urls=urls)


def _public(view: TrackView, job: Job | None) -> TrackPublic:
    return TrackPublic(
        track_id=view.track_id, label=view.label, frame_count=view.frame_count, start=view.start,
        keyframes=view.keyframes, states=view.states, boxes=view.boxes, confidence=view.confidence,
        review=view.review, suggested=view.suggested, attributes=view.attributes,
        attributes_mixed=view.attributes_mixed, frame_attributes=view.frame_attributes,
        job=JobPublic.model_validate(job) if job is not None else None,
    )  # fmt: skip


SPAN = (
    "Each track's per-frame lists (states, boxes, confidence, frame_attributes) cover only its own frames, from its "
    "first box (`start`) to its last, instead of every frame of the video: a crowded video's answer shrinks to its "
    "boxes"
)

ONE_TRACK = (
    "Only this track (none when the item has no such track), with the item's version: what the editor reads again "
    "after a track's propagation, instead of every track"
)


@router.get("/tracks", response_model=TracksPublic)
def list_tracks(
    project_id: int,
    item_id: int,
    actor: ActorDep,
    hub: HubDep,
    span: Annotated[bool, Query(description=SPAN)] = False,
    track_id: Annotated[int | None, Query(description=ONE_TRACK)] = None,
) -> TracksPublic:
    """Every track of a video item, frame by frame, with suggested frames and each track's latest job."""
    with hub.db.session() as s:
        v, views = track_service.read_tracks(s, hub, actor, project_id, item_id, span=span, track_id=track_id)
        jobs = latest_jobs(s, project_id, item_id)
        tracks = [_public(view, jobs.get(view.track_id)) for view in views]
    return TracksPublic(item_id=item_id, version=v.version, frame_count=v.frame_count, width=v.width,
                        height=v.height, fps=v.fps, tracks=tracks)  # fmt: skip


def _changed(
    s: Session, hub: Hub, actor: Actor, v: VideoItem, version: int, track_id: int, method: str | None
) -> TrackChange:
    """Queue the propagation (``method`` None: none) and describe the track after a change."""
    job = queue_propagation(s, actor, v, track_id, method) if method is not None else None
    view = track_service.read_track(s, v, track_id)
    if job is None:
        job = latest_jobs(s, v.project_id, v.item_id).get(track_id)
    track = _public(view, job)
    return TrackChange(version=version, track=track, job=JobPublic.model_validate(job) if job else None)


@router.post("/tracks", response_model=TrackChange, status_code=201)
def create_track(
    project_id: int, item_id: int, body: TrackCreate, request: Request, actor: ActorDep, hub: HubDep
) -> TrackChange:
    """Start a track from one box; by default its propagation job starts at once."""
    with hub.db.session(write=True) as s:
        version, track_id = track_service.create_track(s, hub, actor, project_id, item_id, version=body.version,
                                                       label=body.label, frame=body.frame, box=body.box,
                                                       attributes=body.attributes)  # fmt: skip
        v = frame_service.load_video_item(s, hub, actor, project_id, item_id, Action.ANNOTATE)
        out = _changed(s, hub, actor, v, version, track_id, body.method if body.propagate else None)
    wake_worker(request)
    return out


@router.put("/tracks/{track_id}/keyframes/{frame}", response_model=TrackChange)
def put_keyframe(
    project_id: int,
    item_id: int,
    track_id: int,
    frame: int,
    body: KeyframePut,
    request: Request,
    actor: ActorDep,
    hub: HubDep,
) -> TrackChange:
    """Set a keyframe (a box, or null for outside); a job re-propagates the segments next to it."""
    with hub.db.session(write=True) as s:
        version = track_service.set_keyframe(s, hub, actor, project_id, item_id, track_id, frame,
                                             version=body.version, box=body.box)  # fmt: skip
        v = frame_service.load_video_item(s, hub, actor, project_id, item_id, Action.ANNOTATE)
        out = _changed(s, hub, actor, v, version, track_id, _method_of(s, v, track_id))
    wake_worker(request)
    return out


@router.delete("/tracks/{track_id}/keyframes/{frame}", response_model=TrackChange)
def delete_keyframe(
    project_id: int,
    item_id: int,
    track_id: int,
    frame: int,
    version: int,
    request: Request,
    actor: ActorDep,
    hub: HubDep,
) -> TrackChange:
    """Remove a keyframe; a job fills the frame in again from the keyframes around it."""
    with hub.db.session(write=True) as s:
        new = track_service.remove_keyframe(s, hub, actor, project_id, item_id, track_id, frame, version=version)
        v = frame_service.load_video_item(s, hub, actor, project_id, item_id, Action.ANNOTATE)
        out = _changed(s, hub, actor, v, new, track_id, _method_of(s, v, track_id))
    wake_worker(request)
    return out


@router.post("/tracks/{track_id}/propagate", response_model=JobPublic, status_code=202)
def propagate_track(
    project_id: int, item_id: int, track_id: int, body: PropagateIn, request: Request, actor: ActorDep, hub: HubDep
) -> JobPublic:
    """Propagate the whole track again, by tracking or by linear interpolation."""

    def enqueue(s: Session) -> Job:
        v = frame_service.load_video_item(s, hub, actor, project_id, item_id, Action.ANNOTATE)
        track_service.read_track(s, v, track_id)  # 404 for an unknown track
        return queue_propagation(s, actor, v, track_id, body.method)

    return queued_job(request, hub, actor, enqueue)


@router.patch("/tracks/{track_id}", response_model=TrackChange)
def patch_track(
    project_id: int, item_id: int, track_id: int, body: TrackPatch, actor: ActorDep, hub: HubDep
) -> TrackChange:
    """Change a track's label, its attribute values (on every box) and/or per-frame values from a frame on."""
    fa = body.frame_attributes
    with hub.db.session(write=True) as s:
        version = body.version
        if fa is None or body.label is not None or body.attributes is not None:
            version = track_service.edit_track(s, hub, actor, project_id, item_id, track_id, version=version,
                                               label=body.label, attributes=body.attributes)  # fmt: skip
        if fa is not None:
            version = frame_values.set_from_frame(s, hub, actor, project_id, item_id, track_id, version=version,
                                                  from_frame=fa.from_frame, to_frame=fa.to_frame,
                                                  values=fa.values)  # fmt: skip
        v = frame_service.load_video_item(s, hub, actor, project_id, item_id, Action.ANNOTATE)
        return _changed(s, hub, actor, v, version, track_id, None)


@router.delete("/tracks/{track_id}", response_model=TrackDeleted)
def delete_track(
    project_id: int, item_id: int, track_id: int, version: int, actor: ActorDep, hub: HubDep
) -> TrackDeleted:
    """Delete a track and all its boxes (undoable with the answer's token)."""
    with hub.db.session(write=True) as s:
        before = track_undo.capture(s, hub, actor, project_id, item_id, [track_id])
        new = track_service.delete_track(s, hub, actor, project_id, item_id, track_id, version=version)
        token = track_undo.keep(s, actor, project_id, item_id, "delete", before, after=[])
    return TrackDeleted(version=new, undo_token=token)


@router.post("/tracks/{track_id}/split", response_model=TracksChange)
def split_track(
    project_id: int, item_id: int, track_id: int, body: TrackSplit, request: Request, actor: ActorDep, hub: HubDep
) -> TracksChange:
    """Split a track at a frame: it keeps the frames before, a new track (same label and values) the rest; a job
    per track re-propagates the frames next to the split. Undoable with the answer's token."""
    with hub.db.session(write=True) as s:
        before = track_undo.capture(s, hub, actor, project_id, item_id, [track_id])
        version, new_id = track_edits.split_track(s, hub, actor, project_id, item_id, track_id,
                                                  version=body.version, frame=body.frame)  # fmt: skip
        token = track_undo.keep(s, actor, project_id, item_id, "split", before, after=[track_id, new_id])
        v = frame_service.load_video_item(s, hub, actor, project_id, item_id, Action.ANNOTATE)
        method = _method_of(s, v, track_id)
        out = [_changed(s, hub, actor, v, version, tid, method).track for tid in (track_id, new_id)]
    wake_worker(request)
    return TracksChange(version=version, tracks=out, removed=[], undo_token=token)


@router.post("/tracks/merge", response_model=TracksChange)
def merge_tracks(
    project_id: int, item_id: int, body: TrackMerge, request: Request, actor: ActorDep, hub: HubDep
) -> TracksChange:
    """Merge two tracks into the one with the lower id; a job re-propagates the frames where they meet. Undoable
    with the answer's token."""
    with hub.db.session(write=True) as s:
        before = track_undo.capture(s, hub, actor, project_id, item_id, body.track_ids)
        version, keep, gone = track_edits.merge_tracks(s, hub, actor, project_id, item_id, body.track_ids,
                                                       version=body.version, label=body.label)  # fmt: skip
        token = track_undo.keep(s, actor, project_id, item_id, "merge", before, after=[keep])
        v = frame_service.load_video_item(s, hub, actor, project_id, item_id, Action.ANNOTATE)
        out = _changed(s, hub, actor, v, version, keep, _method_of(s, v, keep)).track
    wake_worker(request)
    return TracksChange(version=version, tracks=[out], removed=[gone], undo_token=token)


@router.post("/tracks/undo", response_model=TracksChange)
def undo_track_change(project_id: int, item_id: int, body: TrackUndo, actor: ActorDep, hub: HubDep) -> TracksChange:
    """Put back the tracks of a delete, split or merge as they were before it (same ids, every box; nothing is
    propagated again). 409 when the version is stale or a person changed those tracks since."""
    with hub.db.session(write=True) as s:
        version, back, removed = track_undo.undo(s, hub, actor, project_id, item_id, body.undo_token,
                                                 version=body.version)  # fmt: skip
        v = frame_service.load_video_item(s, hub, actor, project_id, item_id, Action.ANNOTATE)
        out = [_changed(s, hub, actor, v, version, tid, None).track for tid in back]
    return TracksChange(version=version, tracks=out, removed=removed)


def _method_of(s: Session, v: VideoItem, track_id: int) -> str:
    """An edit re-propagates the way the track was last propagated (tracking unless it was interpolated)."""
    job = latest_jobs(s, v.project_id, v.item_id).get(track_id)
    method = (job.params or {}).get("method") if job is not None else None
    return method if method in ("track", "interpolate") else "track"
