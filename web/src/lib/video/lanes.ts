/**
 * What one track's lane on the timeline shows, reduced to the pixels there are: a video has thousands of
 * frames and a lane a thousand pixels, so frames are grouped into `cols` cells (one per frame when there is
 * room) and neighbouring cells that look the same are merged into one segment, one rectangle to draw.
 *
 * A cell shows the weakest thing in it: propagated frames shaded by their lowest confidence (a bad frame must
 * not hide between good ones), else outside, else nothing. Needs-review and suggested frames are listed apart
 * (they are marked over the fill), as are the keyframes (diamonds).
 */

import { stateRuns } from './states';
import type { Track } from './types';

export type Fill = 'p' | 'out' | 'none';

export interface Segment {
  /** First cell and one past the last. */
  from: number;
  to: number;
  fill: Fill;
  /** For `p`: confidence in tenths (0-10), the lowest in the segment's cells; 10 when unknown. */
  level: number;
}

/** The cell that frame `f` falls into, with `n` frames in `cols` cells. */
export function cellOf(f: number, n: number, cols: number): number {
  return Math.min(cols - 1, Math.floor((f * cols) / Math.max(1, n)));
}

/** The number of cells for `n` frames over `px` pixels: one per frame when they fit, else one per pixel. */
export function cellCount(n: number, px: number): number {
  return Math.max(1, Math.min(n, Math.floor(px)));
}

/** The fill segments of a lane: `states`/`confidence` of `n` frames in `cols` cells, merged. */
export function laneSegments(t: Pick<Track, 'states' | 'confidence'>, n: number, cols: number): Segment[] {
  const fill = new Array<Fill>(cols).fill('none');
  const level = new Array<number>(cols).fill(10);
  for (const r of stateRuns(t.states.slice(0, n))) {
    if (r.state === 'p') {
      for (let f = r.start; f < r.end; f++) {
        const c = cellOf(f, n, cols);
        const conf = t.confidence[f];
        const q = typeof conf === 'number' ? Math.max(0, Math.min(10, Math.floor(conf * 10))) : 10;
        if (fill[c] !== 'p') {
          fill[c] = 'p';
          level[c] = q;
        } else if (q < level[c]!) level[c] = q;
      }
    } else if (r.state === 'o' || r.state === 'x') {
      for (let c = cellOf(r.start, n, cols); c <= cellOf(r.end - 1, n, cols); c++) if (fill[c] === 'none') fill[c] = 'out';
    }
  }
  const out: Segment[] = [];
  for (let c = 0; c < cols; c++) {
    const lv = fill[c] === 'p' ? level[c]! : 0;
    const last = out[out.length - 1];
    if (last && last.fill === fill[c] && last.level === lv && last.to === c) last.to = c + 1;
    else out.push({ from: c, to: c + 1, fill: fill[c]!, level: lv });
  }
  return out;
}

/** The distinct cells holding any of `frames` (needs-review or suggested frames), ascending. */
export function markedCells(frames: readonly number[], n: number, cols: number): number[] {
  const set = new Set<number>();
  for (const f of frames) if (f >= 0 && f < n) set.add(cellOf(f, n, cols));
  return [...set].sort((a, b) => a - b);
}
