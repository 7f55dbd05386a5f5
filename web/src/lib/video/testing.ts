/**
 * For the video editor's unit tests only: tracks from a state string, jobs, and an in-memory `TrackServer` that
 * keeps versions, keyframes, labels and attribute values like the real one (a removed keyframe is propagated again at once;
 * split and merge on the state strings; a delete, split or merge undone from the copy kept under its token).
 */

import { ApiError } from '../api/problem';
import { ConflictError } from '../editor/types';
import type { AttributeSpec } from '../attributes';
import { VideoSession } from './session.svelte';
import { withFrameValue } from './frame-attributes';
import { withAttributes } from './track-attributes';
import type { Job, Track, TrackResult, TrackServer } from './types';

export const BOX = [10, 10, 40, 80];

export function track(id: number, states: string): Track {
  const n = states.length;
  return {
    track_id: id,
    label: 'person',
    frame_count: n,
    keyframes: [...states].flatMap((c, i) => (c === 'k' || c === 'x' ? [i] : [])),
    states,
    boxes: Array.from({ length: n }, () => [...BOX]),
    confidence: Array.from({ length: n }, (_, i) => (states[i] === 'p' ? 0.8 : null)),
    review: [],
    suggested: [],
    job: null,
  };
}

export function job(id: number, status: Job['status'], extra: Partial<Job> = {}): Job {
  return {
    id,
    kind: 'propagate',
    project_id: 1,
    status,
    progress: status === 'succeeded' ? 1 : 0.5,
    message: '',
    params: {},
    result: null,
    error: null,
    cancel_requested: false,
    created_by: 1,
    created_at: '',
    started_at: null,
    finished_at: null,
    ...extra,
  };
}

const setChar = (s: string, f: number, c: string): string => s.slice(0, f) + c + s.slice(f + 1);
const keyframesOf = (states: string): number[] => [...states].flatMap((c, i) => (c === 'k' || c === 'x' ? [i] : []));
const byId = (a: Track, b: Track): number => a.track_id - b.track_id;

/** What a person set on a track, as the server compares it before an undo: label, keyframes and values. */
const personal = (t: Track): string =>
  JSON.stringify([t.label, t.keyframes.map((f) => [f, t.states[f], t.boxes[f]]), t.attributes ?? {}, t.frame_attributes ?? {}]);

/** The server's undo of a delete, split or merge: the tracks before it under a token, and those it left. */
function undoCopies(tracks: () => Track[]) {
  const kept = new Map<number, { before: Track[]; after: Map<number, string> }>();
  let tokens = 0;
  const refuse = (detail: string): ApiError => new ApiError(409, { status: 409, detail, field: 'undo_token' });
  return {
    keep(before: Track[], after: number[]): number {
      const left = new Map(after.map((id) => [id, personal(tracks().find((t) => t.track_id === id)!)]));
      kept.set(++tokens, { before: structuredClone(before), after: left });
      if (kept.size > 50) kept.delete(Math.min(...kept.keys()));
      return tokens;
    },
    /** The tracks to put back and the ids to remove; refused as the server refuses it. */
    take(token: number): { back: Track[]; removed: number[] } {
      const k = kept.get(token);
      if (!k) throw new ApiError(404, { status: 404, detail: `item 1 has no track change ${token} to undo`, field: 'undo_token' });
      const now = new Map(tracks().map((t) => [t.track_id, t]));
      for (const [id, was] of k.after) {
        const t = now.get(id);
        if (!t || personal(t) !== was) throw refuse(`track ${id} was changed after this change: undo cannot put it back`);
      }
      for (const t of k.before) {
        if (!k.after.has(t.track_id) && now.has(t.track_id)) throw refuse(`track ${t.track_id}'s id is another track's now`);
      }
      kept.delete(token);
      const back = new Set(k.before.map((t) => t.track_id));
      return { back: k.before, removed: [...k.after.keys()].filter((id) => !back.has(id)) };
    },
  };
}

