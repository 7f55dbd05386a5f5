import { describe, expect, it } from 'vitest';
import { formatIntensity, formatSlices, formatVolume, jumpSlice } from './measures';

describe('formatVolume', () => {
  it.each([
    [12.4, '12.4 mL'],
    [12.04, '12 mL'],
    [0.35, '0.35 mL'],
    [0.36, '0.36 mL'],
    [0.3, '0.3 mL'],
    [1.5, '1.5 mL'],
    [0.999, '1 mL'],
    [152.4, '152 mL'],
    [1520.2, '1,520 mL'],
    [99.97, '100 mL'],
    [0.0042, '4.2 mm³'],
    [0.00002, '0 mm³'],
    [0, '0 mL'],
    [Number.NaN, '0 mL'],
  ])('%s mL reads %s', (ml, text) => {
    expect(formatVolume(ml)).toBe(text);
  });
});

describe('formatSlices', () => {
  it('counts slices from 1, as the slice counter does', () => {
    expect(formatSlices({ first_slice: 2, last_slice: 16 })).toBe('Slices 3–17');
    expect(formatSlices({ first_slice: 3, last_slice: 3 })).toBe('Slice 4');
  });
});

describe('formatIntensity', () => {
  it('gives about three significant digits and the unit when known', () => {
    expect(formatIntensity({ mean: 42.04, std: 9.512, min: 0, max: 90 }, 'HU')).toBe('42 ± 9.51 HU');
    expect(formatIntensity({ mean: -1000, std: 0, min: -1000, max: -1000 }, 'HU')).toBe('-1000 ± 0 HU');
    expect(formatIntensity({ mean: 0.12345, std: 1234.5, min: 0, max: 1 }, null)).toBe('0.12 ± 1235');
  });
});

describe('jumpSlice', () => {
  it('is the slice nearest the centroid holding the structure, kept inside the volume', () => {
    expect(jumpSlice({ center_slice: 4 }, 10)).toBe(4);
    expect(jumpSlice({ center_slice: 12 }, 10)).toBe(9);
  });
});
