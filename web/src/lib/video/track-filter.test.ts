import { describe, expect, it } from 'vitest';
import { filterShown, filterTracks, labelChoices, matchesText, NO_FILTER } from './track-filter';

/** 42 tracks as on a street video: 1-30 pedestrians, 31-40 cars, 41 a bus, 42 a "car 12" (a class named so). */
const street = Array.from({ length: 42 }, (_, i) => ({
  track_id: i + 1,
  label: i < 30 ? 'pedestrian' : i < 40 ? 'car' : i === 40 ? 'bus' : 'car 12',
}));
const ids = (f: { shown: { track_id: number }[] }): number[] => f.shown.map((t) => t.track_id);

describe('finding a track in the list', () => {
  it('finds a track by #id, and by a bare id (or a class named with it)', () => {
    expect(ids(filterTracks(street, { text: '#12', label: '' }, null))).toEqual([12]);
    expect(ids(filterTracks(street, { text: '# 12 ', label: '' }, null))).toEqual([12]);
    const bare = filterTracks(street, { text: '12', label: '' }, null);
    expect(ids(bare)).toEqual([12, 42]);
    expect(bare.text).toBe('2 of 42 tracks');
  });

  it('finds tracks by part of their class name, in any case, and several at once with commas', () => {
    const cars = filterTracks(street, { text: 'CAR', label: '' }, null);
    expect(cars.text).toBe('11 of 42 tracks');
    expect(ids(filterTracks(street, { text: '#3, bus, #7', label: '' }, null))).toEqual([3, 7, 41]);
    expect(matchesText({ track_id: 1, label: 'traffic light' }, 'ic li')).toBe(true);
  });

  it('keeps one class with the class menu, together with the text', () => {
    const cars = filterTracks(street, { text: '', label: 'car' }, null);
    expect(cars.text).toBe('10 of 42 tracks');
    expect(ids(filterTracks(street, { text: '35', label: 'car' }, null))).toEqual([35]);
    expect(filterTracks(street, { text: '#3', label: 'car' }, null).text).toBe('0 of 42 tracks');
  });

  it('keeps the selected track listed, counted only when it matches', () => {
    const f = filterTracks(street, { text: 'bus', label: '' }, 5);
    expect(ids(f)).toEqual([5, 41]);
    expect(f.text).toBe('1 of 42 tracks');
  });

  it('shows the filter with more than 8 tracks, or while it holds something', () => {
    expect(filterShown(8, NO_FILTER)).toBe(false);
    expect(filterShown(9, NO_FILTER)).toBe(true);
    expect(filterShown(3, { text: 'car', label: '' })).toBe(true);
    expect(filterTracks(street, NO_FILTER, null).text).toBe('42 tracks');
    expect(filterTracks(street.slice(0, 1), NO_FILTER, null).text).toBe('1 track');
  });

  it('offers the classes the tracks have, in the project’s order, with their counts', () => {
    expect(labelChoices(street, ['bus', 'bike', 'car', 'pedestrian'])).toEqual([
      { label: 'bus', count: 1 },
      { label: 'car', count: 10 },
      { label: 'pedestrian', count: 30 },
      { label: 'car 12', count: 1 },
    ]);
  });
});
