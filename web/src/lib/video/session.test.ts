import { describe, expect, it } from 'vitest';
import { createTrack, makeKeyframe, removeKeyframe, setBox, toggleOutside } from './edits';
import { VideoSession } from './session.svelte';
import { fakeServer, job, session, track } from './testing';

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

  it('follows each track’s job and reloads that track when it succeeds', async () => {
    const { s, fake } = await session([track(1, 'kppppppppp')]);
    const created = await createTrack(s, 'car', 0, [5, 5, 50, 50]);
    expect(created?.label).toBe('car');
    expect(s.selected).toBe(created!.track_id);
    await s.propagate(1, 'interpolate');
    expect(s.propagating).toBe(2);
    expect(s.jobOf(1)?.status).toBe('running');
    const lists = fake.state.lists;
    const made = created!.track_id; // its job is 101, track 1's 102
    fake.state.tracks = fake.state.tracks.map((t) => (t.track_id === made ? { ...t, states: 'kpppppppoo' } : t));
    fake.finish(job(101, 'succeeded', { result: { superseded: false } }));
    await tick();
    await s.settled();
    expect(fake.state.lists).toBe(lists + 1);
    expect(fake.state.listed.at(-1)).toBe(made); // only the track whose job it was
    expect(s.track(made)!.states).toBe('kpppppppoo');
    expect(s.tracks.map((t) => t.track_id)).toEqual([1, created!.track_id]);
    expect(s.propagating).toBe(1);
    // A superseded job's result is not worth a reload: the newer edit has its own job.
    fake.finish(job(102, 'succeeded', { result: { superseded: true } }));
    await tick();
    await s.settled();
    expect(fake.state.lists).toBe(lists + 1);
    expect(s.propagating).toBe(0);
  });

  it('reads every track again after a job when someone else changed the video meanwhile', async () => {
    const { s, fake } = await session([track(1, 'kppppppppp'), track(2, 'kppppppppp')]);
    await s.propagate(1, 'track');
    // Another person deletes track 2 (the item's version moves on) while track 1 propagates.
    fake.state.tracks = fake.state.tracks.filter((t) => t.track_id !== 2);
    fake.state.version++;
    fake.finish(job(101, 'succeeded', { result: { superseded: false } }));
    await tick();
    await s.settled();
    expect(fake.state.listed.slice(-2)).toEqual([1, null]); // the one track, then all of them
    expect(s.tracks.map((t) => t.track_id)).toEqual([1]);
    expect(s.version).toBe(fake.state.version);
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
