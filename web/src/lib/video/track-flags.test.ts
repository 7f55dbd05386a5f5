import { describe, expect, it } from 'vitest';
import { VideoControls } from './controls';
import { deleteTrack, makeKeyframe, redo, relabel, relabelSelected, removeKeyframe, setBox, setFrameValue, setTrackAttributes, toggleOutside, undo } from './edits';
import { flagsKey } from './flags';
import type { FrameCache } from './frames';
import type { Player } from './player.svelte';
import type { VideoSession } from './session.svelte';
import { frameShapes, hitShape } from './shapes';
import { session, track } from './testing';
import { type FlagStore, TrackFlags } from './track-flags.svelte';
import { mergeTracks, splitTrack } from './track-ops';

/** sessionStorage as the browser has it, in a Map; `deny` makes every call throw (storage disabled). */
class MapStore implements FlagStore {
  readonly map = new Map<string, string>();
  deny = false;
  getItem(k: string): string | null {
    if (this.deny) throw new Error('SecurityError');
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string): void {
    if (this.deny) throw new Error('QuotaExceededError');
    this.map.set(k, v);
  }
  removeItem(k: string): void {
    this.map.delete(k);
  }
}

function flagsOn(store: FlagStore | null, item = 12): { flags: TrackFlags; said: string[] } {
  const said: string[] = [];
  return { flags: new TrackFlags(flagsKey(1, item), store, (t) => said.push(t)), said };
}

/** The keys' actions on `s` (`run('track.hide')` is Shift+H), with stand-ins for playback. */
function keys(s: VideoSession, flags: TrackFlags, editable = true): VideoControls {
  const player = { pause: () => {}, toggle: () => {} } as unknown as Player;
  const frames = { ahead: () => {} } as unknown as FrameCache;
  return new VideoControls({ session: s, player, frames, stage: () => null, shown: () => [], editable, confirmDelete: () => {}, toggleHelp: () => {}, flags });
}

describe('hidden and locked tracks kept for the tab', () => {
  it('keeps each item’s own flags over a reload', () => {
    const store = new MapStore();
    const { flags } = flagsOn(store);
    flags.toggleHidden(3, true);
    flags.toggleLocked(2, false);
    const again = flagsOn(store).flags;
    expect([...again.hidden, ...again.locked]).toEqual([3, 2]);
    const other = flagsOn(store, 13).flags;
    expect([other.hidden.size, other.locked.size]).toEqual([0, 0]);
    again.toggleHidden(3, true);
    again.toggleLocked(2, true);
    expect(store.map.size).toBe(0);
  });

  it('does not keep H (a reload shows the tracks), and H twice shows what was shown before', () => {
    const store = new MapStore();
    const { flags, said } = flagsOn(store);
    flags.toggleHidden(3, true);
    const drawn = (): number[] => [1, 2, 3].filter((id) => flags.shown(id, null));
    expect(drawn()).toEqual([1, 2]);
    flags.toggleAll(null);
    expect(drawn()).toEqual([]);
    expect(flagsOn(store).flags.allHidden).toBe(false);
    flags.toggleAll(null);
    expect(drawn()).toEqual([1, 2]);
    expect(said.at(-1)).toBe('The tracks are shown again (1 stays hidden on its own)');
  });

  it('reads a damaged value as nothing hidden or locked, and works without storage', () => {
    const store = new MapStore();
    store.map.set(flagsKey(1, 12), '{"hidden":[1],"locked":"all"}');
    expect([...flagsOn(store).flags.locked]).toEqual([]);
    store.deny = true;
    const { flags } = flagsOn(store);
    flags.toggleLocked(1, true);
    expect(flags.isLocked(1)).toBe(true);
    expect(flagsOn(null).flags.isLocked(1)).toBe(false);
  });

  it('forgets the flags of tracks that are gone', () => {
    const store = new MapStore();
    const { flags } = flagsOn(store);
    flags.toggleHidden(3, false);
    flags.toggleLocked(4, false);
    flags.keepTracks([1, 4]);
    expect([...flags.hidden, ...flags.locked]).toEqual([4]);
    expect(store.map.get(flagsKey(1, 12))).toBe('{"hidden":[],"locked":[4]}');
  });

  it('gives a track an undo brings back its flags, but a new track given a freed id starts plain', () => {
    const store = new MapStore();
    const { flags } = flagsOn(store);
    flags.toggleHidden(3, false);
    flags.toggleLocked(3, false);
    flags.toggleHidden(5, false);
    flags.keepTracks([1]);
    expect([flags.hidden.size, flags.locked.size]).toEqual([0, 0]);
    flags.bringBack(3);
    flags.keepTracks([1, 3, 5]); // 5 is a new track the server gave the id
    expect([[...flags.hidden], [...flags.locked]]).toEqual([[3], [3]]);
    expect(store.map.get(flagsKey(1, 12))).toBe('{"hidden":[3],"locked":[3]}');
    flags.bringBack(5);
    expect(flags.hidden.has(5)).toBe(false);
  });
});

