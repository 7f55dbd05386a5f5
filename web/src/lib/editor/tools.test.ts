import { describe, expect, it } from 'vitest';
import { TOOLS, toolDisabled } from './tools';

const ALL = { readonly: false, allowsBox: true, allowsPolygon: true, allowsMask: true };

describe('toolDisabled', () => {
  it('turns a tool off when its kind is not allowed, and every tool but Select for a viewer', () => {
    expect(TOOLS.filter((t) => toolDisabled(t.tool, ALL, true))).toEqual([]);
    const boxesOnly = { ...ALL, allowsPolygon: false, allowsMask: false };
    expect(TOOLS.filter((t) => toolDisabled(t.tool, boxesOnly, false)).map((t) => t.tool)).toEqual([
      'polygon', 'grabcut', 'brush', 'eraser', 'keypoints',
    ]);
    expect(TOOLS.filter((t) => !toolDisabled(t.tool, { ...ALL, readonly: true }, true)).map((t) => t.tool)).toEqual(['select']);
  });
});
