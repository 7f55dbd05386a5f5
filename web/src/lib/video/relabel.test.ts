import { describe, expect, it } from 'vitest';
import { relabelledText, relabelSelected, undo } from './edits';
import { session, track } from './testing';

describe('choosing a class with a track selected', () => {
  it('relabels the track and says so, with how to undo it', async () => {
    const { s, fake } = await session([track(1, 'kppppppppp')]);
    s.select(1);
    const said: string[] = [];
    await relabelSelected(s, 'car', (t) => said.push(t));
    expect(said).toEqual(["Track 1 is now 'car' (Ctrl+Z undoes)"]);
    expect(fake.state.tracks[0]!.label).toBe('car');
    await undo(s);
    await s.settled();
    expect(fake.state.tracks[0]!.label).toBe('person');
  });

  it('says nothing without a selection, or when the track has that label already', async () => {
    const { s, fake } = await session([track(1, 'kppppppppp')]);
    const said: string[] = [];
    await relabelSelected(s, 'car', (t) => said.push(t));
    s.select(1);
    await relabelSelected(s, 'person', (t) => said.push(t));
    expect(said).toEqual([]);
    expect(fake.state.sent).toEqual([]);
  });

  it('says nothing when the server refuses the new label (the refusal is reported instead)', async () => {
    const { s, fake, reports } = await session([track(1, 'kppppppppp')]);
    s.select(1);
    fake.failNext(new Error('unknown label'));
    const said: string[] = [];
    await relabelSelected(s, 'bus', (t) => said.push(t));
    expect(said).toEqual([]);
    expect(reports).toEqual(['Could not relabel track 1 as bus']);
    expect(relabelledText(3, 'dog')).toBe("Track 3 is now 'dog' (Ctrl+Z undoes)");
  });
});
