import { describe, expect, it } from 'vitest';
import type { AttributeSpec } from '../attributes';
import type { Question } from '../confirm.svelte';
import { createTrack, redo, relabel, setTrackAttributes, undo } from './edits';
import { inverseOf } from './inverse';
import { session, track } from './testing';
import { mixedWarning, relabelChanges, trackAttributePanel, undoChanges, withAttributes } from './track-attributes';

const SPECS: AttributeSpec[] = [
  { name: 'kind', type: 'select', options: ['sedan', 'van'], labels: ['car'], default: null },
  { name: 'occluded', type: 'bool', options: [], labels: [], default: false },
  { name: 'helmet', type: 'bool', options: [], labels: ['person'], default: true },
];

const car = (values: Record<string, string | number | boolean> = {}, mixed: string[] = []) => ({
  ...track(3, 'kpppp'),
  label: 'car',
  attributes: values,
  attributes_mixed: mixed,
});

describe('the selected track in the Attributes section', () => {
  it('shows a row per attribute its label takes, with the track’s value', () => {
    const p = trackAttributePanel(SPECS, car({ kind: 'van' }));
    expect(p.target).toBe('track 3');
    expect(p.keys).toEqual(['3']);
    expect(p.rows.map((r) => [r.spec.name, r.value, r.mixed])).toEqual([
      ['kind', 'van', false],
      ['occluded', null, false],
    ]);
  });

  it('shows an attribute whose boxes differ as mixed, without a value', () => {
    const row = trackAttributePanel(SPECS, car({ occluded: true }, ['kind'])).rows[0]!;
    expect([row.spec.name, row.value, row.mixed]).toEqual(['kind', null, true]);
  });

  it('says what to do with no track selected, or none applying', () => {
    expect(trackAttributePanel(SPECS, null).empty).toBe('Select a track to see and set its attributes.');
    expect(trackAttributePanel(SPECS.slice(0, 1), { ...car(), label: 'person' }).empty).toBe(
      'No attributes apply to person tracks.',
    );
  });
});

describe('track values', () => {
  it('applies changes, null removing one, and knows the values that undo them', () => {
    const t = car({ kind: 'van', occluded: false }, ['occluded']);
    const next = withAttributes(t, { kind: null, occluded: true });
    expect(next.attributes).toEqual({ occluded: true });
    expect(next.attributes_mixed).toEqual([]);
    // occluded differed between the boxes: undo leaves it (null would wipe every box's own value), after asking.
    expect(undoChanges(t, { kind: null, occluded: true, helmet: true })).toEqual({ kind: 'van', helmet: null });
    expect(mixedWarning(t, { occluded: true })).toContain("'occluded' differs between the boxes of track");
    expect(mixedWarning(t, { kind: 'car' })).toBeNull();
  });

  it('relabelling drops the values the new label does not take and fills its defaults', () => {
    expect(relabelChanges(SPECS, car({ kind: 'van', occluded: true }), 'person')).toEqual({ kind: null, helmet: true });
    expect(relabelChanges(SPECS, car({ occluded: true }), 'car')).toEqual({});
    const op = { op: 'relabel' as const, label: 'person', attributes: { kind: null, helmet: true } };
    expect(inverseOf(car({ kind: 'van' }), op)).toEqual({ op: 'relabel', label: 'car', attributes: { kind: 'van', helmet: null } });
  });
});

describe('changing a track’s values in the editor', () => {
  it('sends one undoable change, and undo and redo put the values back', async () => {
    const { s, fake } = await session([car({ kind: 'sedan' })], SPECS);
    await setTrackAttributes(s, 3, { kind: 'van' });
    expect(fake.state.tracks[0]!.attributes).toEqual({ kind: 'van' });
    expect(s.undoWhat).toBe('set kind to van on track 3');
    expect(await setTrackAttributes(s, 3, { kind: 'van' })).toBeNull(); // already so: nothing sent
    await undo(s);
    await s.settled();
    expect(fake.state.tracks[0]!.attributes).toEqual({ kind: 'sedan' });
    await redo(s);
    await s.settled();
    expect(fake.state.tracks[0]!.attributes).toEqual({ kind: 'van' });
    expect(fake.state.sent.map((x) => x.op)).toEqual(['attributes', 'attributes', 'attributes']);
  });

  it('asks before one value replaces values that differ between the boxes, and sends nothing when declined', async () => {
    const { s, fake } = await session([car({ kind: 'van' }, ['occluded'])], SPECS);
    const asked: Question[] = [];
    expect(await setTrackAttributes(s, 3, { occluded: true }, async (q) => (asked.push(q), false))).toBeNull();
    expect(asked).toEqual([
      {
        title: 'Give every box the same value?',
        message: mixedWarning(s.track(3)!, { occluded: true }),
        confirm: 'Set on every box',
        danger: true,
      },
    ]);
    expect(fake.state.sent).toEqual([]);
    await setTrackAttributes(s, 3, { occluded: true }, async () => true);
    expect(fake.state.tracks[0]!.attributes).toEqual({ kind: 'van', occluded: true });
    // Nothing mixed: not asked.
    await setTrackAttributes(s, 3, { kind: 'sedan' }, async () => Promise.reject(new Error('asked')));
    expect(fake.state.sent.map((x) => x.op)).toEqual(['attributes', 'attributes']);
  });

  it('a relabel drops the values the new label does not take, and its undo brings them back', async () => {
    const { s, fake } = await session([car({ kind: 'van', occluded: true })], SPECS);
    await relabel(s, 3, 'person');
    expect(fake.state.tracks[0]!.label).toBe('person');
    expect(fake.state.tracks[0]!.attributes).toEqual({ occluded: true, helmet: true });
    await undo(s);
    await s.settled();
    expect(fake.state.tracks[0]!.label).toBe('car');
    expect(fake.state.tracks[0]!.attributes).toEqual({ kind: 'van', occluded: true });
  });

  it('a new track starts with its label’s defaults', async () => {
    const { s, fake } = await session([], SPECS);
    await createTrack(s, 'person', 0, [10, 10, 40, 80]);
    expect(fake.state.tracks[0]!.attributes).toEqual({ occluded: false, helmet: true });
  });
});
