import { describe, expect, it } from 'vitest';
import { ConflictError } from '../editor/types';
import { createTrack, makeKeyframe, removeKeyframe, setBox, toggleOutside } from './edits';
import { VideoSession } from './session.svelte';
import type { Job, Track, TrackResult, TrackServer } from './types';

function track(id: number, states: string): Track {
  const n = states.length;
  return {
    track_id: id,
    label: 'person',
    frame_count: n,
    keyframes: [...states].flatMap((c, i) => (c === 'k' || c === 'x' ? [i] : [])),
    states,
    boxes: Array.from({ length: n }, () => [10, 10, 40, 80]),
    confidence: Array.from({ length: n }, (_, i) => (states[i] === 'p' ? 0.8 : null)),
    review: [],
    suggested: [],
    job: null,
  };
}

function job(id: number, status: Job['status'], extra: Partial<Job> = {}): Job {
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

/** An in-memory server keeping versions like the real one; `fail` makes the next change answer with an error. */
function fakeServer(initial: Track[]) {
  const state = { version: 5, tracks: initial.map((t) => ({ ...t })), lists: 0, sent: [] as { op: string; version: number }[] };
  let fail: Error | null = null;
  let jobs = 100;
  const finishJob: ((j: Job) => void)[] = [];
  const change = (op: string, version: number, t: Track): TrackResult => {
    state.sent.push({ op, version });
    if (fail) {
      const e = fail;
      fail = null;
      throw e;
    }
    if (version !== state.version) throw new ConflictError('stale', state.version);
    state.version++;
    state.tracks = [...state.tracks.filter((x) => x.track_id !== t.track_id), t].sort((a, b) => a.track_id - b.track_id);
    return { version: state.version, track: t, job: job(++jobs, 'queued') };
  };
  const server: TrackServer = {
    list: async () => {
      state.lists++;
      return { version: state.version, frame_count: 10, width: 320, height: 240, fps: 25, tracks: state.tracks };
    },
    create: async (b) => change('create', b.version, { ...track(state.tracks.length + 1, 'k---------'), label: b.label }),
    setKeyframe: async (id, f, version, box) => {
      const t = state.tracks.find((x) => x.track_id === id)!;
      const states = t.states.slice(0, f) + (box ? 'k' : 'x') + t.states.slice(f + 1);
      return change('keyframe', version, { ...t, states, keyframes: [...new Set([...t.keyframes, f])].sort((a, b) => a - b) });
    },
    removeKeyframe: async (id, f, version) => change('remove', version, state.tracks.find((x) => x.track_id === id)!),
    relabel: async (id, version, label) => change('relabel', version, { ...state.tracks.find((x) => x.track_id === id)!, label }),
    deleteTrack: async (_id, version) => ({ version: version + 1 }),
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
  };
}

async function session(tracks: Track[]) {
  const fake = fakeServer(tracks);
  const reports: string[] = [];
  const s = new VideoSession(fake.server, {
    readonly: false,
    frameCount: 10,
    width: 320,
    height: 240,
    fps: 25,
    version: 5,
    report: (_e, ctx) => reports.push(ctx),
  });
  await s.load();
  return { s, fake, reports };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe('VideoSession', () => {
  it('sends each change with the version the previous answer gave, in order', async () => {
    const { s, fake } = await session([track(1, 'kppppppppp')]);
    const t = s.track(1)!;
    void setBox(s, t, 3, [0, 0, 20, 20]);
    void setBox(s, s.track(1)!, 6, [0, 0, 20, 20]);
    await s.settled();
    expect(fake.state.sent).toEqual([
      { op: 'keyframe', version: 5 },
      { op: 'keyframe', version: 6 },
    ]);
    expect(s.version).toBe(7);
    expect(s.track(1)!.keyframes).toEqual([0, 3, 6]);
    expect(s.saveState).toBe('saved');
  });

  it('shows a change at once, before the server answers', async () => {
    const { s } = await session([track(1, 'kppppppppp')]);
    const done = makeKeyframe(s, s.track(1)!, 4);
    expect(s.track(1)!.states[4]).toBe('k');
    expect(s.saveState).toBe('saving');
    await done;
    expect(s.saveState).toBe('saved');
  });

  it('on 409 reloads their tracks, holds the change, and sends it again on "mine"', async () => {
    const { s, fake } = await session([track(1, 'kppppppppp')]);
    fake.otherUserEdits();
    await toggleOutside(s, s.track(1)!, 2);
    expect(s.saveState).toBe('conflict');
    expect(s.conflict).toMatchObject({ what: 'mark track 1 outside on frame 2', theirs: 6, loading: false });
    expect(s.track(1)!.states[2]).toBe('p');
    // Further changes wait until the conflict is settled.
    expect(await s.edit({ what: 'x', send: async (v) => ({ version: v }) })).toBeNull();
    await s.resolveConflict('mine');
    expect(s.conflict).toBeNull();
    expect(fake.state.sent.at(-1)).toEqual({ op: 'keyframe', version: 6 });
    expect(s.track(1)!.states[2]).toBe('x');
    expect(s.version).toBe(7);
  });

  it('drops the change on "theirs"', async () => {
    const { s, fake } = await session([track(1, 'kppppppppp')]);
    fake.otherUserEdits();
    await setBox(s, s.track(1)!, 5, [1, 1, 9, 9]);
    await s.resolveConflict('theirs');
    expect(s.saveState).toBe('saved');
    expect(s.track(1)!.states[5]).toBe('p');
    expect(fake.state.sent).toHaveLength(1);
  });

  it('reports a refused change and shows the server’s tracks again', async () => {
    const { s, fake, reports } = await session([track(1, 'kppppppppp')]);
    fake.failNext(new Error('box: x2 must be greater than x1'));
    await setBox(s, s.track(1)!, 5, [1, 1, 9, 9]);
    expect(reports).toEqual(['Could not move the box of track 1 on frame 5']);
    expect(s.saveState).toBe('error');
    expect(s.saveError).toContain('x2 must be greater');
    expect(s.track(1)!.states[5]).toBe('p');
  });

  it('follows each track’s job and reloads the tracks when one succeeds', async () => {
    const { s, fake } = await session([track(1, 'kppppppppp')]);
    const created = await createTrack(s, 'car', 0, [5, 5, 50, 50]);
    expect(created?.label).toBe('car');
    expect(s.selected).toBe(created!.track_id);
    await s.propagate(1, 'interpolate');
    expect(s.propagating).toBe(2);
    expect(s.jobOf(1)?.status).toBe('running');
    const lists = fake.state.lists;
    fake.finish(job(101, 'succeeded', { result: { superseded: false } }));
    await tick();
    await s.settled();
    expect(fake.state.lists).toBe(lists + 1);
    expect(s.propagating).toBe(1);
    // A superseded job's result is not worth a reload: the newer edit has its own job.
    fake.finish(job(102, 'succeeded', { result: { superseded: true } }));
    await tick();
    await s.settled();
    expect(fake.state.lists).toBe(lists + 1);
    expect(s.propagating).toBe(0);
  });

  it('asks before removing the last keyframe with a box', async () => {
    const { s } = await session([track(1, 'kppppppppx')]);
    expect(removeKeyframe(s, s.track(1)!, 0)).toBe('last');
    expect(removeKeyframe(s, s.track(1)!, 4)).toBe('not-keyframe');
    expect(removeKeyframe(s, s.track(1)!, 9)).toBe('removed');
    await s.settled();
  });

  it('lets a viewer look but sends nothing', async () => {
    const fake = fakeServer([track(1, 'kppppppppp')]);
    const s = new VideoSession(fake.server, { readonly: true, frameCount: 10, width: 1, height: 1, fps: null, version: 5, report: () => {} });
    await s.load();
    expect(s.saveState).toBe('readonly');
    expect(await setBox(s, s.track(1)!, 2, [0, 0, 5, 5])).toBeNull();
    expect(fake.state.sent).toEqual([]);
    expect(s.notice?.text).toMatch(/look but not edit/);
  });
});
