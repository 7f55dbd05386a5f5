/**
 * The track routes of the real API through the app's generated client (`TrackServer`, see `types.ts`): the
 * one file of the video editor that knows it. A 409 becomes the editor's `ConflictError`; other refusals stay
 * `ApiError`s with their problem (title, detail, field), which the session shows as toasts.
 */

import { API, api, unwrap } from '../api/client';
import { ApiError } from '../api/problem';
import { ConflictError } from '../editor/types';
import { followJob } from '../jobs';
import { type SentTrack, wholeTrack } from './span';
import type { Job, Method, Track, TrackResult, TrackServer, TrackSet, TracksResult } from './types';

/**
 * A 409 becomes `ConflictError`. With `refusals` only a stale version's does (it names the version the server
 * has): any other 409 stays an `ApiError`, the server refusing the change itself (an undo it cannot do).
 */
async function checked<T>(call: Promise<T>, refusals = false): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (err instanceof ApiError && err.status === 409) {
      const current = err.problem.current_version;
      const stale = typeof current === 'number';
      if (stale || !refusals) throw new ConflictError(err.message, stale ? current : null);
    }
    throw err;
  }
}

// The generated types spell a box as number[] and a job's fields as the API's JobPublic, as `types.ts` does.
const asTrack = (t: unknown): Track => wholeTrack(t as SentTrack);
const asResult = (r: { version: number; track: unknown; job?: Job | null }): TrackResult => ({
  version: r.version,
  track: asTrack(r.track),
  job: r.job ?? null,
});

const asTracks = (r: { version: number; tracks: unknown[]; removed?: number[]; undo_token?: number | null }): TracksResult => ({
  version: r.version,
  tracks: r.tracks.map(asTrack),
  removed: r.removed ?? [],
  undo_token: r.undo_token ?? null,
});

export function frameUrl(projectId: number, itemId: number, frame: number): string {
  return `${API}/projects/${projectId}/items/${itemId}/frames/${frame}`;
}

export function trackServer(projectId: number, itemId: number): TrackServer {
  const path = { project_id: projectId, item_id: itemId };
  const onTrack = (trackId: number) => ({ ...path, track_id: trackId });
  return {
    async list(trackId?: number): Promise<TrackSet> {
      // Each track over its own frames (`span`): a crowded video's answer is its boxes, not nulls.
      const query = { span: true, ...(trackId === undefined ? {} : { track_id: trackId }) };
      const r = await unwrap(api.GET('/api/v1/projects/{project_id}/items/{item_id}/tracks', { params: { path, query } }));
      return { ...r, tracks: r.tracks.map(asTrack) };
    },
    async create(body) {
      const r = await checked(unwrap(api.POST('/api/v1/projects/{project_id}/items/{item_id}/tracks', { params: { path }, body })));
      return asResult(r);
    },
    async setKeyframe(trackId, frame, version, box) {
      const r = await checked(
        unwrap(
          api.PUT('/api/v1/projects/{project_id}/items/{item_id}/tracks/{track_id}/keyframes/{frame}', {
            params: { path: { ...onTrack(trackId), frame } },
            body: { version, box },
          }),
        ),
      );
      return asResult(r);
    },
    async removeKeyframe(trackId, frame, version) {
      const r = await checked(
        unwrap(
          api.DELETE('/api/v1/projects/{project_id}/items/{item_id}/tracks/{track_id}/keyframes/{frame}', {
            params: { path: { ...onTrack(trackId), frame }, query: { version } },
          }),
        ),
      );
      return asResult(r);
    },
    async relabel(trackId, version, label, attributes) {
      const r = await checked(
        unwrap(
          api.PATCH('/api/v1/projects/{project_id}/items/{item_id}/tracks/{track_id}', {
            params: { path: onTrack(trackId) },
            body: { version, ...(label !== null ? { label } : {}), ...(attributes ? { attributes } : {}) },
          }),
        ),
      );
      return asResult(r);
    },
    async setFrameValues(trackId, version, from, to, values) {
      const r = await checked(
        unwrap(
          api.PATCH('/api/v1/projects/{project_id}/items/{item_id}/tracks/{track_id}', {
            params: { path: onTrack(trackId) },
            body: { version, frame_attributes: { from_frame: from, to_frame: to, values } },
          }),
        ),
      );
      return asResult(r);
    },
    deleteTrack: (trackId, version) =>
      checked(
        unwrap(
          api.DELETE('/api/v1/projects/{project_id}/items/{item_id}/tracks/{track_id}', {
            params: { path: onTrack(trackId), query: { version } },
          }),
        ),
      ),
    async split(trackId, frame, version) {
      const r = await checked(
        unwrap(
          api.POST('/api/v1/projects/{project_id}/items/{item_id}/tracks/{track_id}/split', {
            params: { path: onTrack(trackId) },
            body: { version, frame },
          }),
        ),
      );
      return asTracks(r);
    },
    async merge(trackIds, version, label) {
      const r = await checked(
        unwrap(
          api.POST('/api/v1/projects/{project_id}/items/{item_id}/tracks/merge', {
            params: { path },
            body: { version, track_ids: [...trackIds], ...(label !== null ? { label } : {}) },
          }),
        ),
      );
      return asTracks(r);
    },
    async undoChange(token, version) {
      const r = await checked(
        unwrap(
          api.POST('/api/v1/projects/{project_id}/items/{item_id}/tracks/undo', {
            params: { path },
            body: { version, undo_token: token },
          }),
        ),
        true,
      );
      return asTracks(r);
    },
    propagate: (trackId: number, method: Method) =>
      unwrap(
        api.POST('/api/v1/projects/{project_id}/items/{item_id}/tracks/{track_id}/propagate', {
          params: { path: onTrack(trackId) },
          body: { method },
        }),
      ),
    follow: (jobId, onUpdate, signal) => followJob(jobId, onUpdate, signal),
    frameUrl: (frame) => frameUrl(projectId, itemId, frame),
    async prefetch(start, count) {
      const r = await unwrap(
        api.GET('/api/v1/projects/{project_id}/items/{item_id}/frames', { params: { path, query: { start, count } } }),
      );
      return r.urls;
    },
  };
}
