import { describe, expect, it } from 'vitest';
import { allNotice, flagsKey, flagsText, hiddenText, hideNotice, isShown, kept, lockedText, lockNotice, parseFlags, toggled } from './flags';

describe('the hidden and locked tracks as kept for the tab', () => {
  it('reads back what it wrote, per project and item', () => {
    const text = flagsText(new Set([7, 3]), new Set([2]));
    expect(text).toBe('{"hidden":[3,7],"locked":[2]}');
    expect(parseFlags(text)).toEqual({ hidden: [3, 7], locked: [2] });
    expect(flagsKey(1, 12)).not.toBe(flagsKey(1, 13));
    expect(flagsKey(1, 12)).not.toBe(flagsKey(2, 12));
  });

  it('keeps nothing when nothing is hidden or locked (the key is removed)', () => {
    expect(flagsText(new Set(), new Set())).toBeNull();
    expect(parseFlags(null)).toEqual({ hidden: [], locked: [] });
  });

  it('shows every track unlocked when the stored text is not its own', () => {
    const none = { hidden: [], locked: [] };
    for (const raw of ['', 'not json', '[1,2]', 'null', '7', '{"hidden":"1"}', '{"hidden":[1.5]}', '{"locked":[-1]}',
      '{"hidden":[1],"locked":["2"]}', '{"hidden":[null]}', '{"locked":[1e300]}']) {
      expect(parseFlags(raw), raw).toEqual(none);
    }
    expect(parseFlags(JSON.stringify({ hidden: Array.from({ length: 100_001 }, (_, i) => i) }))).toEqual(none);
  });

  it('takes a list without one of the two, and repeated or unsorted ids', () => {
    expect(parseFlags('{"locked":[4,1,4]}')).toEqual({ hidden: [], locked: [1, 4] });
    expect(parseFlags('{"hidden":[0,2],"other":true}')).toEqual({ hidden: [0, 2], locked: [] });
  });

  it('toggles an id and drops the ids of tracks that are gone', () => {
    const s = new Set([1, 2]);
    expect([...toggled(s, 2)]).toEqual([1]);
    expect([...toggled(s, 3)]).toEqual([1, 2, 3]);
    expect([...s]).toEqual([1, 2]);
    expect([...kept(s, new Set([2, 5]))]).toEqual([2]);
    expect(kept(s, new Set([1, 2, 3]))).toBe(s);
  });
});

describe('which tracks are drawn', () => {
  const hidden = new Set([3]);

  it('never draws a track hidden on its own, selected or not', () => {
    expect(isShown(hidden, false, 3, null)).toBe(false);
    expect(isShown(hidden, false, 3, 3)).toBe(false);
    expect(isShown(hidden, false, 4, null)).toBe(true);
  });

  it('with H draws the selected track alone, and without it exactly what it drew before', () => {
    expect([1, 3, 4].filter((id) => isShown(hidden, true, id, 4))).toEqual([4]);
    expect([1, 3, 4].filter((id) => isShown(hidden, true, id, null))).toEqual([]);
    expect([1, 3, 4].filter((id) => isShown(hidden, false, id, 4))).toEqual([1, 4]);
  });
});

describe('what the editor says', () => {
  it('says a selected hidden track is hidden, and how to show it', () => {
    expect(hiddenText(3, true)).toBe('Track 3 is hidden (Shift+H shows it)');
    expect(hiddenText(3, false)).toBe('Track 3 is hidden with every track (H shows them)');
  });

  it('says why a change to a locked track was refused, and how to unlock it', () => {
    expect(lockedText(3, true)).toBe('Track 3 is locked (L unlocks it)');
    expect(lockedText(3, false)).toBe('Track 3 is locked (its lock button in the track list unlocks it)');
    expect(lockedText(3, true, 'undo: move the box of track 3 on frame 20')).toBe(
      'Cannot undo: move the box of track 3 on frame 20: track 3 is locked (L unlocks it)',
    );
  });

  it('says what Shift+H, H and L did', () => {
    expect(hideNotice(3, true, false, true)).toBe('Track 3 is hidden (Shift+H shows it)');
    expect(hideNotice(3, true, false, false)).toBe('Track 3 is hidden (its eye button shows it)');
    expect(hideNotice(3, false, false, true)).toBe('Track 3 is shown again');
    expect(hideNotice(3, false, true, true)).toBe('Track 3 will be shown when H shows the tracks again');
    expect(allNotice(true, null, 0)).toBe('Every track is hidden (H shows them again)');
    expect(allNotice(true, 4, 0)).toBe('Every track but the selected track 4 is hidden (H shows them again)');
    expect(allNotice(false, null, 0)).toBe('The tracks are shown again');
    expect(allNotice(false, null, 1)).toBe('The tracks are shown again (1 stays hidden on its own)');
    expect(allNotice(false, null, 2)).toBe('The tracks are shown again (2 stay hidden on their own)');
    expect(lockNotice(3, true, true)).toBe('Track 3 is locked: it cannot be moved, changed or deleted (L unlocks it)');
    expect(lockNotice(3, true, false)).toBe('Track 3 is locked: it cannot be moved, changed or deleted (its lock button unlocks it)');
    expect(lockNotice(3, false, true)).toBe('Track 3 is unlocked');
  });
});
