import { describe, expect, it } from 'vitest';
import { fillRange, regionLabels, slicesWith } from './fill';

describe('fill range', () => {
  it('takes the nearest annotated slices around the one on screen', () => {
    expect(fillRange([2, 6, 10], 4)).toEqual([2, 6]);
    expect(fillRange([2, 6, 10], 8)).toEqual([6, 10]);
  });

  it('counts the slice on screen as the lower end when it is annotated', () => {
    expect(fillRange([2, 6, 10], 6)).toEqual([6, 10]);
    expect(fillRange([2, 6], 6)).toEqual([2, 6]);
  });

  it('offers nothing without two annotated slices at least two apart', () => {
    expect(fillRange([], 3)).toBeNull();
    expect(fillRange([5], 3)).toBeNull();
    expect(fillRange([3, 4], 3)).toBeNull();
    expect(fillRange([1, 2], 5)).toBeNull();
  });
});

describe('the slices fill between may start from', () => {
  const mask = (label: string) => ({ kind: 'mask', label });
  it('are those with a mask of the current class, not any annotated slice', () => {
    // The demo phantom: spine on 4, liver on 5, 12, 19, lung on 24; liver between 19 and 24 has nothing to meet.
    const masks = new Map<number, string[]>([
      [4, ['spine']],
      [5, ['liver']],
      [12, ['liver']],
      [19, ['liver']],
      [24, ['lung']],
    ]);
    expect(slicesWith(masks, 'liver')).toEqual([5, 12, 19]);
    expect(fillRange(slicesWith(masks, 'liver'), 21)).toBeNull();
    expect(fillRange(slicesWith(masks, 'liver'), 15)).toEqual([12, 19]);
    expect(slicesWith(masks, null)).toEqual([]);
  });

  it('are learnt from a slice as saved: its masks and polygons, not its boxes or rejected proposals', () => {
    const shapes = [mask('lung'), mask('liver'), mask('lung'), { kind: 'polygon', label: 'spine' }, { kind: 'box', label: 'heart' }];
    expect(regionLabels(shapes)).toEqual(['liver', 'lung', 'spine']);
    expect(regionLabels([{ kind: 'mask', label: 'lung', state: 'rejected' }, { kind: 'mask', label: null }])).toEqual([]);
  });
});