describe('undoing the delete of a hidden track', () => {
  it('brings the track back hidden, as it was before the delete', async () => {
    const { s } = await session([track(1, 'kppp'), track(2, 'kppp')]);
    const flags = TrackFlags.forSession(s, 1, 12);
    // The track list keeps the flags to the item's tracks whenever they change.
    const listed = (): void => flags.keepTracks(s.tracks.map((t) => t.track_id));
    flags.toggleHidden(2, false);
    await deleteTrack(s, 2);
    listed();
    expect(flags.hidden.has(2)).toBe(false);
    await undo(s);
    await s.settled();
    listed();
    expect(s.track(2)).not.toBeNull();
    expect(flags.hidden.has(2)).toBe(true);
    expect(flags.shown(2, null)).toBe(false);
    // Deleted again by a redo, and brought back again.
    await redo(s);
    await s.settled();
    listed();
    expect(flags.hidden.size).toBe(0);
    await undo(s);
    await s.settled();
    listed();
    expect([...flags.hidden]).toEqual([2]);
  });
});

describe('the stage with hidden and locked tracks', () => {
  const tracks = [track(1, 'kppp'), { ...track(2, 'kppp'), boxes: Array.from({ length: 4 }, () => [100, 100, 150, 150]) }];

  it('draws no box of a hidden track, so a click there finds nothing', () => {
    const { flags } = flagsOn(null);
    flags.toggleHidden(2, false);
    const shapes = frameShapes(tracks, 1, false, () => '#fff', flags.onStage(2));
    expect(shapes.map((s) => s.id)).toEqual([1]);
    expect(hitShape(shapes, { x: 120, y: 120 }, 2, 1, 2)).toBeNull();
  });

  it('marks a locked box, which has no handles to resize it by', () => {
    const { flags } = flagsOn(null);
    flags.toggleLocked(1, true);
    const shapes = frameShapes(tracks, 1, false, () => '#fff', flags.onStage(1));
    expect(shapes.map((s) => [s.id, s.locked])).toEqual([[1, true], [2, false]]);
    // The corner handle of the selected box: only its body when it is locked.
    expect(hitShape(shapes, { x: 10, y: 10 }, 2, 1, 1)).toEqual({ id: 1, part: 'body' });
  });
});