/** An in-memory server keeping versions like the real one; `failNext` makes the next change answer with an error. */
export function fakeServer(initial: Track[]) {
  const state = {
    version: 5,
    tracks: initial.map((t) => ({ ...t })),
    lists: 0,
    /** The tracks each `list` call asked for: null for all of them. */
    listed: [] as (number | null)[],
    sent: [] as { op: string; version: number }[],
  };
  let fail: Error | null = null;
  let jobs = 100;
  // Ids are never given twice here, so that a test sees a track made again under another id.
  let nextId = Math.max(0, ...initial.map((t) => t.track_id)) + 1;
  const finishJob: ((j: Job) => void)[] = [];
  const copies = undoCopies(() => state.tracks);
  const check = (op: string, version: number): void => {
    state.sent.push({ op, version });
    if (fail) {
      const e = fail;
      fail = null;
      throw e;
    }
    if (version !== state.version) throw new ConflictError('stale', state.version);
  };
  // A track or a keyframe that is not there: 404, in the real server's words.
  const missing = (detail: string, field: string): ApiError => new ApiError(404, { status: 404, detail, field });
  const find = (id: number): Track => {
    const t = state.tracks.find((x) => x.track_id === id);
    if (!t) throw missing(`item 1 has no track ${id}`, 'track_id');
    return t;
  };
  const change = (op: string, version: number, t: () => Track): TrackResult => {
    check(op, version);
    const next = t();
    state.version++;
    state.tracks = [...state.tracks.filter((x) => x.track_id !== next.track_id), next].sort(byId);
    return { version: state.version, track: next, job: job(++jobs, 'queued') };
  };
  const server: TrackServer = {
    list: async (trackId) => {
      state.lists++;
      state.listed.push(trackId ?? null);
      const tracks = trackId === undefined ? state.tracks : state.tracks.filter((t) => t.track_id === trackId);
      return { version: state.version, frame_count: 10, width: 320, height: 240, fps: 25, tracks };
    },
    create: async (b) =>
      change('create', b.version, () => {
        const t = track(nextId++, 'k---------');
        const boxes = t.boxes.map((x, i) => (i === b.frame ? [...b.box] : x));
        return { ...t, label: b.label, boxes, attributes: { ...(b.attributes ?? {}) } };
      }),
    setKeyframe: async (id, f, version, box) =>
      change('keyframe', version, () => {
        const t = find(id);
        const boxes = t.boxes.map((x, i) => (i === f && box ? [...box] : x));
        return { ...t, boxes, states: setChar(t.states, f, box ? 'k' : 'x'), keyframes: [...new Set([...t.keyframes, f])].sort((a, b) => a - b) };
      }),
    removeKeyframe: async (id, f, version) =>
      change('remove', version, () => {
        const t = find(id);
        if (!t.keyframes.includes(f)) throw missing(`frame ${f} is not a keyframe of track ${id}`, 'frame');
        return { ...t, states: setChar(t.states, f, 'p'), keyframes: t.keyframes.filter((k) => k !== f) };
      }),
    relabel: async (id, version, label, attributes) =>
      change(label === null ? 'attributes' : 'relabel', version, () => {
        const t = find(id);
        const relabelled = label === null ? t : { ...t, label };
        return attributes ? withAttributes(relabelled, attributes) : relabelled;
      }),
    setFrameValues: async (id, version, from, to, values) =>
      change('frame', version, () => {
        let t = find(id);
        for (const [name, value] of Object.entries(values)) t = withFrameValue(t, { name, from, to, value });
        return t;
      }),
    deleteTrack: async (id, version) => {
      check('delete', version);
      const before = [find(id)];
      state.tracks = state.tracks.filter((t) => t.track_id !== id);
      return { version: ++state.version, undo_token: copies.keep(before, []) };
    },
    // Split and merge as the server does them, on state strings: the seams become keyframes (`x` outside).
    split: async (id, f, version) => {
      check('split', version);
      const t = find(id);
      const n = t.states.length;
      const head = t.states.slice(0, f - 1) + (t.states[f - 1] === 'p' ? 'k' : t.states[f - 1]) + 'x' + '-'.repeat(n - f - 1);
      const tail = '-'.repeat(f - 1) + 'x' + (t.states[f] === 'p' ? 'k' : t.states[f]) + t.states.slice(f + 1);
      const old = { ...t, states: head, keyframes: keyframesOf(head), job: job(++jobs, 'queued') };
      const made = { ...t, track_id: nextId++, states: tail, keyframes: keyframesOf(tail), job: job(++jobs, 'queued') };
      state.tracks = [...state.tracks.filter((x) => x.track_id !== id), old, made].sort(byId);
      return { version: ++state.version, tracks: [old, made], removed: [], undo_token: copies.keep([t], [id, made.track_id]) };
    },
    merge: async ([a, b], version, label) => {
      check('merge', version);
      const [keep, gone] = [find(Math.min(a, b)), find(Math.max(a, b))];
      const states = [...keep.states].map((c, i) => (c === 'k' || c === 'p' ? c : gone.states[i] === 'x' ? c : gone.states[i]!)).join('');
      const merged = { ...keep, label: label ?? keep.label, states, keyframes: keyframesOf(states), job: job(++jobs, 'queued') };
      state.tracks = state.tracks.filter((x) => x.track_id !== gone.track_id).map((x) => (x.track_id === keep.track_id ? merged : x));
      return { version: ++state.version, tracks: [merged], removed: [gone.track_id], undo_token: copies.keep([keep, gone], [keep.track_id]) };
    },
    undoChange: async (token, version) => {
      check('undo', version);
      const { back, removed } = copies.take(token);
      const gone = new Set([...removed, ...back.map((t) => t.track_id)]);
      state.tracks = [...state.tracks.filter((t) => !gone.has(t.track_id)), ...back].sort(byId);
      return { version: ++state.version, tracks: back, removed, undo_token: null };
    },
    propagate: async () => job(++jobs, 'queued'),
    follow: (_id, onUpdate, signal) =>
      new Promise<Job>((resolve, reject) => {
        onUpdate(job(_id, 'running'));
        finishJob.push(resolve);
        signal.addEventListener('abort', () => reject(new DOMException('stopped', 'AbortError')));
      }),
    frameUrl: (f) => `/frames/${f}`,
    prefetch: async () => [],
  };
  return {
    server,
    state,
    failNext: (e: Error) => (fail = e),
    finish: (j: Job) => finishJob.shift()?.(j),
    otherUserEdits: () => state.version++,
    /** Another person deletes track `id` (in another tab); the item's version moves on. */
    otherUserDeletes: (id: number) => {
      state.tracks = state.tracks.filter((t) => t.track_id !== id);
      state.version++;
    },
  };
}

/** A loaded session on a fake server, with the contexts of the errors it reported. */
export async function session(tracks: Track[], attributes: readonly AttributeSpec[] = []) {
  const fake = fakeServer(tracks);
  const reports: string[] = [];
  const s = new VideoSession(fake.server, {
    readonly: false,
    frameCount: 10,
    width: 320,
    height: 240,
    fps: 25,
    version: 5,
    attributes,
    report: (_e, ctx) => reports.push(ctx),
  });
  await s.load();
  return { s, fake, reports };
}
