/**
 * The video editor's data shapes: a track as the API sends it (see docs/editor.md, "Video editor", and the
 * routes under `/api/v1/projects/{pid}/items/{iid}/tracks`), and what the editor is mounted with. Declared
 * here so the pure modules compile and test without the generated client; `server.ts` maps the client's
 * types onto these.
 *
 * Boxes are absolute pixels `[x1, y1, x2, y2]` of the video's full-size frames; frames count from 0.
 */

import type { Job } from '../api/client';
import type { AttributeValue } from '../attributes';
import type { HelpEntry } from '../editor/keys';
import type { LabelSchema, Standing } from '../editor/types';

export type { Job };

export type Box = readonly [number, number, number, number];

/**
 * One character per frame: `k` keyframe with a box, `x` keyframe outside (a person said the object is not
 * visible), `p` propagated, `o` outside (the system saw the object leave), `-` nothing yet.
 */
export type FrameState = 'k' | 'x' | 'p' | 'o' | '-';

export type Method = 'track' | 'interpolate';

export interface Track {
  track_id: number;
  label: string;
  frame_count: number;
  /** Frames a person set (box or outside), ascending. */
  keyframes: number[];
  states: string;
  /** One per frame; outside frames keep the last place seen, `-` frames may be null. */
  boxes: (Box | number[] | null)[];
  /** One per frame in [0, 1]; null on keyframes and on `-`. */
  confidence: (number | null)[];
  /** Frames that need review (confidence below 0.5), ascending. */
  review: number[];
  /** Up to ten frames to check next, best first. */
  suggested: number[];
  /** The track's attribute values: the declared values every box of it shares (absent: none set). */
  attributes?: Record<string, AttributeValue>;
  /** Declared attributes whose boxes hold different values (imported per-frame values). */
  attributes_mixed?: string[];
  /** Per-frame (mutable) attributes that apply to the label: the value on each frame (null: unset, or no box). */
  frame_attributes?: Record<string, (AttributeValue | null)[]>;
  /** The track's latest propagation job. */
  job: Job | null;
}

/** Attribute values to set on a whole track; null removes that attribute's value. */
export type AttributeChanges = Record<string, AttributeValue | null>;

/** `GET .../tracks`. */
export interface TrackSet {
  version: number;
  frame_count: number;
  width: number;
  height: number;
  fps: number | null;
  tracks: Track[];
}

/** What a change answers: the item's new version, the changed track and the propagation job it started. */
export interface TrackResult {
  version: number;
  track: Track;
  job: Job | null;
}

/**
 * What a split, a merge or an undo of one answers: the item's new version, the tracks made, changed or brought
 * back, the tracks gone, and the token that undoes the change (`undoChange`; null for an undo).
 */
export interface TracksResult {
  version: number;
  tracks: Track[];
  removed: number[];
  undo_token: number | null;
}

/** What deleting a track answers: the item's new version and the token that brings the track back. */
export interface TrackDeleted {
  version: number;
  undo_token: number;
}

/** The video item the editor is mounted with (a subset of the API's `ItemPublic`). */
export interface VideoItem {
  id: number;
  project_id: number;
  name: string;
  width: number | null;
  height: number | null;
  frame_count: number | null;
  fps: number | null;
  version: number;
}

export interface VideoEditorProps {
  item: VideoItem;
  schema: LabelSchema;
  standing: Standing;
  onnext?: () => void;
  onprev?: () => void;
  position?: string;
  extraShortcuts?: readonly HelpEntry[];
}

export interface NewTrack {
  version: number;
  label: string;
  frame: number;
  box: number[];
  propagate: boolean;
  method: Method;
  /** The new track's attribute values (its label's defaults). */
  attributes?: Record<string, AttributeValue>;
}

/**
 * The track routes as functions (`server.ts` has them for the real API, tests use fakes). Each change sends
 * the item version it has; a stale one throws `ConflictError` (409), other refusals an `ApiError`.
 */
export interface TrackServer {
  /** Every track, or only `trackId`'s (none when there is no such track), with the item's version. */
  list: (trackId?: number) => Promise<TrackSet>;
  create: (body: NewTrack) => Promise<TrackResult>;
  /** Box null: the object is outside (not visible) on that frame. */
  setKeyframe: (trackId: number, frame: number, version: number, box: number[] | null) => Promise<TrackResult>;
  removeKeyframe: (trackId: number, frame: number, version: number) => Promise<TrackResult>;
  /** A new label and/or attribute values, set on every box of the track (`PATCH .../tracks/{id}`). */
  relabel: (trackId: number, version: number, label: string | null, attributes?: AttributeChanges) => Promise<TrackResult>;
  /** Per-frame values on frames `from`..`to` of the track (`PATCH .../tracks/{id}` with `frame_attributes`). */
  setFrameValues: (
    trackId: number,
    version: number,
    from: number,
    to: number,
    values: AttributeChanges,
  ) => Promise<TrackResult>;
  deleteTrack: (trackId: number, version: number) => Promise<TrackDeleted>;
  /** `POST .../tracks/{id}/split`: the track keeps the frames before `frame`, a new track the rest. */
  split: (trackId: number, frame: number, version: number) => Promise<TracksResult>;
  /** `POST .../tracks/merge`: one track (the lower id) from two; `label` when theirs differ. */
  merge: (trackIds: readonly [number, number], version: number, label: string | null) => Promise<TracksResult>;
  /**
   * `POST .../tracks/undo`: the tracks as they were before the delete, split or merge that answered `token` (same
   * ids, every box). A stale version throws `ConflictError`; a refusal (a person changed those tracks since, the
   * id is taken, the token is unknown) an `ApiError` saying why.
   */
  undoChange: (token: number, version: number) => Promise<TracksResult>;
  propagate: (trackId: number, method: Method) => Promise<Job>;
  /** Calls `onUpdate` with each state of the job; resolves with the finished job, rejects on abort. */
  follow: (jobId: number, onUpdate: (job: Job) => void, signal: AbortSignal) => Promise<Job>;
  frameUrl: (frame: number) => string;
  /** Asks the server to decode frames [start, start + count) and returns their URLs. */
  prefetch: (start: number, count: number) => Promise<string[]>;
}
