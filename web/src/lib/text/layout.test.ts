import { describe, expect, it } from 'vitest';
import { flatten, layoutSpans, marks, type MarkRun, type Run } from './layout';

const text = 'The New York Times reported that Barack Obama visited Paris.';
const at = (w: string): number => text.indexOf(w);

/** A compact picture of the runs: text as is, marks as key[...] with their depth. */
function show(runs: readonly Run[]): string {
  return runs
    .map((r) => (r.type === 'text' ? text.slice(r.start, r.end) : `${r.key}${r.depth}[${show(r.children)}]`))
    .join('');
}

describe('layoutSpans', () => {
  it('returns the plain text when there are no spans', () => {
    expect(layoutSpans(text.length, [])).toEqual([{ type: 'text', start: 0, end: text.length }]);
  });

  it('nests a span inside another, the outer one drawn one step lower', () => {
    const runs = layoutSpans(text.length, [
      { key: 'last', start: at('Obama'), end: at('Obama') + 5 },
      { key: 'full', start: at('Barack'), end: at('Obama') + 5 },
    ]);
    expect(show(runs)).toBe('The New York Times reported that full1[Barack last0[Obama]] visited Paris.');
    const [full, last] = marks(runs) as [MarkRun, MarkRun];
    expect(full.first && full.last && last.first && last.last).toBe(true);
  });

  it('splits a span that crosses another: one element where it starts, the rest after', () => {
    const runs = layoutSpans(text.length, [
      { key: 'org', start: at('New'), end: at('Times') + 5 },
      { key: 'loc', start: at('Times'), end: at('that') + 4 },
    ]);
    expect(show(runs)).toBe('The org1[New York loc0[Times]]loc0[ reported that] Barack Obama visited Paris.');
    const pieces = marks(runs).filter((m) => m.key === 'loc');
    expect(pieces.map((p) => [p.first, p.last])).toEqual([
      [true, false],
      [false, true],
    ]);
  });

  it('keeps identical ranges with different labels as two nested elements', () => {
    const runs = layoutSpans(text.length, [
      { key: 'b', start: 4, end: 8 },
      { key: 'a', start: 4, end: 8 },
    ]);
    expect(show(runs)).toBe('The a1[b0[New ]]York Times reported that Barack Obama visited Paris.');
  });

  it('stacks depth by what lies inside, not by list order', () => {
    const runs = layoutSpans(text.length, [
      { key: 'c', start: 4, end: 7 },
      { key: 'a', start: 0, end: 30 },
      { key: 'b', start: 4, end: 12 },
    ]);
    const depth = Object.fromEntries(marks(runs).map((m) => [m.key, m.depth]));
    expect(depth).toEqual({ a: 2, b: 1, c: 0 });
  });

  it('loses and repeats no character, whatever the overlaps', () => {
    const spans = [
      { key: 's1', start: 0, end: 20 },
      { key: 's2', start: 5, end: 40 },
      { key: 's3', start: 10, end: 15 },
      { key: 's4', start: 12, end: 50 },
      { key: 's5', start: 45, end: 200 },
      { key: 's6', start: 7, end: 7 },
    ];
    const runs = layoutSpans(text.length, spans);
    expect(flatten(text, runs)).toBe(text);
    // Every span (except the empty one) has exactly one first piece, and its pieces cover it exactly.
    for (const s of spans.slice(0, 5)) {
      const pieces = marks(runs).filter((m) => m.key === s.key);
      expect(pieces.filter((p) => p.first)).toHaveLength(1);
      const covered = pieces.reduce((n, p) => n + (p.end - p.start), 0);
      expect(covered).toBe(Math.min(text.length, s.end) - s.start);
    }
    expect(marks(runs).some((m) => m.key === 's6')).toBe(false);
  });
});

describe('layoutSpans at scale', () => {
  it('lays out 2,000 spans over a long text quickly', () => {
    const long = 'word '.repeat(20_000);
    const spans = Array.from({ length: 2000 }, (_, i) => ({ key: `k${i}`, start: i * 45, end: i * 45 + (i % 7 === 0 ? 80 : 20) }));
    const t0 = performance.now();
    const runs = layoutSpans(long.length, spans);
    const ms = performance.now() - t0;
    expect(flatten(long, runs)).toBe(long);
    expect(marks(runs).filter((m) => m.first)).toHaveLength(2000);
    expect(ms).toBeLessThan(500);
  });
});