describe('a locked track refuses changes, and nothing is sent', () => {
  async function locked() {
    const r = await session([track(1, 'kppppkpppp'), track(2, 'xxxxxxxxxk')], [
      { name: 'kind', type: 'select', options: ['sedan', 'van'], labels: [], default: null },
      { name: 'occluded', type: 'bool', options: [], labels: [], default: false, mutable: true },
    ]);
    const flags = TrackFlags.forSession(r.s, 1, 12);
    flags.toggleLocked(1, true);
    r.s.select(1);
    return { ...r, flags };
  }

  it('refuses every edit of the selected locked track, saying L unlocks it', async () => {
    const { s, fake } = await locked();
    const t = s.track(1)!;
    const tries: (() => unknown)[] = [
      () => setBox(s, t, 3, [1, 1, 20, 20]),
      () => makeKeyframe(s, t, 3),
      () => toggleOutside(s, t, 3),
      () => relabel(s, 1, 'car'),
      () => relabelSelected(s, 'car', () => {}),
      () => setTrackAttributes(s, 1, { kind: 'van' }),
      () => setFrameValue(s, 1, 3, 'occluded', true),
      () => deleteTrack(s, 1),
      () => splitTrack(s, t, 5),
      () => s.propagate(1, 'track'),
    ];
    const said = (): string | undefined => s.notice?.text;
    for (const attempt of tries) {
      s.notice = null;
      expect(await attempt()).toBeFalsy();
      expect(said()).toBe('Track 1 is locked (L unlocks it)');
    }
    expect(removeKeyframe(s, t, 5)).toBe('refused');
    await s.settled();
    expect(fake.state.sent).toEqual([]);
    expect(s.track(1)!.label).toBe('person');
  });

  it('refuses a merge with a locked track that is not selected, naming its lock button', async () => {
    const { s, fake } = await locked();
    s.select(2);
    expect(await mergeTracks(s, 2, 1, async () => true)).toBeNull();
    expect(s.notice?.text).toBe('Track 1 is locked (its lock button in the track list unlocks it)');
    expect(fake.state.sent).toEqual([]);
  });

  it('keeps a step of a locked track in the history: undone and redone once it is unlocked', async () => {
    const { s, fake, flags } = await locked();
    flags.toggleLocked(1, true);
    await setBox(s, s.track(1)!, 3, [1, 1, 20, 20]);
    flags.toggleLocked(1, true);
    await undo(s);
    expect(s.notice?.text).toBe('Cannot undo: move the box of track 1 on frame 3: track 1 is locked (L unlocks it)');
    expect(s.undoWhat).toBe('move the box of track 1 on frame 3');
    expect(fake.state.sent.map((x) => x.op)).toEqual(['keyframe']);
    flags.toggleLocked(1, true);
    await undo(s);
    await s.settled();
    expect(s.notice?.text).toBe('Undid: move the box of track 1 on frame 3');
    flags.toggleLocked(1, true);
    await redo(s);
    expect(s.notice?.text).toBe('Cannot redo: move the box of track 1 on frame 3: track 1 is locked (L unlocks it)');
    expect(fake.state.sent.map((x) => x.op)).toEqual(['keyframe', 'remove']);
  });

  it('lets a hidden track be changed: hiding is display only', async () => {
    const { s, fake, flags } = await locked();
    flags.toggleHidden(2, false);
    await setBox(s, s.track(2)!, 9, [1, 1, 20, 20]);
    expect(fake.state.sent.map((x) => x.op)).toEqual(['keyframe']);
  });
});

describe('H, Shift+H and L', () => {
  it('hide and lock the selected track, and say so', async () => {
    const { s } = await session([track(1, 'kppp'), track(2, 'kppp')]);
    const flags = TrackFlags.forSession(s, 1, 12);
    const k = keys(s, flags);
    k.run('track.hide');
    expect(s.notice?.text).toBe('Select a track to hide first (click its box or its card, or Tab)');
    s.select(2);
    k.run('track.hide');
    expect(s.notice?.text).toBe('Track 2 is hidden (Shift+H shows it)');
    k.run('track.lock');
    expect(s.notice?.text).toBe('Track 2 is locked: it cannot be moved, changed or deleted (L unlocks it)');
    k.run('tracks.hide');
    expect(s.notice?.text).toBe('Every track but the selected track 2 is hidden (H shows them again)');
    expect([1, 2].filter((id) => flags.shown(id, s.selected))).toEqual([]);
    k.run('tracks.hide');
    k.run('track.hide');
    expect([1, 2].filter((id) => flags.shown(id, s.selected))).toEqual([1, 2]);
    expect([...flags.locked]).toEqual([2]);
  });

  it('do not lock for a viewer, and say where the filter is', async () => {
    const { s } = await session([track(1, 'kppp')]);
    const flags = TrackFlags.forSession(s, 1, 12);
    s.select(1);
    keys(s, flags, false).run('track.lock');
    expect(s.notice?.text).toBe('You can look but not edit this item');
    expect(flags.locked.size).toBe(0);
    keys(s, flags).run('tracks.find');
    expect(s.notice?.text).toBe('With more than 8 tracks, a filter over the track list finds one');
  });
});
