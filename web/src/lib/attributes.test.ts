import { describe, expect, it } from 'vitest';
import { commonValue, defaultsFor, readSpecs, relabelled, specsFor, valueProblem } from './attributes';

const specs = readSpecs([
  { name: 'occluded', type: 'bool', default: false },
  { name: 'colour', type: 'select', options: ['red', 'blue'], labels: ['car'] },
  { name: 'speed', type: 'number' },
  { name: 'note', type: 'text', options: [], labels: [], default: null },
]);

describe('attribute declarations', () => {
  it('fills what an older schema lacks', () => {
    expect(specs[0]).toEqual({ name: 'occluded', type: 'bool', options: [], labels: [], default: false });
    expect(specs[2]!.default).toBeNull();
  });

  it('applies a declaration to its classes only', () => {
    expect(specsFor(specs, 'car').map((s) => s.name)).toEqual(['occluded', 'colour', 'speed', 'note']);
    expect(specsFor(specs, 'person').map((s) => s.name)).toEqual(['occluded', 'speed', 'note']);
  });

  it('says why a value is no value of its attribute, as the server does', () => {
    expect(valueProblem(specs[0]!, 'yes')).toBe("must be true or false, not 'yes'");
    expect(valueProblem(specs[1]!, 'green')).toBe("'green' is not one of red, blue");
    expect(valueProblem(specs[2]!, Number.NaN)).toBe('must be a finite number, not null');
    expect(valueProblem(specs[2]!, true)).toBe('must be a number, not true');
    expect(valueProblem(specs[3]!, 'x'.repeat(1001))).toBe('is longer than 1000 characters');
    expect(valueProblem(specs[2]!, 1e20)).toBe('must be between -9007199254740991 and 9007199254740991');
    expect(valueProblem(specs[1]!, 'red')).toBeNull();
    expect(valueProblem(specs[1]!, undefined)).toBeNull();
  });

  it('starts a new shape with the defaults and drops what a new label does not take', () => {
    expect(defaultsFor(specs, 'car')).toEqual({ occluded: false });
    const car = { colour: 'red', occluded: true, coco_id: 7 };
    expect(relabelled(specs, car, 'person')).toEqual({ occluded: true, coco_id: 7 });
    expect(relabelled(specs, { coco_id: 7 }, 'car')).toEqual({ coco_id: 7, occluded: false });
  });

  it('shows a shared value or "mixed" for several shapes', () => {
    expect(commonValue([{ colour: 'red' }, { colour: 'red' }], 'colour')).toEqual({ mixed: false, value: 'red' });
    expect(commonValue([{ colour: 'red' }, {}], 'colour')).toEqual({ mixed: true });
  });
});
